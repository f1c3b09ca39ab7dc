import Foundation
@testable import Scoring
import Testing
@testable import Training

/// The trainer's control flow on a hand-checkable bigram policy (TabularPolicy).
@Suite struct RLGRPOTrainerTests {
    static let target = 5

    /// Fraction of completion tokens equal to `target`.
    static func targetFraction(_ p: GRPOPrompt, _ g: Generation) -> RewardBreakdown {
        .plain(Double(g.tokens.filter { $0 == target }.count) / Double(max(1, g.tokens.count)))
    }

    @Test func tabularPolicyLearnsToEmitTheTargetToken() throws {
        let policy = TabularPolicy(vocabulary: 8, seed: 1)
        var adam = ToyAdam(lr: 0.2)
        let trainer = try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 8, maxCompletionLength: 6, seed: 7),
                                      stopTokens: [], reward: Self.targetFraction, optimizerStep: { adam.step(policy) })
        let prompts = (0..<4).map { GRPOPrompt(tokens: [$0]) }
        let curve = (0..<30).map { _ in trainer.step(prompts).meanReward }
        let first = curve.prefix(5).reduce(0, +) / 5, last = curve.suffix(5).reduce(0, +) / 5
        print("tabular GRPO mean reward: first 5 steps \(first), last 5 steps \(last)")
        #expect(first < 0.3 && last > first + 0.4, "curve: \(curve)")
    }

    @Test func tiedGroupsAreSkippedAndNothingIsTrained() throws {
        let policy = TabularPolicy(vocabulary: 8, seed: 1)
        var steps = 0
        var seen: [GRPOStepStats] = []
        let trainer = try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 4, maxCompletionLength: 3),
                                      stopTokens: [], reward: { _, _ in .plain(1) }, optimizerStep: { steps += 1 })
        trainer.onStep = { seen.append($0) }
        let s = trainer.step([GRPOPrompt(tokens: [0]), GRPOPrompt(tokens: [1])])
        #expect(s.skippedGroups == 2 && s.trainedRows == 0 && !s.updated && steps == 0)
        #expect(policy.calls == ["sample"])
        #expect(seen == [s] && trainer.stepCount == 1)
    }

    @Test func onlyGroupsWithSignalAreTrained() throws {
        let policy = TabularPolicy(vocabulary: 8, seed: 1)
        // Prompt 0's group ties (reward 0), prompt 1's does not.
        let trainer = try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 4, maxCompletionLength: 3),
                                      stopTokens: [], reward: { p, g in .plain(p.tokens == [0] ? 0 : Double(g.tokens[0])) },
                                      optimizerStep: {})
        let s = trainer.step([GRPOPrompt(tokens: [0]), GRPOPrompt(tokens: [1])])
        #expect(s.skippedGroups == 1 && s.trainedRows == 4 && s.trainedTokens == 12 && s.updated)
    }

    @Test func microBatchSizeDoesNotChangeTheGradient() throws {
        func gradient(microBatch: Int, lossType: GRPOLossType) throws -> [Float] {
            let policy = TabularPolicy(vocabulary: 8, seed: 2)
            var captured: [Float] = []
            let cfg = GRPOConfig(groupSize: 4, loss: GRPOLossConfig(lossType: lossType), maxCompletionLength: 5,
                                 microBatchSize: microBatch, seed: 3)
            let trainer = try GRPOTrainer(policy: policy, config: cfg, stopTokens: [6], reward: Self.targetFraction,
                                          optimizerStep: { captured = policy.grad })
            trainer.step((0..<3).map { GRPOPrompt(tokens: [$0]) })
            return captured
        }
        for lossType in GRPOLossType.allCases {
            let whole = try gradient(microBatch: 64, lossType: lossType), split = try gradient(microBatch: 1, lossType: lossType)
            #expect(whole.contains { $0 != 0 })
            let d = zip(whole, split).map { abs($0 - $1) }.max()!
            #expect(d < 1e-6, "\(lossType): max |Δgrad| = \(d)")
        }
    }

    @Test func truncatedCompletionsCanBeMaskedOut() throws {
        for mask in [false, true] {
            let policy = TabularPolicy(vocabulary: 8, seed: 4)
            let trainer = try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 8, maxCompletionLength: 3,
                                                                            maskTruncatedCompletions: mask),
                                          stopTokens: [2, 3, 4], reward: Self.targetFraction, optimizerStep: {})
            let s = trainer.step([GRPOPrompt(tokens: [0]), GRPOPrompt(tokens: [1])])
            #expect(s.truncatedCompletions > 0 && s.truncatedCompletions < 16)
            // Every truncated completion has 3 tokens; a masked one contributes none.
            let all = Int((s.meanCompletionTokens * 16).rounded())
            #expect(s.trainedTokens == (mask ? all - 3 * s.truncatedCompletions : all), "mask \(mask)")
        }
    }

    @Test func severalPassesFreezeOldLogProbsAndBetaAddsAReferencePass() throws {
        let policy = TabularPolicy(vocabulary: 8, seed: 5)
        var adam = ToyAdam(lr: 0.5)
        let cfg = GRPOConfig(groupSize: 4, loss: GRPOLossConfig(beta: 0.04), iterations: 2, maxCompletionLength: 4)
        let trainer = try GRPOTrainer(policy: policy, config: cfg, stopTokens: [], reward: Self.targetFraction,
                                      optimizerStep: { adam.step(policy) })
        let s = trainer.step([GRPOPrompt(tokens: [0]), GRPOPrompt(tokens: [1])])
        #expect(policy.calls == ["sample", "logprobs(reference)", "logprobs(policy)",
                                 "zeroGrad", "forward", "backward", "step", "zeroGrad", "forward", "backward", "step"])
        #expect(s.updated && s.meanKL == 0, "the first pass starts at the reference: θ = 0")
    }

    @Test func singlePassUsesTheForwardPassAsOldPolicy() throws {
        let policy = TabularPolicy(vocabulary: 8, seed: 5)
        let trainer = try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 4, maxCompletionLength: 4, microBatchSize: 4),
                                      stopTokens: [], reward: Self.targetFraction, optimizerStep: {})
        let s = trainer.step([GRPOPrompt(tokens: [0]), GRPOPrompt(tokens: [1])])
        #expect(policy.calls == ["sample", "zeroGrad", "forward", "backward", "forward", "backward"])
        #expect(s.clipFraction == 0, "ratio is exactly 1")
    }

    @Test func invalidConfigurationsAreRejected() {
        let policy = TabularPolicy(vocabulary: 4, seed: 0)
        #expect(throws: GRPOConfigError.self) {
            try GRPOTrainer(policy: policy, config: GRPOConfig(groupSize: 1), stopTokens: [], reward: Self.targetFraction,
                            optimizerStep: {})
        }
        #expect(throws: GRPOConfigError.self) {
            try GRPOTrainer(policy: policy, config: GRPOConfig(temperature: 0), stopTokens: [], reward: Self.targetFraction,
                            optimizerStep: {})
        }
    }

    @Test func configDecodesTRLNamesWithDefaults() throws {
        let json = #"{"num_generations": 4, "loss": {"loss_type": "grpo", "beta": 0.04}, "scale_rewards": "group"}"#
        let c = try JSONDecoder().decode(GRPOConfig.self, from: Data(json.utf8))
        #expect(c.groupSize == 4 && c.loss.lossType == .grpo && c.loss.beta == 0.04 && c.loss.epsilonHigh == 0.28)
        #expect(c.advantageScaling == .group && c.iterations == 1 && c.maxCompletionLength == 256)
        #expect(GRPOConfig().loss.lossType == .drGRPO && GRPOConfig().advantageScaling == .none, "DESIGN §4 defaults")
    }
}
