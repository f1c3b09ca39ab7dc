import Foundation
import Testing
@testable import Scoring

@Suite struct TokenizerFilesTests {
    @Test func vocabAndMergesFilesGiveTheSameTokenizerAsTokenizerJSON() throws {
        let reference = try TokenizerTestData.qwen2()
        // load(directory:) without a tokenizer.json falls back to vocab.json + merges.txt + added_tokens.json (flat
        // content → id) + tokenizer_config.json (whose added_tokens_decoder says which added tokens are special).
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["vocab.json", "merges.txt", "added_tokens.json", "tokenizer_config.json"] {
            try FileManager.default.createSymbolicLink(
                at: directory.appendingPathComponent(name),
                withDestinationURL: TokenizerTestData.qwen2Directory.appendingPathComponent(name))
        }
        let slow = try Tokenizer.load(directory: directory)
        #expect(slow.vocabularySize == reference.vocabularySize)
        #expect(slow.specialTokenIDs == reference.specialTokenIDs)
        #expect(slow.eosTokenIDs == reference.eosTokenIDs)
        #expect(slow.allTokenBytes == reference.allTokenBytes)
        let texts = try TokenizerTestData.peerVectors().map(\.text) + TokenizerTestData.referenceEncodings.map(\.text)
        for text in texts {
            #expect(slow.encode(text) == reference.encode(text), "input \(quoted(text))")
        }
    }

    @Test func loadingADirectoryPrefersTokenizerJSON() throws {
        let tokenizer = try Tokenizer.load(directory: TokenizerTestData.qwen2Directory)
        #expect(tokenizer.encode("Hello world") == [9707, 1879])
    }

