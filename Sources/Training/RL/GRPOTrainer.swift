import Foundation
import Scoring

/// The GRPO run's settings (DESIGN.md §4; TRL names in the coding keys where TRL has one).
public struct GRPOConfig: Codable, Sendable, Equatable {
    /// G completions per prompt.
    public var groupSize: Int
    public var loss: GRPOLossConfig
    public var advantageScaling: AdvantageScaling
    /// μ: optimisation passes over each sampled batch (TRL `num_iterations`). With μ = 1 the old policy is the current
    /// one and the ratio is exactly 1.
    public var iterations: Int
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    /// Most tokens per completion; also dr_grpo's constant normaliser (TRL `max_completion_length`).
    public var maxCompletionLength: Int
    /// Leave completions cut off at `maxCompletionLength` out of the loss (TRL `mask_truncated_completions`).
    public var maskTruncatedCompletions: Bool
    /// Leave out groups whose rewards all tie (within `tieTolerance`): their advantages are 0.
    public var skipTiedGroups: Bool
    public var tieTolerance: Double
    /// Rows per forward/backward pass; gradients of the micro-batches add up to the whole batch's.
    public var microBatchSize: Int
    public var seed: UInt64

    public init(groupSize: Int = 8, loss: GRPOLossConfig = GRPOLossConfig(), advantageScaling: AdvantageScaling = .none,
                iterations: Int = 1, temperature: Float = 1, topK: Int = 0, topP: Float = 1, maxCompletionLength: Int = 256,
                maskTruncatedCompletions: Bool = false, skipTiedGroups: Bool = true, tieTolerance: Double = 1e-9,
                microBatchSize: Int = 8, seed: UInt64 = 0) {
        self.groupSize = groupSize; self.loss = loss; self.advantageScaling = advantageScaling; self.iterations = iterations
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.maxCompletionLength = maxCompletionLength
        self.maskTruncatedCompletions = maskTruncatedCompletions; self.skipTiedGroups = skipTiedGroups
        self.tieTolerance = tieTolerance; self.microBatchSize = microBatchSize; self.seed = seed
    }

    private enum CodingKeys: String, CodingKey {
        case groupSize = "num_generations", loss, advantageScaling = "scale_rewards", iterations = "num_iterations"
        case temperature, topK = "top_k", topP = "top_p", maxCompletionLength = "max_completion_length"
        case maskTruncatedCompletions = "mask_truncated_completions", skipTiedGroups = "skip_tied_groups"
        case tieTolerance = "tie_tolerance", microBatchSize = "micro_batch_size", seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GRPOConfig()
        groupSize = try c.decodeIfPresent(Int.self, forKey: .groupSize) ?? d.groupSize
        loss = try c.decodeIfPresent(GRPOLossConfig.self, forKey: .loss) ?? d.loss
        advantageScaling = try c.decodeIfPresent(AdvantageScaling.self, forKey: .advantageScaling) ?? d.advantageScaling
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations) ?? d.iterations
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        maxCompletionLength = try c.decodeIfPresent(Int.self, forKey: .maxCompletionLength) ?? d.maxCompletionLength
        maskTruncatedCompletions = try c.decodeIfPresent(Bool.self, forKey: .maskTruncatedCompletions) ?? d.maskTruncatedCompletions
        skipTiedGroups = try c.decodeIfPresent(Bool.self, forKey: .skipTiedGroups) ?? d.skipTiedGroups
        tieTolerance = try c.decodeIfPresent(Double.self, forKey: .tieTolerance) ?? d.tieTolerance
        microBatchSize = try c.decodeIfPresent(Int.self, forKey: .microBatchSize) ?? d.microBatchSize
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    /// Throws a message naming the bad setting.
    public func validate() throws(GRPOConfigError) {
        if groupSize < 2 { throw .invalid("num_generations must be at least 2 (a group of one has no relative advantage); got \(groupSize)") }
        if iterations < 1 { throw .invalid("num_iterations must be at least 1; got \(iterations)") }
        if maxCompletionLength < 1 { throw .invalid("max_completion_length must be at least 1; got \(maxCompletionLength)") }
        if microBatchSize < 1 { throw .invalid("micro_batch_size must be at least 1; got \(microBatchSize)") }
        if !(loss.epsilonLow >= 0 && loss.epsilonLow < 1) { throw .invalid("epsilon_low must be in [0, 1); got \(loss.epsilonLow)") }
        if !(loss.epsilonHigh >= 0) { throw .invalid("epsilon_high must be ≥ 0; got \(loss.epsilonHigh)") }
        if !(loss.beta >= 0) { throw .invalid("beta must be ≥ 0; got \(loss.beta)") }
        if !(temperature > 0) { throw .invalid("temperature must be > 0 for sampling; got \(temperature)") }
    }
}

