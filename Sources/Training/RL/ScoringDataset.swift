import Foundation
import Scoring

/// Errors reading a labelled JSONL file; each names the file, the line and what was expected.
public enum ScoringDatasetError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case badLine(file: String, line: Int, reason: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): "cannot read \(f): \(r)"
        case let .badLine(f, l, r):
            "\(f):\(l): \(r) (expected {\"text\": String, \"scores\": {the nine Chinese keys: integer 0…100}, \"reasoning\": String (optional)})"
        case let .empty(f): "\(f) holds no examples"
        }
    }
}

extension ScoringExample {
    /// Reads one example per line: `{"text", "scores": {nine Chinese keys: int}, "reasoning"}`; blank lines are skipped.
    /// `reasoning` may be absent or empty (scores-only labels).
    public static func loadJSONL(_ url: URL) throws(ScoringDatasetError) -> [ScoringExample] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(file: url.path, reason: error.localizedDescription) }
        return try parseJSONL(String(decoding: data, as: UTF8.self), file: url.path)
    }

    public static func parseJSONL(_ text: String, file: String = "<input>") throws(ScoringDatasetError) -> [ScoringExample] {
        struct Line: Decodable {
            let text: String
            let scores: DimensionScores
            let reasoning: String?
        }
        var out: [ScoringExample] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let l: Line
            do { l = try JSONDecoder().decode(Line.self, from: Data(trimmed.utf8)) } catch {
                throw .badLine(file: file, line: i + 1, reason: Self.describe(error))
            }
            guard !l.text.isEmpty else { throw .badLine(file: file, line: i + 1, reason: "\"text\" is empty") }
            out.append(ScoringExample(text: l.text, reference: ScoringReference(scores: l.scores, reasoning: l.reasoning ?? "")))
        }
        guard !out.isEmpty else { throw .empty(file: file) }
        return out
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(k, c)?: "missing key \"\(([k] + c.codingPath).map(\.stringValue).reversed().joined(separator: "."))\""
        case let .typeMismatch(_, c)?, let .valueNotFound(_, c)?:
            "wrong type at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\": \(c.debugDescription)"
        case let .dataCorrupted(c)?: c.codingPath.isEmpty ? "not valid JSON" : "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: String(describing: error)
        }
    }
}
