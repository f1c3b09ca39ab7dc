import Foundation
import Scoring
import Testing
@testable import Training

/// The byte-level BPE trainer: merges worked out by hand, determinism, loading and round trips with our
/// `Tokenizer`, sizes and errors, and parity with Hugging Face (Tests/Fixtures/tokenizer/trained, written by
/// tools/fixtures/make_trained_tokenizer_fixture.py).
@Suite struct BPETrainerTests {
    static let trainedFixtures = TestPaths.fixtures.appendingPathComponent("tokenizer/trained")

    func train(_ texts: [String], vocabularySize: Int = 1000, minFrequency: Int = 2,
               specialTokens: [String] = BPETrainerConfiguration.qwen2SpecialTokens) throws -> TrainedTokenizer {
        var trainer = try BPETrainer(BPETrainerConfiguration(vocabularySize: vocabularySize, minFrequency: minFrequency,
                                                             specialTokens: specialTokens))
        trainer.add(contentsOf: texts)
        return try trainer.train()
    }

    func merges(_ tokenizer: TrainedTokenizer) -> [String] { tokenizer.merges.map(\.description) }

    /// Writes `tokenizer` into a fresh folder and loads it with `Tokenizer.load(directory:)`.
    func load(_ tokenizer: TrainedTokenizer) throws -> Tokenizer {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tokenizer.write(to: dir)
        return try Tokenizer.load(directory: dir)
    }

    func fixtureCorpus() throws -> [String] {
        try TokenizerCorpus.textLines(Self.trainedFixtures.appendingPathComponent("corpus.txt"))
    }

    // MARK: Merges by hand

    /// Sennrich et al.'s example, each word its own text (one pre-tokenized piece each): low ×5, lower ×2,
    /// newest ×6, widest ×3. Byte ids follow code points, so for ASCII letters a lower id is an earlier letter, and
    /// every learned token has a higher id than every byte. Ties go to the lower (left id, right id).
    ///
    /// Pair counts at the start: e s 9, s t 9, w e 8, l o 7, o w 7, n e 6, e w 6, w i 3, i d 3, d e 3, e r 2.
    ///  1. e s (9; ties s t, e < s). newest → n e w es t, widest → w i d es t: es t 9, w es 6, d es 3, w e 2.
    ///  2. es t (9). → n e w est, w i d est: w est 6, d est 3.
    ///  3. l o (7; ties o w, l < o). → lo w ×5, lo w e r ×2: lo w 7.
    ///  4. lo w (7). lower → low e r: low e 2, e r 2.
    ///  5. e w (6; ties n e and w est, e is the lowest left id). newest → n ew est: n ew 6, ew est 6.
    ///  6. n ew (6; ties ew est, n is a byte, ew is learned). → new est 6.
    ///  7. new est (6). Left: w i 3, i d 3, d est 3, low e 2, e r 2.
    ///  8. d est (3; d < i < w). → w i dest: i dest 3.
    ///  9. i dest (3; i < w). → w idest 3.
    /// 10. w idest (3). Left: low e 2, e r 2.
    /// 11. e r (2; e is a byte). → low er 2.
    /// 12. low er (2). No pair is left.
    static let sennrichCorpus = Array(repeating: "low", count: 5) + Array(repeating: "lower", count: 2)
        + Array(repeating: "newest", count: 6) + Array(repeating: "widest", count: 3)
    static let sennrichMerges = ["e s", "es t", "l o", "lo w", "e w", "n ew", "new est", "d est", "i dest",
                                 "w idest", "e r", "low er"]