public enum GRPOConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String { switch self { case let .invalid(m): "GRPO configuration: \(m)" } }
}

/// One training prompt: the token ids the model reads (scoring prompt prefix + suffix, tokenised separately) and
/// the label the reward compares with.
public struct GRPOPrompt: Sendable {
    public var tokens: [Int]
    public var reference: ScoringReference?

    public init(tokens: [Int], reference: ScoringReference? = nil) {
        self.tokens = tokens
        self.reference = reference
    }
}

/// What one GRPO step did, for logs, the dashboard and the training-run record.
public struct GRPOStepStats: Codable, Sendable, Equatable {
    public var step = 0
    public var prompts = 0
    public var completions = 0
    /// Groups left out because their rewards tied.
    public var skippedGroups = 0
    /// Completions cut off at `maxCompletionLength`.
    public var truncatedCompletions = 0
    public var meanCompletionTokens = 0.0
    public var meanReward = 0.0
    public var rewardStd = 0.0
    /// Means of the reward parts over all completions.
    public var meanFormat = 0.0
    public var meanKeys = 0.0
    public var meanScores = 0.0
    public var meanReasoning = 0.0
    public var parseableFraction = 0.0
    /// Loss of the first optimisation pass (the one TRL logs for μ = 1).
    public var loss = 0.0
    public var meanKL = 0.0
    public var clipLowFraction = 0.0
    public var clipHighFraction = 0.0
    public var clipFraction = 0.0
    /// Rows and unmasked tokens that went into the loss.
    public var trainedRows = 0
    public var trainedTokens = 0
    /// Gradient norm before clipping, as the optimizer step reported it (first pass); nil when it reports none.
    public var gradNorm: Double?
    /// False when every group tied (or every token was masked): no optimizer step was taken.
    public var updated = false
    public var sampleSeconds = 0.0
    public var trainSeconds = 0.0
    /// Generated tokens per second while sampling.
    public var sampleTokensPerSecond = 0.0
    /// Sequence tokens (prompt + completion) per second through forward + backward, all μ passes.
    public var trainTokensPerSecond = 0.0

    public init() {}
}

/// GRPO (Shao et al. 2024) over a `GRPOPolicy`: sample G completions per prompt, reward them, turn rewards into
/// group-relative advantages, then μ passes of forward → clipped-surrogate loss (+ β·KL) → backward → optimizer step.
///
/// The optimizer is the caller's (`optimizerStep` runs AdamW over the trainable parameters, with any gradient
/// clipping, and may return the pre-clip gradient norm for the stats); the trainer only leaves the gradients of the
/// whole batch in the policy before calling it. For `TrainableQwen2` there is a convenience initialiser with AdamW.
///
/// Log-probs in the loss are the policy's own (temperature 1, no grammar mask), as TRL computes them at temperature 1;
/// sampling at another temperature, or under the answer grammar, draws from a shifted distribution that the ratio
/// does not correct for (the usual practice: the grammar only removes tokens that would break the format).
public final class GRPOTrainer<Policy: GRPOPolicy> {
    public typealias RewardFunction = (_ prompt: GRPOPrompt, _ completion: Generation) -> RewardBreakdown

