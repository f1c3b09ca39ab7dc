import Foundation
import Testing
@testable import Scoring

@Suite struct TokenizerBehaviourTests {
    @Test func vocabularyCountsAddedTokensAndNamesTheEndTokens() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        #expect(tokenizer.vocabularySize == 151_665)
        #expect(tokenizer.allTokenBytes.count == tokenizer.vocabularySize)
        #expect(tokenizer.eosTokenIDs == [151_643, 151_645])
        #expect(tokenizer.specialTokenIDs == Set(151_643...151_656))
        #expect(tokenizer.tokenID("<|im_start|>") == 151_644)
        #expect(tokenizer.tokenID("<tool_call>") == 151_657)
        #expect(tokenizer.tokenID("Ġthe") == 279)
        #expect(tokenizer.tokenID("no such token") == nil)
    }

    @Test func tokenBytesAreRawBytesForModelTokensAndUTF8ForAddedTokens() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        #expect(tokenizer.tokenBytes(279) == Array(" the".utf8))
        #expect(tokenizer.tokenBytes(198) == [0x0A])
        #expect(tokenizer.tokenBytes(151_645) == Array("<|im_end|>".utf8))
        #expect(tokenizer.tokenBytes(-1) == [])
        #expect(tokenizer.tokenBytes(1 << 30) == [])
        // Every one of the 256 bytes is a token of its own, so constrained decoding can emit any byte.
        let singleBytes = Set(tokenizer.allTokenBytes.filter { $0.count == 1 }.map { $0[0] })
        #expect(singleBytes.count == 256)
    }

    @Test func specialTokensAreTextWhenParsingIsOff() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let text = "<|im_start|>user\n你好<|im_end|><tool_call>"
        #expect(tokenizer.encode(text) == [151_644, 872, 198, 108_386, 151_645, 151_657])
        // Hugging Face's encode_special_tokens: special tokens become text, other added tokens still match.
        #expect(tokenizer.encode(text, parseSpecialTokens: false)
                == [27, 91, 318, 4906, 91, 29, 872, 198, 108_386, 27, 91, 318, 6213, 91, 29, 151_657])
    }

    @Test func decodingCanSkipSpecialTokensButKeepsOtherAddedTokens() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let ids = [151_644, 872, 198, 108_386, 151_657, 151_645]
        #expect(tokenizer.decode(ids) == "<|im_start|>user\n你好<tool_call><|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "user\n你好<tool_call>")
    }

    @Test func decodingReplacesInvalidUTF8AndIgnoresUnknownIds() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        // 我 is three bytes; its first token alone is an incomplete sequence.
        let wo = tokenizer.encode("我想")
        let firstByteOnly = try #require(tokenizer.allTokenBytes.firstIndex(of: [0xE6]))
        #expect(tokenizer.decode([firstByteOnly]) == "\u{FFFD}")
        #expect(tokenizer.decode([firstByteOnly] + wo) == "\u{FFFD}我想")
        // Each maximal invalid subsequence becomes one U+FFFD (Hugging Face's String::from_utf8_lossy).
        #expect(tokenizer.decode([99, 233, 100]) == "\u{FFFD}\u{FFFD}\u{FFFD}")
        #expect(tokenizer.decode([-5, 9707, 10_000_000]) == "Hello")
    }

    @Test func addedTokensSplitTheTextBeforeNormalisationAndPreTokenisation() throws {
        let tokenizer = try TokenizerTestData.qwen2()
        // The text on either side of an added token is pre-tokenized on its own: " world" keeps its space.
        #expect(tokenizer.encode("Hello<|endoftext|> world") == [9707, 151_643, 1879])
        // A partial added token is plain text.
        #expect(tokenizer.encode("<|im_start") == [27, 91, 318, 4906])
    }

    @Test func charactersNewerThanUnicode16AreNeitherLettersNorNumbers() throws {
        // Hugging Face's regex engine knows Unicode 16.0; U+088F and U+10940… (Unicode 17) are unassigned there,
        // so they split from the letters before them and prefix the letters after them. Ids from tokenizers 0.23.3.
        let tokenizer = try TokenizerTestData.qwen2()
        #expect(tokenizer.encode("ab\u{88F}cd") == [370, 156, 95, 237, 4385])
        #expect(tokenizer.encode("\u{10940}\u{10941} x") == [123_934, 98, 222, 123_934, 98, 223, 856])
        #expect(tokenizer.encode("x\u{323B0}y") == [87, 172, 110, 236, 108, 88])
    }

    @Test func heapAndLinearMergesAgreeOnLongPieces() throws {
        let model = try TokenizerTestData.qwen2().model
        var generator = SystemRandomNumberGenerator()
        let workspace = BPEWorkspace()
        for _ in 0..<200 {
            let count = Int.random(in: 2...60, using: &generator)
            let text = String((0..<count).map { _ in
                Character(Unicode.Scalar(UInt32.random(in: 0x4E00...0x4FFF, using: &generator))!)
            })
            let bytes = Array(text.utf8)
            var linear: [Int32] = [], heap: [Int32] = []
            bytes.withUnsafeBufferPointer { piece in
                linear = model.mergeForTesting(piece, useHeap: false, workspace)
                heap = model.mergeForTesting(piece, useHeap: true, workspace)
            }
            #expect(linear == heap, "piece \(text)")
        }
    }

    @Test func concurrentEncodingGivesTheSameIds() async throws {
        let tokenizer = try TokenizerTestData.qwen2()
        let texts = TokenizerTestData.referenceEncodings
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ok = true
                    for round in 0..<50 {
                        let (text, ids) = texts[(worker + round) % texts.count]
                        ok = ok && tokenizer.encode(text) == ids
                    }
                    return ok
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
