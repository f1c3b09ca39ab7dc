import Foundation
@testable import Scoring
import Testing
@testable import Training

@Suite struct RLRewardTests {
    let allHundred = scores(Array(repeating: 100, count: 9))
    let config = RewardConfig()  // format 1, keys 1, scores 1, bonus 10, scale 0.1, reasoning 5, penalty −110

    /// `{"k": v, …}` in canonical separators from explicit pairs (for answers with missing or extra keys).
    func answer(_ pairs: [(String, Int)], reasoning: String = "理由") -> String {
        "<reasoning>\(reasoning)</reasoning>\n<answer>{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}</answer>"
    }

    @Test func perfectAnswerEarnsEveryPart() {
        let ref = ScoringReference(scores: allHundred, reasoning: "未发现风险")
        let r = Reward.score(output: ref.completion, reference: ref, config: config, similarity: FixedSimilarity(value: 1))
        #expect(r == RewardBreakdown(format: 1, keys: 9, scores: 90, reasoning: 1, parseable: true, total: 1 + 9 + 90 + 5))
    }

    @Test func scoreMissesCostTheirDistanceTimesTheScale() {
        let ref = ScoringReference(scores: scores([100, 100, 100, 100, 100, 100, 100, 100, 100]), reasoning: "")
        let predicted = scores([100, 90, 80, 100, 0, 100, 100, 95, 100])
        let output = AnswerFormat.completion(reasoning: "x", scores: predicted)
        let r = Reward.score(output: output, reference: ref, config: config, similarity: FixedSimilarity(value: 0.7))
        // exact: 5 × 10 = 50; misses 10, 20, 100, 5 points → −(1 + 2 + 10 + 0.5) = −13.5
        #expect(abs(r.scores - 36.5) < 1e-12)
        #expect(r.reasoning == 0, "an empty reference reasoning gives no reasoning term")
        #expect(abs(r.total - (1 + 9 + 36.5)) < 1e-12)
    }

    @Test func missingAndExtraKeysCountOnePointEach() {
        let dims = Dimension.allCases
        // Eight of nine keys (the second is missing) plus one unknown key.
        var pairs = dims.enumerated().filter { $0.offset != 1 }.map { ($0.element.key, 100) }
        pairs.append(("无关键", 50))
        let ref = ScoringReference(scores: scores([100, 30, 100, 100, 100, 100, 100, 100, 100]), reasoning: "")
        let r = Reward.score(output: answer(pairs), reference: ref, config: config, similarity: FixedSimilarity(value: 0))
        #expect(r.keys == 8 - 1 - 1)
        // 8 exact keys = 80; the missing one counts as the largest miss for reference 30: 70 points × 0.1 = 7.
        #expect(abs(r.scores - (80 - 7)) < 1e-12)
        #expect(r.format == 1 && r.parseable)
        #expect(abs(r.total - (1 + 6 + 73)) < 1e-12)
    }

    @Test func scoreTermIsBonusOrScaledDistanceOrWorstMiss() {
        #expect(Reward.scoreTerm(predicted: 70, reference: 70, config: config) == 10)
        #expect(abs(Reward.scoreTerm(predicted: 55, reference: 70, config: config) - -1.5) < 1e-12)
        #expect(abs(Reward.scoreTerm(predicted: nil, reference: 70, config: config) - -7) < 1e-12)
        #expect(abs(Reward.scoreTerm(predicted: nil, reference: 20, config: config) - -8) < 1e-12)
        var c = config
        c.scoreErrorScale = 1
        #expect(Reward.scoreTerm(predicted: 55, reference: 70, config: c) == -15, "DESIGN's unscaled −|pred − ref|")
    }

    @Test func formatIsMinusOneWhenTagsRepeatOrAreOutOfOrder() {
        let ref = ScoringReference(scores: allHundred, reasoning: "")
        let json = allHundred.canonicalJSON
        let repeated = "<reasoning>a</reasoning><reasoning>b</reasoning><answer>\(json)</answer>"
        let misordered = "<answer>\(json)</answer><reasoning>a</reasoning>"
        let missingClose = "<reasoning>a</reasoning><answer>\(json)"
        for output in [repeated, misordered, missingClose] {
            let r = Reward.score(output: output, reference: ref, config: config, similarity: FixedSimilarity(value: 0))
            #expect(r.format == -1, "\(output)")
            #expect(r.parseable && r.keys == 9 && r.scores == 90, "scores are still recovered from \(output)")
        }
    }

