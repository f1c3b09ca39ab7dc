import Foundation
import Scoring
import Testing
@testable import Training

@Suite struct RLRejectionSamplingTests {
    let refA = ScoringReference(scores: scores([100, 100, 100, 100, 100, 100, 100, 100, 100]), reasoning: "未发现风险")
    let refB = ScoringReference(scores: scores([30, 100, 100, 100, 100, 100, 100, 100, 100]), reasoning: "商业违规")

    @Test func keepsTheBestAboveThresholdPlusTheReference() {
        let items = [
            RejectionItem(text: "a", reference: refA, candidates: [
                RejectionCandidate(completion: "x", reward: 70), RejectionCandidate(completion: "y", reward: 90),
                RejectionCandidate(completion: "z", reward: 10),
            ]),
            RejectionItem(text: "b", reference: refB, candidates: [RejectionCandidate(completion: "w", reward: 59)]),
        ]
        let (ex, report) = RejectionSampling.select(items, config: RejectionSamplingConfig(threshold: 60, maxSelfGeneratedShare: 1))
        #expect(ex.map(\.completion) == [refA.completion, "y", refB.completion])
        #expect(ex.map(\.source) == [.human, .policy, .human])
        #expect(ex[1].reward == 90 && ex[0].reward == nil && ex[2].item == 1)
        #expect(report.prompts == 2 && report.sampled == 4 && report.aboveThreshold == 2)
        #expect(report.humanExamples == 2 && report.selfGeneratedExamples == 1)
        #expect(abs(report.meanBestReward - (90 + 59) / 2.0) < 1e-12)
    }

    /// The mistake the loop exists to correct: on an ad (commercial 30), a sample that flags nothing has eight exact
    /// scores and a high total reward under the default weights, yet it must not be trained on.
    @Test func aSampleThatMissesTheViolatedDimensionIsNeverKept() throws {
        let missed = ScoringPrompt.completion(reasoning: "未发现风险", scores: scores([100, 100, 100, 100, 100, 100, 100, 100, 100]))
        let close = ScoringPrompt.completion(reasoning: "推销引流", scores: scores([40, 100, 100, 100, 100, 100, 100, 100, 100]))
        let similarity = CharNGramTFIDF(corpus: [refB.reasoning, "未发现风险", "推销引流"])
        let missedReward = Reward.score(output: missed, reference: refB, similarity: similarity).total
        #expect(missedReward > 60, "under the default reward the miss looks good (\(missedReward)): the point of the limit")
        let items = [RejectionItem(text: "b", reference: refB, candidates: [
            RejectionCandidate(completion: missed, reward: missedReward), RejectionCandidate(completion: close, reward: 65),
        ])]
        let loose = RejectionSampling.select(items, config: RejectionSamplingConfig(threshold: 60, maxSelfGeneratedShare: 1))
        #expect(loose.examples.map(\.completion) == [refB.completion, missed])
        let (ex, report) = RejectionSampling.select(items, config: RejectionSamplingConfig(threshold: 60, maxSelfGeneratedShare: 1,
                                                                                           maxScoreError: 15))
        #expect(ex.map(\.completion) == [refB.completion, close])
        #expect(report.offScore == 1 && report.aboveThreshold == 2)
        // A prompt none of whose samples is kept is one the model gets wrong: its reference counts twice.
        let missedOnly = [RejectionItem(text: "b", reference: refB, candidates: [RejectionCandidate(completion: missed, reward: missedReward)]),
                          RejectionItem(text: "a", reference: refA, candidates: [])]
        let (twice, r2) = RejectionSampling.select(missedOnly, config: RejectionSamplingConfig(threshold: 60, maxScoreError: 15,
                                                                                               missedReferenceRepeat: 2))
        #expect(twice.map(\.completion) == [refB.completion, refB.completion, refA.completion])
        #expect(twice.allSatisfy { $0.source == .human } && r2.missedPrompts == 1 && r2.humanExamples == 3)
        // An answer whose scores cannot be parsed never agrees.
        #expect(!RejectionSampling.agrees("<reasoning>x</reasoning>", with: refB.scores, within: 100))
    }

