import ArgumentParser
import Foundation
import Scoring

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Reads one JSON string per line on standard input and writes one JSON array of token ids per line.")

    @Option(help: "tokenizer.json, or a folder holding tokenizer.json or vocab.json + merges.txt.") var tokenizer: String
    @Flag(help: "Treat special-token text such as <|im_start|> as plain text.") var noSpecial = false

    func run() throws {
        let tok = try loadTokenizer(tokenizer)
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard let data = line.data(using: .utf8),
                  let text = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? String else {
                throw ValidationError("line \(lineNumber): expected a JSON string such as \"你好\"")
            }
            print("[" + tok.encode(text, parseSpecialTokens: !noSpecial).map(String.init).joined(separator: ",") + "]")
        }
    }
}

/// Loads a tokenizer from a tokenizer.json file or a folder.
func loadTokenizer(_ path: String) throws -> Tokenizer {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ValidationError("\(path) does not exist") }
    let url = URL(fileURLWithPath: path)
    return isDir.boolValue ? try Tokenizer.load(directory: url) : try Tokenizer(tokenizerJSON: url)
}
