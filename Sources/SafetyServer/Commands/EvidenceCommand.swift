import ArgumentParser
import Foundation
import Scoring

/// `safety-server evidence`: the evidence stage on its own, for checking what it finds and for building training data
/// whose prompts and reasonings carry the same facts the server gives the model.
struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Reads JSON lines (a string, or an object with \"text\") on standard input and writes, per line, the evidence found.",
        discussion: """
            Each output line is {"evidence": [{type, start, end, masked}], "prompt_line": "线索：…"} — the items the API \
            returns and the line a model with an evidence prompt reads. Offsets are Unicode scalar offsets.
            """)

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard let text = Self.text(of: line) else {
                throw ValidationError("line \(lineNumber): expected a JSON string or an object with a string \"text\"")
            }
            let items = EvidenceFinder.find(in: text)
            let data = try encoder.encode(Output(evidence: items, promptLine: EvidenceFinder.promptLine(items)))
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }

    private struct Output: Encodable {
        var evidence: [EvidenceItem]
        var promptLine: String
        enum CodingKeys: String, CodingKey { case evidence, promptLine = "prompt_line" }
    }

    static func text(of line: String) -> String? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) else { return nil }
        if let s = json as? String { return s }
        return (json as? [String: Any])?["text"] as? String
    }
}
