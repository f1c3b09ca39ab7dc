import Foundation
import Testing
@testable import Scoring

/// The real Qwen2 vocabulary, read straight from `data/qwen2-tokenizer` without the tokenizer module: `vocab.json`
/// spells each token's bytes with GPT-2's byte-to-unicode table, which `byteLevelDecoding` inverts.
enum Qwen2Vocabulary {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/qwen2-tokenizer")

    /// GPT-2's `bytes_to_unicode` (openai/gpt-2 encoder.py), inverted: printable Latin-1 bytes stand for
    /// themselves, the other 68 bytes were shifted to U+0100 and up in byte order.
    static let byteLevelDecoding: [Unicode.Scalar: UInt8] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var map: [Unicode.Scalar: UInt8] = [:]
        for b in printable { map[Unicode.Scalar(UInt8(b))] = UInt8(b) }
        var n = 0
        for b in 0...255 where !printable.contains(b) {
            map[Unicode.Scalar(UInt32(256 + n))!] = UInt8(b)
            printable.append(b)
            n += 1
        }
        return map
    }()

    struct Loaded: Sendable {
        let tokenBytes: [[UInt8]]
        let eos: Set<Int>
        let special: Set<Int>
        let grammar: AnswerGrammar
        let grammarBuildSeconds: Double
        let idByBytes: [[UInt8]: Int]
        let maxTokenLength: Int

        /// Greedy longest-byte-match tokenisation over the ordinary tokens (not BPE, but every piece is a real
        /// token, which is all the grammar sees).
        func greedyTokens(_ text: String) -> [Int] {
            let b = Array(text.utf8)
            var i = 0
            var out: [Int] = []
            while i < b.count {
                var len = min(maxTokenLength, b.count - i)
                while len > 0 {
                    if let id = idByBytes[Array(b[i..<(i + len)])] {
                        out.append(id)
                        break
                    }
                    len -= 1
                }
                precondition(len > 0, "every single byte is a token")
                i += len
            }
            return out
        }

        func text(_ tokens: [Int]) -> String {
            String(decoding: tokens.flatMap { tokenBytes[$0] }, as: UTF8.self)
        }
    }

    static let shared: Loaded = {
        let vocab = try! JSONDecoder().decode(
            [String: Int].self, from: Data(contentsOf: directory.appendingPathComponent("vocab.json")))
        // added_tokens.json in its flat form: content → id.
        let added = try! JSONDecoder().decode(
            [String: Int].self, from: Data(contentsOf: directory.appendingPathComponent("added_tokens.json")))
        let size = max(vocab.values.max()!, added.values.max()!) + 1
        var tokenBytes = [[UInt8]](repeating: [], count: size)
        var idByBytes: [[UInt8]: Int] = [:]
        for (spelling, id) in vocab {
            let bytes = spelling.unicodeScalars.map { byteLevelDecoding[$0]! }
            tokenBytes[id] = bytes
            idByBytes[bytes] = id
        }
        var special = Set<Int>()
        for (content, id) in added {
            tokenBytes[id] = Array(content.utf8)
            special.insert(id)
        }
        let eos: Set<Int> = [151643, 151645]  // <|endoftext|>, <|im_end|>
        let clock = ContinuousClock()
        var grammar: AnswerGrammar?
        let elapsed = clock.measure {
            grammar = try! AnswerGrammar(tokenBytes: tokenBytes, eosTokenIDs: eos, specialTokenIDs: special)
        }
        return Loaded(
            tokenBytes: tokenBytes, eos: eos, special: special, grammar: grammar!,
            grammarBuildSeconds: Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds),
            idByBytes: idByBytes, maxTokenLength: idByBytes.keys.map(\.count).max()!)
    }()
}

@Suite struct ContractVocabularyTests {
    @Test func byteLevelTableCoversEveryByteOnce() {
        let m = Qwen2Vocabulary.byteLevelDecoding
        #expect(m.count == 256)
        #expect(Set(m.values).count == 256)
        #expect(m["Ġ"] == 0x20)  // GPT-2's space
        #expect(m["Ċ"] == 0x0A)  // newline
        #expect(m["!"] == 0x21)
    }

    @Test func realVocabularyLoadsWithDistinctByteStrings() {
        let v = Qwen2Vocabulary.shared
        #expect(v.tokenBytes.count == 151_665)
        #expect(v.idByBytes.count == 151_643)
        #expect(v.tokenBytes[151_645] == Array("<|im_end|>".utf8))
        #expect(v.greedyTokens("你好, world") .flatMap { v.tokenBytes[$0] } == Array("你好, world".utf8))
        print("AnswerGrammar built from the real vocabulary in \(String(format: "%.3f", v.grammarBuildSeconds)) s")
    }
}
