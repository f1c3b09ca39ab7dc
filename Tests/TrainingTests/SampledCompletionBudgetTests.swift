import Foundation
import Scoring
import Testing
@testable import Training

/// Samples of rejection sampling and GRPO run under the answer grammar, which forces the answer once only enough tokens
/// for it are left. A completion budget under that reserve forces every answer as soon as `<reasoning>` is written: the
/// samples carry no reasoning and are all alike, so rejection sampling keeps reasoning-less completions and GRPO sees
/// tied groups.
@Suite struct SampledCompletionBudgetTests {
    /// Token counts of the reasonings of a random tiny model's samples under the grammar, with `budget` tokens per
    /// completion.
    static func reasoningTokens(budget: Int) throws -> [Int] {
        let tiny = try TinyGrammarModel()
        let (tokenizer, model, grammar) = (tiny.tokenizer, tiny.model, tiny.grammar)
        let reference = ScoringReference(scores: try DimensionScores(uniform: 100), reasoning: "未发现风险")
        let reward = ScoringReward(tokenizer: tokenizer, similarity: CharNGramTFIDF(corpus: [reference.reasoning]))
        let sampler = RejectionSampler(model: model, tokenizer: tokenizer, prompt: .default, reward: reward,
                                       config: RejectionSamplingConfig(samplesPerPrompt: 4, threshold: -1000, maxCompletionLength: budget),
                                       grammar: grammar)
        let items = sampler.candidates(for: [ScoringExample(text: "兼职刷单，日结300", reference: reference)], adapter: nil)
        return items.flatMap(\.candidates).map { c in
            let parsed = AnswerParser.parse(c.completion)
            #expect(parsed.formatOK, "\(parsed.problems)")
            return tokenizer.encode(parsed.reasoning ?? "", parseSpecialTokens: false).count
        }
    }

    /// 256 was the retrain's budget before it was checked: under the reserve from the start, so the answer was forced
    /// as soon as `<reasoning>` was written, and a reasoning held at most the rest of the token that closed that tag.
    @Test func aBudgetUnderTheAnswerReserveLeavesNoReasoningAndTheMinimumDoes() throws {
        #expect(256 < ScoreConstraint.guaranteedAnswerReserve)
        let forced = try Self.reasoningTokens(budget: 256)
        #expect(forced.count == 4 && forced.allSatisfy { $0 <= 1 }, "forced at once: \(forced) tokens")
        let free = try Self.reasoningTokens(budget: ScoreConstraint.minimumSampledCompletion)
        #expect(free.count == 4 && free.allSatisfy { $0 >= ScoreConstraint.minimumReasoningTokens / 2 }, "reasoned first: \(free) tokens")
    }

    @Test func theRetrainDefaultsLeaveRoomToReasonAndASmallerBudgetIsRefused() throws {
        let defaults = RetrainConfig()
        try defaults.validate()
        #expect(defaults.rejection.maxCompletionLength >= ScoreConstraint.minimumSampledCompletion)
        #expect(defaults.grpo.maxCompletionLength >= ScoreConstraint.minimumSampledCompletion)
        for (key, override) in [("rejection.max_completion_length", #"{"rejection": {"max_completion_length": 256}}"#),
                                ("grpo.max_completion_length", #"{"grpo": {"max_completion_length": 256}}"#)]
        {
            var message = ""
            do { _ = try RetrainConfig.load(overriding: Data(override.utf8)) } catch let error as RetrainError { message = error.description }
            #expect(message.hasPrefix("\(key) 256 is below \(ScoreConstraint.minimumSampledCompletion)"), "\(message)")
        }
    }
}
