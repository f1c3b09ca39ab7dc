import Foundation
import Scoring

/// Training texts for `BPETrainer`, read from files.
public enum TokenizerCorpus {
    /// The texts of a JSONL file: each line's `"text"`, and with `completions` also the canonical answer
    /// (`ScoringPrompt.completion(reasoning:scores:)`) of each line that has `"scores"` (the nine Chinese keys →
    /// integer 0…100) and `"reasoning"`, so that the answer's tags and keys are learned. Blank lines are skipped.
    public static func jsonl(_ url: URL, completions: Bool) throws(TokenizerTrainingError) -> [String] {
        try parseJSONL(read(url), file: url.path, completions: completions)
    }

    public static func parseJSONL(_ data: Data, file: String, completions: Bool) throws(TokenizerTrainingError)
        -> [String] {
        struct Line: Decodable { let text: String }
        struct LabelledLine: Decodable {
            let text: String
            let scores: DimensionScores?
            let reasoning: String?
        }
        var texts: [String] = []
        var sawLine = false
        let decoder = JSONDecoder()
        for (number, line) in lines(data) {
            guard line.contains(where: { !isJSONWhitespace($0) }) else { continue }
            sawLine = true
            do {
                if completions {
                    let l = try decoder.decode(LabelledLine.self, from: line)
                    texts.append(l.text)
                    if let scores = l.scores, let reasoning = l.reasoning {
                        texts.append(ScoringPrompt.completion(reasoning: reasoning, scores: scores))
                    }
                } else {
                    texts.append(try decoder.decode(Line.self, from: line).text)
                }
            } catch {
                throw .badLine(file: file, line: number, reason: describe(error))
            }
        }
        guard sawLine else { throw .emptyFile(file: file) }
        return texts
    }

    /// A plain-text file, one text per line (a final `\r` is dropped; blank lines are skipped).
    public static func textLines(_ url: URL) throws(TokenizerTrainingError) -> [String] {
        let texts = lines(try read(url)).compactMap { _, line -> String? in
            let text = line.last == 0x0D ? line.dropLast() : line
            return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
        }
        guard !texts.isEmpty else { throw .emptyFile(file: url.path) }
        return texts
    }

    /// The fixed text of a scoring_prompt.json: its `prefix` and `tail` (the special tokens in them are cut out
    /// when training).
    public static func promptTexts(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ScoringPromptError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let prompt: ScoringPrompt
        do { prompt = try JSONDecoder().decode(ScoringPrompt.self, from: data) } catch let error as ScoringPromptError {
            throw error
        } catch {
            throw ScoringPromptError.malformed(file: url.path, reason: describe(error))
        }
        return [prompt.prefix, prompt.tail]
    }

    // MARK: Helpers

    private static func read(_ url: URL) throws(TokenizerTrainingError) -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw .unreadable(file: url.path, reason: error.localizedDescription)
        }
    }

    /// The lines of `data` split at `\n` (never inside a UTF-8 character), numbered from 1.
    private static func lines(_ data: Data) -> [(Int, Data)] {
        var out: [(Int, Data)] = []
        var start = data.startIndex
        var number = 1
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            out.append((number, data[start..<end]))
            number += 1
            start = end == data.endIndex ? end : end + 1
        }
        return out
    }

    private static func isJSONWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    private static func describe(_ error: any Error) -> String {
        let path = { (c: DecodingError.Context) in c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error as? DecodingError {
        case let .keyNotFound(key, c)?:
            return "missing key \"\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))\""
        case let .typeMismatch(_, c)?, let .valueNotFound(_, c)?:
            return "wrong type at \"\(path(c))\": \(c.debugDescription)"
        case let .dataCorrupted(c)?:
            return c.codingPath.isEmpty ? "not valid JSON" : "\"\(path(c))\": \(c.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}