    /// `self_generated_on` "clean": an acceptable sample on a correction that flags a dimension is not trained on, and
    /// that correction does not count as missed (its reference is not repeated); on a clean text it is kept as before.
    @Test func underCleanOnlyCleanCorrectionsGiveSelfGeneratedSamples() throws {
        let flagged = ScoringPrompt.completion(reasoning: "推销引流", scores: scores([35, 100, 100, 100, 100, 100, 100, 100, 100]))
        let fine = ScoringPrompt.completion(reasoning: "日常聊天", scores: scores([100, 100, 100, 100, 100, 100, 100, 100, 100]))
        let items = [
            RejectionItem(text: "b", reference: refB, candidates: [RejectionCandidate(completion: flagged, reward: 80)]),
            RejectionItem(text: "a", reference: refA, candidates: [RejectionCandidate(completion: fine, reward: 90)]),
        ]
        var config = RejectionSamplingConfig(threshold: 60, maxSelfGeneratedShare: 1, maxScoreError: 15, missedReferenceRepeat: 2)
        let all = RejectionSampling.select(items, config: config)
        #expect(all.examples.map(\.completion) == [refB.completion, flagged, refA.completion, fine])
        #expect(all.report.onViolations == 0 && all.report.missedPrompts == 0)
        config.selfGeneratedOn = .clean
        let clean = RejectionSampling.select(items, config: config)
        #expect(clean.examples.map(\.completion) == [refB.completion, refA.completion, fine])
        #expect(clean.report.onViolations == 1 && clean.report.missedPrompts == 0 && clean.report.selfGeneratedExamples == 1)
        // A score of exactly the threshold flags nothing; one point below it does.
        let edge = ScoringReference(scores: scores([60, 100, 100, 100, 100, 100, 100, 100, 100]), reasoning: "轻微")
        let below = ScoringReference(scores: scores([59, 100, 100, 100, 100, 100, 100, 100, 100]), reasoning: "违规")
        for (reference, kept) in [(edge, 2), (below, 1)] {
            let one = [RejectionItem(text: "c", reference: reference, candidates: [RejectionCandidate(completion: "s", reward: 90)])]
            #expect(RejectionSampling.select(one, config: RejectionSamplingConfig(threshold: 60, maxSelfGeneratedShare: 1, selfGeneratedOn: .clean))
                .examples.count == kept)
        }
        // The retrain's default is "clean"; the key reads from a retrain configuration, the rest of the object kept.
        #expect(RetrainConfig().rejection.selfGeneratedOn == .clean && RejectionSamplingConfig().selfGeneratedOn == .all)
        let loaded = try RetrainConfig.load(overriding: Data(#"{"rejection": {"self_generated_on": "all"}}"#.utf8))
        #expect(loaded.rejection.selfGeneratedOn == .all && loaded.rejection.maxScoreError == RetrainConfig().rejection.maxScoreError)
        #expect(throws: RetrainError.self) { try RetrainConfig.load(overriding: Data(#"{"rejection": {"self_generated_on": "some"}}"#.utf8)) }
    }

    @Test func thresholdIsStrict() {
        let items = [RejectionItem(text: "a", reference: refA, candidates: [RejectionCandidate(completion: "x", reward: 60)])]
        #expect(RejectionSampling.select(items, config: RejectionSamplingConfig(threshold: 60)).examples.count == 1)
    }

    @Test func duplicatesOfTheReferenceOrEachOtherAreDropped() {
        let items = [RejectionItem(text: "a", reference: refA, candidates: [
            RejectionCandidate(completion: refA.completion, reward: 105), RejectionCandidate(completion: "x", reward: 80),
            RejectionCandidate(completion: "x", reward: 80),
        ])]
        let (ex, report) = RejectionSampling.select(items, config: RejectionSamplingConfig(keepPerPrompt: 3, maxSelfGeneratedShare: 1))
        #expect(ex.map(\.completion) == [refA.completion, "x"])
        #expect(report.duplicates == 2)
    }

    @Test func selfGeneratedShareIsCappedDroppingLowestRewardsFirst() {
        // 2 prompts, 2 kept samples each: 4 self-generated vs 2 human. A 50% cap allows 2; the two lowest go.
        let items = [
            RejectionItem(text: "a", reference: refA, candidates: [
                RejectionCandidate(completion: "a1", reward: 95), RejectionCandidate(completion: "a2", reward: 70),
            ]),
            RejectionItem(text: "b", reference: refB, candidates: [
                RejectionCandidate(completion: "b1", reward: 99), RejectionCandidate(completion: "b2", reward: 65),
            ]),
        ]
        let (ex, report) = RejectionSampling.select(items, config: RejectionSamplingConfig(keepPerPrompt: 2, maxSelfGeneratedShare: 0.5))
        #expect(ex.map(\.completion) == [refA.completion, "a1", refB.completion, "b1"])
        #expect(report.droppedByCap == 2 && report.selfGeneratedShare == 0.5)
        // A third: self ≤ 1/2 · human = 1.
        let third = RejectionSampling.select(items, config: RejectionSamplingConfig(keepPerPrompt: 2, maxSelfGeneratedShare: 1.0 / 3))
        #expect(third.examples.filter { $0.source == .policy }.map(\.completion) == ["b1"])
        // 0 keeps only the human references.
        let none = RejectionSampling.select(items, config: RejectionSamplingConfig(keepPerPrompt: 2, maxSelfGeneratedShare: 0))
        #expect(none.examples.allSatisfy { $0.source == .human } && none.examples.count == 2)
    }

    @Test func distinctNCountsUniqueCharacterNGrams() {
        // "abab": bigrams ab, ba, ab → 2 distinct of 3; "ab": ab → pooled 2 of 4.
        #expect(RejectionSampling.distinctN(["abab"], n: 2) == 2.0 / 3)
        #expect(RejectionSampling.distinctN(["abab", "ab"], n: 2) == 0.5)
        #expect(RejectionSampling.distinctN(["风险风险"], n: 1) == 0.5)
        #expect(RejectionSampling.distinctN(["a"], n: 2) == 0)
        let (_, report) = RejectionSampling.select(
            [RejectionItem(text: "t", reference: refA, candidates: [])], config: RejectionSamplingConfig())
        #expect(report.distinct1 == RejectionSampling.distinctN([refA.completion], n: 1))
    }

    /// End to end on the engine: a random Qwen2 over the real Qwen2 vocabulary, the answer grammar, the reward.
    @Test func samplerRunsTheEngineUnderTheGrammarAndAlwaysKeepsTheReference() throws {
        let tiny = try TinyGrammarModel()
        let (tokenizer, model, grammar) = (tiny.tokenizer, tiny.model, tiny.grammar)
        let reward = ScoringReward(tokenizer: tokenizer, similarity: CharNGramTFIDF(corpus: [refA.reasoning, refB.reasoning]))
        let rs = RejectionSampler(model: model, tokenizer: tokenizer, prompt: .default, reward: reward,
                                  config: RejectionSamplingConfig(samplesPerPrompt: 3, threshold: -1000,
                                                                  maxSelfGeneratedShare: 0.5,
                                                                  maxCompletionLength: ScoreConstraint.guaranteedAnswerReserve + 8),
                                  grammar: grammar)
        let examples = [ScoringExample(text: "你好", reference: refA), ScoringExample(text: "广告", reference: refB)]
        let items = rs.candidates(for: examples, adapter: nil)
        #expect(items.count == 2 && items.allSatisfy { $0.candidates.count == 3 })
        for c in items.flatMap(\.candidates) {
            let parsed = AnswerParser.parse(c.completion)
            #expect(parsed.formatOK, "the grammar makes every sample well formed: \(parsed.problems)")
            #expect(c.reward > -110)
        }
        let (kept, report) = RejectionSampling.select(items, config: rs.config)
        #expect(kept.filter { $0.source == .human }.map(\.completion) == [refA.completion, refB.completion])
        #expect(kept.count == 4 && report.selfGeneratedShare == 0.5)
        // The SFT sequence: prompt tokens exactly as the scorer builds them, completion + end token scored.
        let eos = tokenizer.tokenID("<|im_end|>")!
        let seq = kept[0].sftSample(prompt: .default, tokenizer: tokenizer, endToken: eos).sequence()
        let promptIDs = ScoringExample.promptTokens(text: "你好", prompt: .default, tokenizer: tokenizer)
        #expect(Array(seq.tokens.prefix(promptIDs.count)) == promptIDs && seq.targetStart == promptIDs.count - 1)
        #expect(seq.tokens.last == eos)
        #expect(tokenizer.decode(Array(seq.tokens[promptIDs.count..<(seq.tokens.count - 1)])) == refA.completion)
    }
}