    @Test func aDirectoryWithoutTokenizerFilesIsAMissingFileError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: TokenizerError.self) { try Tokenizer.load(directory: directory) }
        #expect(error?.kind == "missingFile")
    }

    @Test func flatAddedTokensFilesAreReadAsSpecialTokens() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let added = directory.appendingPathComponent("added_tokens.json")
        try Data(#"{"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645}"#.utf8).write(to: added)
        let tokenizer = try Tokenizer(vocab: TokenizerTestData.qwen2Directory.appendingPathComponent("vocab.json"),
                                      merges: TokenizerTestData.qwen2Directory.appendingPathComponent("merges.txt"),
                                      addedTokens: added)
        #expect(tokenizer.vocabularySize == 151_646)
        #expect(tokenizer.specialTokenIDs == [151_643, 151_644, 151_645])
        #expect(tokenizer.encode("<|im_start|>user\n你好<|im_end|>\n") == [151_644, 872, 198, 108_386, 151_645, 198])
    }

    // MARK: A tiny tokenizer.json, valid and broken

    /// Byte-level vocabulary "a", "b", "Ġ" and the merges a+b, then b+a, then a+a.
    static func tinyTokenizer() -> [String: Any] {
        [
            "version": "1.0",
            "added_tokens": [["id": 7, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false,
                              "normalized": false, "special": true]],
            "normalizer": ["type": "NFC"],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": Qwen2PreTokenizer.pattern], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            ]],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "byte_fallback": false,
                      "vocab": ["a": 0, "b": 1, "Ġ": 2, "ab": 3, "ba": 4, "aa": 5, "Ġa": 6],
                      "merges": [["a", "b"], ["b", "a"], ["a", "a"], ["Ġ", "a"]]],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
        ]
    }

    @Test func tinyTokenizerMergesByRankThenLeftmost() throws {
        let tokenizer = try load(Self.tinyTokenizer())
        #expect(tokenizer.encode("aba") == [3, 0])      // a+b (rank 0) before b+a (rank 1)
        #expect(tokenizer.encode("bab") == [1, 3])      // a+b again wins over b+a, though b+a comes first
        #expect(tokenizer.encode("aaa") == [5, 0])      // ties go to the leftmost pair
        #expect(tokenizer.encode("a a<|end|>") == [0, 6, 7])
        #expect(tokenizer.decode([3, 6, 7], skipSpecialTokens: true) == "ab a")
        #expect(tokenizer.vocabularySize == 8)
    }

    @Test func oldStyleMergeStringsAreAccepted() throws {
        var json = Self.tinyTokenizer()
        json[path: "model.merges"] = ["a b", "b a", "a a", "Ġ a"]
        #expect(try load(json).encode("aba aa") == [3, 0, 2, 5])  // in " aa", a+a (rank 2) beats Ġ+a (rank 3)
    }

    @Test func malformedTokenizerFilesThrowErrorsNamingTheKey() throws {
        func expectError(_ kind: String, key: String?, _ edit: (inout [String: Any]) -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) {
            var json = Self.tinyTokenizer()
            edit(&json)
            let error = #expect(throws: TokenizerError.self, sourceLocation: sourceLocation) { try load(json) }
            #expect(error?.kind == kind, "\(String(describing: error))", sourceLocation: sourceLocation)
            if let key { #expect(error?.key == key, "\(String(describing: error))", sourceLocation: sourceLocation) }
        }
        expectError("missingKey", key: "model") { $0["model"] = nil }
        expectError("missingKey", key: "model.vocab") { $0[path: "model.vocab"] = nil }
        expectError("missingKey", key: "model.merges") { $0[path: "model.merges"] = nil }
        expectError("unsupported", key: "model.type") { $0[path: "model.type"] = "WordPiece" }
        expectError("unsupported", key: "model.byte_fallback") { $0[path: "model.byte_fallback"] = true }
        expectError("unsupported", key: "normalizer.type") { $0[path: "normalizer.type"] = "NFKC" }
        expectError("unsupported", key: "pre_tokenizer.type") { $0[path: "pre_tokenizer.type"] = "Whitespace" }
        expectError("unsupported", key: "pre_tokenizer.pretokenizers[0].pattern.Regex") {
            $0[path: "pre_tokenizer.pretokenizers"] = [
                ["type": "Split", "pattern": ["Regex": "\\s+"], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            ]
        }
        expectError("unsupported", key: "decoder.type") { $0[path: "decoder.type"] = "WordPiece" }
        expectError("unsupported", key: "decoder") { $0["decoder"] = NSNull() }
        expectError("unknownMergeToken", key: "model.merges[1]") {
            $0[path: "model.merges"] = [["a", "b"], ["b", "zz"]]
        }
        expectError("unknownMergeToken", key: "model.merges[0]") {  // "b" + "b" is not a token
            $0[path: "model.merges"] = [["b", "b"]]
        }
        expectError("invalidValue", key: "model.merges[0]") { $0[path: "model.merges"] = [["a", "b", "c"]] }
        expectError("invalidValue", key: "model.merges[0]") { $0[path: "model.merges"] = ["a b c"] }
        expectError("wrongType", key: "model.vocab.a") { $0[path: "model.vocab"] = ["a": "zero"] }
        expectError("wrongType", key: "model.merges") { $0[path: "model.merges"] = 3 }
        expectError("wrongType", key: "model.merges[1]") { $0[path: "model.merges"] = [["a", "b"], 7] }
        expectError("wrongType", key: "model.merges[1][0]") { $0[path: "model.merges"] = [["a", "b"], [1, 2]] }
        expectError("invalidValue", key: "model.vocab[\"b\"]") { $0[path: "model.vocab"] = ["a": 0, "b": -1] }
        expectError("invalidValue", key: "model.vocab[\"b\"]") { $0[path: "model.vocab"] = ["a": 0, "b": 1 << 40] }
        expectError("invalidValue", key: "model.vocab") { $0[path: "model.vocab"] = ["a": 0, "b": 0] }
        expectError("invalidValue", key: "added_tokens[0].id") {
            $0["added_tokens"] = [["id": -3, "content": "<|x|>", "special": true]]
        }
        expectError("missingKey", key: "added_tokens[0].content") { $0["added_tokens"] = [["id": 9]] }
    }

    @Test func unreadableTokenizerFilesThrowTypedErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokenizer.json")
        try Data("{ \"model\": [1, 2,".utf8).write(to: file)
        let truncated = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: file) }
        #expect(truncated?.kind == "malformedJSON")
        try Data([0xFF, 0xFE, 0x00]).write(to: file)
        let binary = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: file) }
        #expect(binary?.kind == "malformedJSON")
        let missing = directory.appendingPathComponent("absent.json")
        let absent = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: missing) }
        #expect(absent == .missingFile(file: missing.path, expected: "a Hugging Face tokenizer.json"))
        #expect(absent?.description.contains(missing.path) == true)
    }

    @Test func malformedMergesTextNamesTheLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocab = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        try Data(#"{"a": 0, "b": 1, "ab": 2}"#.utf8).write(to: vocab)
        try Data("#version: 0.2\na b\nb\n".utf8).write(to: merges)
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(vocab: vocab, merges: merges, addedTokens: nil) }
        #expect(error?.kind == "invalidValue")
        #expect(error?.key == "line 3")
        try Data("a b\nb a\n".utf8).write(to: merges)
        let unknown = #expect(throws: TokenizerError.self) { try Tokenizer(vocab: vocab, merges: merges, addedTokens: nil) }
        #expect(unknown == .unknownMergeToken(file: merges.path, key: "line 2", token: "ba"))
    }

    // MARK: Helpers

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func load(_ json: [String: Any]) throws -> Tokenizer {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        return try Tokenizer(tokenizerJSON: file)
    }
}

extension TokenizerError {
    /// The case name, so tests can check which error without spelling out file paths and messages.
    var kind: String {
        switch self {
        case .missingFile: "missingFile"
        case .unreadableFile: "unreadableFile"
        case .malformedJSON: "malformedJSON"
        case .missingKey: "missingKey"
        case .wrongType: "wrongType"
        case .invalidValue: "invalidValue"
        case .unsupported: "unsupported"
        case .unknownMergeToken: "unknownMergeToken"
        }
    }

    var key: String? {
        switch self {
        case .missingFile, .unreadableFile, .malformedJSON: nil
        case let .missingKey(_, key), let .wrongType(_, key, _, _), let .invalidValue(_, key, _, _),
             let .unsupported(_, key, _, _), let .unknownMergeToken(_, key, _): key
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Reads and writes nested dictionaries by a dotted path such as "model.vocab".
    subscript(path path: String) -> Any? {
        get {
            let parts = path.split(separator: ".").map(String.init)
            var current: Any? = self
            for part in parts { current = (current as? [String: Any])?[part] }
            return current
        }
        set {
            let parts = path.split(separator: ".").map(String.init)
            if parts.count == 1 { self[parts[0]] = newValue; return }
            var child = self[parts[0]] as? [String: Any] ?? [:]
            child[path: parts.dropFirst().joined(separator: ".")] = newValue
            self[parts[0]] = child
        }
    }
}
