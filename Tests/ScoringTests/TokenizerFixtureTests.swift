import Foundation
import Testing
@testable import Scoring

/// Golden files written by the fixture generator from Hugging Face tokenizers (Tests/Fixtures/tokenizer/).
/// They are required: a missing file fails the test rather than skipping it.
@Suite struct TokenizerFixtureTests {
    struct Encoding: Decodable {
        var text: String
        var ids: [Int]
    }

    struct ChatCase: Decodable {
        var messages: [ChatMessage]
        var addGenerationPrompt: Bool
        var text: String
        var ids: [Int]

        enum CodingKeys: String, CodingKey {
            case messages, addGenerationPrompt = "add_generation_prompt", text, ids
        }
    }

    static func fixture(_ name: String) throws -> Data {
        let url = TokenizerTestData.fixtures.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: url.path),
                     "missing fixture \(url.path): generate it with tools/fixtures/make_fixtures.py (Hugging Face tokenizers), see Tests/Fixtures/README.md")
        return try Data(contentsOf: url)
    }

    /// One JSON object per line. JSONDecoder, not JSONSerialization: the latter drops U+FEFF on Linux.
    static func encodings() throws -> [Encoding] {
        let data = try fixture("qwen2-encodings.jsonl")
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().map { i, line in
            do { return try decoder.decode(Encoding.self, from: Data(line)) } catch {
                throw TokenizerError.decoding(error, file: "qwen2-encodings.jsonl line \(i + 1)")
            }
        }
    }

    @Test func everyFixtureTextEncodesToHuggingFaceIds() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let cases = try Self.encodings()
        #expect(cases.count >= 1000)
        var mismatches = 0
        for (i, c) in cases.enumerated() where tokenizer.encode(c.text) != c.ids {
            mismatches += 1
            if mismatches <= 10 {
                Issue.record("line \(i + 1): \(quoted(c.text)) encodes to \(tokenizer.encode(c.text)), expected \(c.ids)")
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) texts differ")
    }

    @Test func everyFixtureTextDecodesBackToItsNFCForm() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        for c in try Self.encodings() {
            #expect(tokenizer.decode(c.ids) == c.text.precomposedStringWithCanonicalMapping, "\(quoted(c.text))")
        }
    }

    @Test func chatTemplateFixturesRenderAndEncodeAsTransformersDoes() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let cases = try JSONDecoder().decode([ChatCase].self, from: try Self.fixture("chat-template.json"))
        #expect(!cases.isEmpty)
        for c in cases {
            let text = ChatTemplate.chatML(c.messages, addGenerationPrompt: c.addGenerationPrompt)
            #expect(text == c.text)
            #expect(tokenizer.encode(text) == c.ids, "\(quoted(text))")
        }
    }
}