    @Test func learnsTheHandWorkedMerges() throws {
        let tokenizer = try train(Self.sennrichCorpus)
        #expect(merges(tokenizer) == Self.sennrichMerges)
        #expect(tokenizer.tokens.count == 256 + 12)
        #expect(Array(tokenizer.tokens.suffix(12)) == ["es", "est", "lo", "low", "ew", "new", "newest", "dest",
                                                        "idest", "widest", "er", "lower"])
        // The words encode to one token each: 16 texts, 16 tokens.
        #expect(tokenizer.statistics.tokens == 16)
    }

    @Test func stopsAtTheVocabularySizeOrTheMinimumFrequency() throws {
        // 256 bytes + 3 special tokens + 5 learned.
        #expect(merges(try train(Self.sennrichCorpus, vocabularySize: 264)) == Array(Self.sennrichMerges.prefix(5)))
        // Merges 11 and 12 have frequency 2.
        #expect(merges(try train(Self.sennrichCorpus, minFrequency: 3)) == Array(Self.sennrichMerges.prefix(10)))
    }

    /// Overlapping pairs merge left to right: "aaaaa" (a a ×4) → aa aa a (aa aa 1, aa a 1; the (a, a) between the
    /// two new tokens is gone), then aa a (tie with aa aa, a is a byte) → aa aaa, then aa aaa.
    @Test func overlappingPairsAreCountedOnce() throws {
        #expect(merges(try train(["aaaaa"], minFrequency: 1)) == ["a a", "aa a", "aa aaa"])
    }

    /// Spaces belong to the following word (the Qwen2 split), and appear as "Ġ" in the vocabulary:
    /// " ab" ×3 and "ab" ×1 → pieces "Ġab" ×3 and "ab" ×1: a b 4, Ġ a 3 → a b, then Ġ ab 3.
    @Test func spacesArePartOfTheFollowingWord() throws {
        #expect(merges(try train(["ab ab ab ab"])) == ["a b", "Ġ ab"])
    }

    /// "hello" ×5 between special tokens; without cutting them out, "<|" and "|>" would be merged first.
    /// h e 5, e l 5, l l 5, l o 5 → e l (e is the lowest left id) → h el 5, el l 5, l o 5 → h el (h is a byte) →
    /// hel l 5, l o 5 → l o → hel lo.
    @Test func specialTokenTextIsCutOutOfTrainingText() throws {
        let tokenizer = try train(Array(repeating: "<|im_start|>hello<|im_end|>", count: 5))
        #expect(merges(tokenizer) == ["e l", "h el", "l o", "hel lo"])
        #expect(tokenizer.statistics.tokens == 15)  // per text: <|im_start|>, hello, <|im_end|>
        #expect(!tokenizer.tokens.dropFirst(256).contains { $0.contains("|") })
    }

    // MARK: Determinism

    @Test func sameInputGivesIdenticalBytes() throws {
        let texts = try fixtureCorpus()
        let a = try train(texts, vocabularySize: 1500)
        let b = try train(texts, vocabularySize: 1500)
        #expect(a.tokenizerJSON() == b.tokenizerJSON())
        #expect(try a.tokenizerConfigJSON() == b.tokenizerConfigJSON())
        // The result depends on the multiset of texts, not their order.
        var rng = SplitMix64(seed: 7)
        let shuffled = try train(texts.shuffled(using: &rng), vocabularySize: 1500)
        #expect(shuffled.tokenizerJSON() == a.tokenizerJSON())
    }

    // MARK: Loading and round trips

    static let roundTripStrings = [
        "你好，世界！Hello, world! 123 4567",
        "中文English混合 with emoji 😀👍🏽 and digits ٣٤٥ ０１２",
        "  leading, trailing and   inner spaces \t tabs\n\nnewlines\r\n ",
        "𠀀𪚥 Привет 안녕하세요 مرحبا नमस्ते",  // scripts the training text never shows
        "cafe\u{301} A\u{30A} \u{212B} e\u{301}\u{323}",  // NFD and compatibility-sensitive input
        "<|im_start|>user\n文本<|im_end|>\n<|endoftext|>",
        "\u{0}\u{1}\u{7F} control",
        "",
    ]

    @Test func loadsWithOurTokenizerAndRoundTrips() throws {
        let trained = try train(try fixtureCorpus(), vocabularySize: 2000)
        let tokenizer = try load(trained)
        #expect(tokenizer.vocabularySize == 2000)
        for text in Self.roundTripStrings {
            let ids = tokenizer.encode(text)
            #expect(ids.allSatisfy { $0 >= 0 && $0 < 2000 })
            #expect(tokenizer.decode(ids) == text.precomposedStringWithCanonicalMapping, "\(text.debugDescription)")
        }
        // Never-seen characters fall back to their bytes: 𠀀 is four byte tokens.
        #expect(tokenizer.encode("𠀀").count == 4)
        #expect(tokenizer.encode("<|im_end|>") == [1999])
    }

    @Test func trainingStatisticsCountWhatTheTokenizerEncodes() throws {
        let texts = try fixtureCorpus()
        let trained = try train(texts, vocabularySize: 1200)
        let tokenizer = try load(trained)
        #expect(trained.statistics.tokens == texts.reduce(0) { $0 + tokenizer.encode($1).count })
        #expect(trained.statistics.characters == texts.reduce(0) { $0 + $1.unicodeScalars.count })
        #expect(trained.statistics.texts == texts.count)
    }

    // MARK: Sizes, special tokens, errors

    @Test func vocabularySizeAndSpecialTokenIDsAreAsRequested() throws {
        let trained = try train(try fixtureCorpus(), vocabularySize: 777)
        #expect(trained.vocabularySize == 777)
        #expect(trained.tokens.count == 774)
        #expect(trained.specialTokenID("<|endoftext|>") == 774)
        #expect(trained.specialTokenID("<|im_start|>") == 775)
        #expect(trained.specialTokenID("<|im_end|>") == 776)
        let tokenizer = try load(trained)
        #expect(tokenizer.vocabularySize == 777)
        #expect(tokenizer.tokenID("<|endoftext|>") == 774)
        #expect(tokenizer.tokenID("<|im_start|>") == 775)
        #expect(tokenizer.tokenID("<|im_end|>") == 776)
        #expect(tokenizer.specialTokenIDs == [774, 775, 776])
        #expect(tokenizer.eosTokenIDs == [774, 776])
        // The 256 bytes come first, in code-point order of their characters, as in Qwen2's vocabulary.
        #expect(Array(trained.tokens.prefix(3)) == ["!", "\"", "#"])
        #expect(trained.tokens[255] == "Ń")

        let custom = try train(Self.sennrichCorpus, vocabularySize: 300, specialTokens: ["<pad>", "<|im_end|>"])
        #expect(custom.vocabularySize == 256 + 12 + 2)  // stopped early: no pair left
        #expect(custom.specialTokenID("<pad>") == 268)
        #expect(custom.eosToken == "<|im_end|>" && custom.padToken == nil)
    }

    @Test func settingsErrorsAreTypedAndNameTheProblem() throws {
        #expect(throws: TokenizerTrainingError.vocabularyTooSmall(requested: 258, minimum: 259, specialTokens: 3)) {
            _ = try BPETrainer(BPETrainerConfiguration(vocabularySize: 258))
        }
        #expect(TokenizerTrainingError.vocabularyTooSmall(requested: 258, minimum: 259, specialTokens: 3).description
            .contains("at least 259"))
        #expect(throws: TokenizerTrainingError.invalidMinFrequency(0)) {
            _ = try BPETrainer(BPETrainerConfiguration(vocabularySize: 300, minFrequency: 0))
        }
        #expect(throws: TokenizerTrainingError.self) {
            _ = try BPETrainer(BPETrainerConfiguration(vocabularySize: 300, specialTokens: ["<a>", "<a>"]))
        }
        #expect(throws: TokenizerTrainingError.noText) { _ = try train([]) }
        #expect(throws: TokenizerTrainingError.noText) { _ = try train(["", "<|im_end|>"]) }
        var trained = try train(Self.sennrichCorpus)
        trained.eosToken = "</s>"
        #expect(throws: TokenizerTrainingError.self) { _ = try trained.tokenizerConfigJSON() }
    }

    @Test func dataErrorsAreTypedAndNameTheLine() throws {
        let parse = { (text: String) throws -> [String] in
            try TokenizerCorpus.parseJSONL(Data(text.utf8), file: "data.jsonl", completions: true)
        }
        /// The (line, reason) of the `badLine` error `text` throws, or nil.
        let badLine = { (text: String) -> (Int, String)? in
            do { _ = try parse(text) } catch {
                if case let .badLine(file, line, reason)? = error as? TokenizerTrainingError, file == "data.jsonl" {
                    return (line, reason)
                }
            }
            return nil
        }
        #expect(throws: TokenizerTrainingError.emptyFile(file: "data.jsonl")) { _ = try parse("\n  \n") }
        let truncated = badLine("{\"text\": \"好\"}\n{\"text\": \"坏\"\n")
        #expect(truncated?.0 == 2 && truncated?.1 == "not valid JSON")
        let missing = badLine("{\"txt\": \"好\"}")
        #expect(missing?.0 == 1 && missing?.1 == "missing key \"text\"")
        // With completions, scores must name all nine dimensions.
        #expect(badLine("{\"text\": \"好\", \"scores\": {\"商业违规\": 100}, \"reasoning\": \"r\"}")?.0 == 1)
        let error = TokenizerTrainingError.badLine(file: "data.jsonl", line: 2, reason: "not valid JSON")
        #expect(error.description.hasPrefix("data.jsonl:2: not valid JSON"))
    }

    @Test func completionsAddTheCanonicalAnswer() throws {
        let scores = try DimensionScores(uniform: 100)
        let keys = Dimension.allCases.map { "\"\($0.key)\": 100" }.joined(separator: ", ")
        let jsonl = """
            {"text": "你好", "scores": {\(keys)}, "reasoning": "日常问候。"}
            {"text": "只有文本"}
            {"text": "无理由", "scores": {\(keys)}}
            """
        let texts = try TokenizerCorpus.parseJSONL(Data(jsonl.utf8), file: "x", completions: true)
        #expect(texts == ["你好", ScoringPrompt.completion(reasoning: "日常问候。", scores: scores), "只有文本", "无理由"])
        #expect(try TokenizerCorpus.parseJSONL(Data(jsonl.utf8), file: "x", completions: false) == ["你好", "只有文本", "无理由"])
    }

    @Test func chatTemplateIsQwen25s() throws {
        let file = TestPaths.packageRoot.appendingPathComponent("data/qwen2-tokenizer/peer-tests/Qwen-Qwen2.5-7B-Instruct.jinja")
        #expect(ChatTemplates.qwen25ChatML == (try String(contentsOf: file, encoding: .utf8)))
    }

    // MARK: Parity with Hugging Face

    struct Encodings: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
        }

        let vocab_size: Int
        let cases: [Case]
    }

    /// Retrains the committed corpus with the fixture's settings: the files must equal the committed ones byte for
    /// byte (Hugging Face `tokenizers` writes the same bytes back, and its own trainer learns the same merges), and
    /// our tokenizer must give `tokenizers`' ids for every string of encodings.json.
    @Test func retrainingTheFixtureCorpusMatchesHuggingFace() throws {
        let encodings = try JSONDecoder().decode(
            Encodings.self, from: Data(contentsOf: Self.trainedFixtures.appendingPathComponent("encodings.json")))
        let trained = try train(try fixtureCorpus(), vocabularySize: encodings.vocab_size, minFrequency: 2)
        let committed = try Data(contentsOf: Self.trainedFixtures.appendingPathComponent("tokenizer.json"))
        let committedConfig = try Data(contentsOf: Self.trainedFixtures.appendingPathComponent("tokenizer_config.json"))
        // Compared as booleans: a failure then reports the message, not two 200 KB values.
        let sameTokenizer = trained.tokenizerJSON() == committed
        let sameConfig = try trained.tokenizerConfigJSON() == committedConfig
        #expect(sameTokenizer, "tokenizer.json differs from the committed fixture")
        #expect(sameConfig, "tokenizer_config.json differs from the committed fixture")

        let tokenizer = try load(trained)
        #expect(encodings.cases.count >= 250)
        var mismatches = 0
        for c in encodings.cases {
            let ids = tokenizer.encode(c.text)
            if ids != c.ids {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(c.text.debugDescription): ours \(ids), Hugging Face \(c.ids)") }
            }
            #expect(tokenizer.decode(ids) == c.text.precomposedStringWithCanonicalMapping)
        }
        #expect(mismatches == 0, "\(mismatches) of \(encodings.cases.count) strings encode differently")
    }
}