    @Test func unparseableAnswerGetsTheFixedPenalty() {
        let ref = ScoringReference(scores: allHundred, reasoning: "未发现风险")
        for output in ["I cannot help with that.", "<reasoning>没有答案</reasoning>", ""] {
            let r = Reward.score(output: output, reference: ref, config: config, similarity: FixedSimilarity(value: 0.5))
            #expect(!r.parseable)
            #expect(r.total == -110, "\(output)")
            #expect(r.keys == -9, "parts are still reported")
        }
    }

    @Test func weightsScaleEachPart() {
        let ref = ScoringReference(scores: allHundred, reasoning: "r")
        let c = RewardConfig(formatWeight: 2, keysWeight: 0.5, scoresWeight: 0.1, exactScoreBonus: 10, scoreErrorScale: 0.1,
                             reasoningWeight: 3, unparseablePenalty: -1)
        let r = Reward.score(output: ref.completion, reference: ref, config: c, similarity: FixedSimilarity(value: 0.5))
        #expect(abs(r.total - (2 * 1 + 0.5 * 9 + 0.1 * 90 + 3 * 0.5)) < 1e-12)
    }

    @Test func rewardConfigDecodesPartialFilesWithDefaults() throws {
        let c = try JSONDecoder().decode(RewardConfig.self, from: Data(#"{"score_error_scale": 1, "reasoning_weight": 2}"#.utf8))
        #expect(c.scoreErrorScale == 1 && c.reasoningWeight == 2)
        #expect(c.exactScoreBonus == 10 && c.formatWeight == 1 && c.unparseablePenalty == -110)
        let round = try JSONDecoder().decode(RewardConfig.self, from: JSONEncoder().encode(c))
        #expect(round == c)
    }

    @Test func scoringRewardDecodesTokensAndUsesThePromptReference() throws {
        let tokenizer = try Tokenizer.load(directory: RLPaths.packageRoot.appendingPathComponent("data/qwen2-tokenizer"))
        let ref = ScoringReference(scores: allHundred, reasoning: "未发现风险")
        let reward = ScoringReward(tokenizer: tokenizer, config: config, similarity: CharNGramTFIDF(corpus: [ref.reasoning, "其他"]))
        let eos = tokenizer.tokenID("<|im_end|>")!
        let ids = tokenizer.encode(ref.completion, parseSpecialTokens: false) + [eos]
        let g = Generation(tokens: ids, probabilities: ids.map { _ in 1 }, logprobs: ids.map { _ in 0 }, finishReason: .stop)
        let r = reward(GRPOPrompt(tokens: [1, 2, 3], reference: ref), g)
        #expect(reward.text(of: g) == ref.completion)
        #expect(abs(r.total - 105) < 1e-9)
    }
}

@Suite struct RLScoringDatasetTests {
    let keys = Dimension.allCases.map(\.key)

    func line(_ text: String, _ values: [Int], reasoning: String? = "r") -> String {
        var obj: [String: Any] = ["text": text, "scores": Dictionary(uniqueKeysWithValues: zip(keys, values))]
        if let reasoning { obj["reasoning"] = reasoning }
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
    }

    @Test func readsOneExamplePerLineSkippingBlankOnes() throws {
        let text = [line("a", Array(repeating: 100, count: 9)), "", line("b", [0, 10, 20, 30, 40, 50, 60, 70, 80], reasoning: nil)]
            .joined(separator: "\n")
        let ex = try ScoringExample.parseJSONL(text)
        #expect(ex.map(\.text) == ["a", "b"])
        #expect(ex[1].reference.scores.values == [0, 10, 20, 30, 40, 50, 60, 70, 80] && ex[1].reference.reasoning == "")
    }

    @Test func badLinesNameTheLineAndTheProblem() {
        let good = line("a", Array(repeating: 100, count: 9))
        var missing = Dictionary(uniqueKeysWithValues: zip(keys, Array(repeating: 100, count: 9)))
        missing[keys[2]] = nil
        let noKey = String(decoding: try! JSONSerialization.data(withJSONObject: ["text": "x", "scores": missing]), as: UTF8.self)
        do {
            _ = try ScoringExample.parseJSONL(good + "\n" + noKey, file: "d.jsonl")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("d.jsonl:2: "))
            #expect(error.description.contains(keys[2]))
        }
        #expect(throws: ScoringDatasetError.self) { try ScoringExample.parseJSONL(line("a", [101] + Array(repeating: 1, count: 8))) }
        #expect(throws: ScoringDatasetError.empty(file: "<input>")) { try ScoringExample.parseJSONL("\n\n") }
        #expect(throws: ScoringDatasetError.self) { try ScoringExample.parseJSONL("{not json") }
    }
}