    public let policy: Policy
    public let config: GRPOConfig
    /// Tokens that end a completion (EOS); they are part of the completion and of its loss.
    public let stopTokens: Set<Int>
    /// Grammar constraint for well-formed answers, copied fresh for every completion; nil = free sampling.
    public let constraint: (any TokenConstraint)?
    public let reward: RewardFunction
    private let optimizerStep: () -> Float?
    /// Called after every step with its statistics.
    public var onStep: ((GRPOStepStats) -> Void)?
    public private(set) var stepCount = 0

    public init(policy: Policy, config: GRPOConfig, stopTokens: Set<Int>, constraint: (any TokenConstraint)? = nil,
                reward: @escaping RewardFunction, optimizerStep: @escaping () -> Float?) throws(GRPOConfigError) {
        try config.validate()
        self.policy = policy; self.config = config; self.stopTokens = stopTokens; self.constraint = constraint
        self.reward = reward; self.optimizerStep = optimizerStep
    }

    /// The same with an optimizer step that reports no gradient norm.
    public convenience init(policy: Policy, config: GRPOConfig, stopTokens: Set<Int>, constraint: (any TokenConstraint)? = nil,
                            reward: @escaping RewardFunction, optimizerStep: @escaping () -> Void) throws(GRPOConfigError) {
        try self.init(policy: policy, config: config, stopTokens: stopTokens, constraint: constraint, reward: reward,
                      optimizerStep: { () -> Float? in optimizerStep(); return nil })
    }

    /// Sampling parameters of prompt `i` in the current step: a seed of its own, derived from the run's seed.
    func samplingParameters(promptIndex i: Int) -> SamplingParameters {
        var mix = SplitMix64(seed: config.seed &+ (UInt64(stepCount) << 32) &+ UInt64(i))
        return SamplingParameters(temperature: config.temperature, topK: config.topK, topP: config.topP, seed: mix.next(),
                                  maxTokens: config.maxCompletionLength, stopTokens: stopTokens)
    }

