import Foundation
import Testing
@testable import Scoring

/// Where the tokenizer test data lives, relative to this file, and the Qwen2 tokenizer loaded once for all tests.
enum TokenizerTestData {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let qwen2Directory = packageRoot.appendingPathComponent("data/qwen2-tokenizer")
    static let peerTests = qwen2Directory.appendingPathComponent("peer-tests")
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/tokenizer")

    private static let loaded = Result {
        try Tokenizer(tokenizerJSON: qwen2Directory.appendingPathComponent("tokenizer.json"))
    }

    static func qwen2() throws -> Tokenizer { try loaded.get() }

    /// llama.cpp's tokenizer vectors: inputs separated by "\n__ggml_vocab_test__\n", and one line of
    /// space-separated ids per input.
    static func peerVectors(_ name: String = "ggml-vocab-qwen2.gguf") throws -> [(text: String, ids: [Int])] {
        let inputs = try String(contentsOf: peerTests.appendingPathComponent("\(name).inp"), encoding: .utf8)
            .components(separatedBy: "\n__ggml_vocab_test__\n").dropLast()  // the file ends with a separator
        let outputs = try String(contentsOf: peerTests.appendingPathComponent("\(name).out"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.split(separator: " ").map { Int($0)! }
            }
        try #require(outputs.count >= inputs.count, "\(name).out has fewer lines than \(name).inp has inputs")
        return zip(inputs, outputs).map { ($0, $1) }
    }

    /// Chinese and mixed strings with the ids Hugging Face tokenizers 0.23.3 gives them
    /// (`encode(text, add_special_tokens=False)`).
    static let referenceEncodings: [(text: String, ids: [Int])] = [
        ("我想买一辆新汽车，请问燃油车和电动车哪个好一些？",
         [104100, 99565, 105670, 16628, 100343, 37945, 56007, 110340, 39953, 33108, 106698, 104673, 52801, 101883, 11319]),
        ("农村的土地价格要更便宜一些，所以更适合建垃圾场吗？",
         [101089, 109633, 97480, 30534, 33126, 104698, 101883, 3837, 99999, 116914, 25807, 100813, 82224, 101037, 11319]),
        ("2024年3月15日，北京市海淀区发布了《关于加强网络内容安全管理的通知》。",
         [17, 15, 17, 19, 7948, 18, 9754, 16, 20, 8903, 3837, 104554, 118999, 106747, 26940, 101888, 101046, 71356,
          43815, 112563, 105757, 25067, 1773]),
        ("Qwen2.5是阿里云开发的大语言模型，支持中英文混合输入：Hello, 世界！",
         [48, 16948, 17, 13, 20, 20412, 102661, 99718, 100013, 104197, 102064, 104949, 3837, 100143, 15946, 105205,
          105063, 31196, 5122, 9707, 11, 220, 99489, 6313]),
        ("「引号」与『书名号』——破折号……省略号～波浪号",
         [12881, 72586, 17992, 10429, 57218, 43520, 90286, 13072, 17992, 35661, 8545, 99577, 99699, 17992, 14053,
          65770, 99475, 17992, 21216, 99804, 99964, 17992]),
        ("表情😀和emoji🇨🇳混排，还有全角ＡＢＣ１２３。",
         [102936, 141334, 33108, 37523, 145793, 145754, 100235, 59956, 3837, 100626, 35987, 63836, 133054, 139173,
          134557, 20109, 24918, 33517, 1773]),
        ("繁體中文測試：這是一個簡單的句子。",
         [100112, 100480, 104811, 107636, 102854, 5122, 99672, 112748, 111352, 9370, 109949, 1773]),
        ("Cafe\u{301} vs Café，NFC規範化", [34, 2577, 963, 6165, 65671, 3837, 45, 6754, 100605, 103102, 32108]),
        ("<|im_start|>user\n你好<|im_end|>\n", [151644, 872, 198, 108386, 151645, 198]),
        ("  多个空格   和\t制表符\n\n换行\r\n结束  ",
         [220, 40666, 248, 18947, 34794, 33983, 256, 58143, 197, 43316, 20742, 38304, 271, 71134, 22243, 319, 80565, 256]),
    ]
}

@Suite struct TokenizerPeerTests {
    @Test func llamaCppQwen2VectorsEncodeToTheirIds() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let vectors = try TokenizerTestData.peerVectors()
        #expect(vectors.count == 46)
        for (text, ids) in vectors {
            #expect(tokenizer.encode(text) == ids, "input \(quoted(text))")
        }
    }

    @Test func llamaCppVectorsDecodeBackToTheirNFCText() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        for (text, ids) in try TokenizerTestData.peerVectors() {
            #expect(tokenizer.decode(ids) == text.precomposedStringWithCanonicalMapping, "input \(quoted(text))")
            #expect(tokenizer.decode(tokenizer.encode(text)) == text.precomposedStringWithCanonicalMapping)
        }
    }

    @Test func chineseAndMixedTextEncodesAsHuggingFaceDoes() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        for (text, ids) in TokenizerTestData.referenceEncodings {
            #expect(tokenizer.encode(text) == ids, "input \(quoted(text))")
        }
    }

    @Test func chineseAndMixedTextRoundTripsToItsNFCForm() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let extra = [
            "", " ", "\n", "中", "１２３４５６７８９０", "e\u{301}\u{301}\u{323}", "한국어 텍스트와 ᄀᄀ 자모",
            "ＡＢＣ，ａｂｃ！", "😶‍🌫️👨‍👩‍👧‍👦", "\u{FEFF}BOM前缀", "零宽\u{200B}空格\u{200D}连接",
            String(repeating: "长句子没有标点符号一直持续下去", count: 20),  // one long piece: the heap merge path
            "混合English和中文mixed的text，还有数字123和符号#@!",
        ]
        for text in TokenizerTestData.referenceEncodings.map(\.text) + extra {
            #expect(tokenizer.decode(tokenizer.encode(text)) == text.precomposedStringWithCanonicalMapping,
                    "input \(quoted(text))")
        }
    }
}