    /// One GRPO step on a batch of prompts.
    @discardableResult
    public func step(_ prompts: [GRPOPrompt]) -> GRPOStepStats {
        precondition(!prompts.isEmpty, "a GRPO step needs at least one prompt")
        let G = config.groupSize
        var stats = GRPOStepStats()
        stats.step = stepCount
        stats.prompts = prompts.count

        // 1. Sample G completions per prompt from the current policy.
        let t0 = Date()
        let generations = policy.sample(prompts: prompts.map(\.tokens), count: G,
                                        parameters: prompts.indices.map { samplingParameters(promptIndex: $0) },
                                        constraint: constraint.map { BudgetedConstraint($0, maxTokens: config.maxCompletionLength) })
        precondition(generations.count == prompts.count && generations.allSatisfy { $0.count == G })
        stats.sampleSeconds = Date().timeIntervalSince(t0)

        // 2. Rewards and advantages.
        var rewards: [Double] = []
        var generatedTokens = 0
        var partSums = (format: 0.0, keys: 0.0, scores: 0.0, reasoning: 0.0, parseable: 0.0)
        for (p, group) in zip(prompts, generations) {
            for g in group {
                let r = reward(p, g)
                rewards.append(r.total)
                partSums.format += r.format; partSums.keys += r.keys; partSums.scores += r.scores
                partSums.reasoning += r.reasoning; partSums.parseable += r.parseable ? 1 : 0
                generatedTokens += g.tokens.count
                if g.finishReason == .length { stats.truncatedCompletions += 1 }
            }
        }
        let n = Double(rewards.count)
        stats.completions = rewards.count
        stats.meanCompletionTokens = Double(generatedTokens) / n
        stats.sampleTokensPerSecond = stats.sampleSeconds > 0 ? Double(generatedTokens) / stats.sampleSeconds : 0
        stats.meanReward = rewards.reduce(0, +) / n
        stats.rewardStd = (rewards.reduce(0) { $0 + ($1 - stats.meanReward) * ($1 - stats.meanReward) } / n).squareRoot()
        stats.meanFormat = partSums.format / n; stats.meanKeys = partSums.keys / n; stats.meanScores = partSums.scores / n
        stats.meanReasoning = partSums.reasoning / n; stats.parseableFraction = partSums.parseable / n

        let advantages = GRPOAdvantages.compute(rewards: rewards, groupSize: G, scaling: config.advantageScaling)
        let tied = config.skipTiedGroups
            ? GRPOAdvantages.tiedGroups(rewards: rewards, groupSize: G, tolerance: config.tieTolerance)
            : Array(repeating: false, count: prompts.count)
        stats.skippedGroups = tied.filter { $0 }.count

        // 3. The rows that carry signal.
        var sequences: [TrainingSequence] = []
        var rowAdvantages: [Double] = []
        var masks: [[Bool]] = []
        for (i, p) in prompts.enumerated() where !tied[i] {
            for (j, g) in generations[i].enumerated() {
                sequences.append(TrainingSequence(tokens: p.tokens + g.tokens, targetStart: p.tokens.count - 1))
                rowAdvantages.append(advantages[i * G + j])
                let keep = !(config.maskTruncatedCompletions && g.finishReason == .length)
                masks.append(Array(repeating: keep, count: g.tokens.count))
            }
        }
        let tokenCounts = masks.map { $0.filter { $0 }.count }
        stats.trainedRows = sequences.count
        stats.trainedTokens = tokenCounts.reduce(0, +)
        defer {
            stepCount += 1
            onStep?(stats)
        }
        guard stats.trainedTokens > 0 else { return stats }

        // 4. μ optimisation passes, each over all micro-batches, then one optimizer step.
        let t1 = Date()
        let weights = GRPOLoss.rowWeights(tokenCounts: tokenCounts, lossType: config.loss.lossType,
                                          maxCompletionLength: config.maxCompletionLength)
        let chunks = stride(from: 0, to: sequences.count, by: config.microBatchSize).map {
            $0..<min($0 + config.microBatchSize, sequences.count)
        }
        let reference: [[Float]]? = config.loss.beta != 0
            ? chunks.flatMap { policy.logprobs(Array(sequences[$0]), adapterEnabled: false) } : nil
        // With μ = 1 the sampling policy is the current one: old log-probs are the forward pass's own (as TRL).
        let old: [[Float]]? = config.iterations > 1
            ? chunks.flatMap { policy.logprobs(Array(sequences[$0]), adapterEnabled: true) } : nil
        var trainedSequenceTokens = 0
        for pass in 0..<config.iterations {
            policy.zeroGrad()
            var passLoss = 0.0
            var passStats = GRPOLossStats()
            for c in chunks {
                let batch = Array(sequences[c])
                let (fw, logps) = policy.forwardLogprobs(batch)
                let rows = GRPORows(logps: logps, oldLogps: old.map { Array($0[c]) } ?? logps,
                                    refLogps: reference.map { Array($0[c]) }, advantages: Array(rowAdvantages[c]),
                                    masks: Array(masks[c]))
                let result = GRPOLoss.compute(rows, config: config.loss, maxCompletionLength: config.maxCompletionLength,
                                              rowWeights: Array(weights[c]))
                policy.backward(fw, dLogprobs: result.dLogps)
                passLoss += result.loss
                passStats = passStats + result.stats
                trainedSequenceTokens += batch.reduce(0) { $0 + $1.tokens.count }
            }
            let norm = optimizerStep()
            if pass == 0 {
                stats.gradNorm = norm.map(Double.init)
                stats.loss = passLoss
                stats.meanKL = passStats.meanKL
                stats.clipLowFraction = passStats.clipLowFraction
                stats.clipHighFraction = passStats.clipHighFraction
                stats.clipFraction = passStats.clipFraction
            } else {
                // Clipping only happens from the second pass on; report the largest fractions seen.
                stats.clipLowFraction = max(stats.clipLowFraction, passStats.clipLowFraction)
                stats.clipHighFraction = max(stats.clipHighFraction, passStats.clipHighFraction)
                stats.clipFraction = max(stats.clipFraction, passStats.clipFraction)
            }
        }
        stats.updated = true
        stats.trainSeconds = Date().timeIntervalSince(t1)
        stats.trainTokensPerSecond = stats.trainSeconds > 0 ? Double(trainedSequenceTokens) / stats.trainSeconds : 0
        return stats
    }
}
