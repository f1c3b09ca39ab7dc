import Foundation
import Scoring

/// One supervised example: the loss covers the completion tokens only.
public struct SFTSample: Codable, Sendable, Equatable {
    public var prompt: [Int]
    public var completion: [Int]
    /// Each completion token's weight in the loss (nil: all 1). The loss of a step is Σ w·(−log p) / Σ w over its
    /// scored tokens, so a weight above 1 makes a token count for more (the scores of an answer against its reasoning).
    public var weights: [Float]?

    public init(prompt: [Int], completion: [Int], weights: [Float]? = nil) {
        self.prompt = prompt; self.completion = completion; self.weights = weights
    }

    /// The weights of the first `count` completion tokens (1 where none is given; a negative or non-finite weight
    /// counts as 0).
    public func tokenWeights(count: Int) -> [Float] {
        (0..<count).map { i in
            guard let weights, i < weights.count else { return 1 }
            let w = weights[i]
            return w.isFinite && w > 0 ? w : 0
        }
    }

    /// prompt + completion (truncated to maxLength), scored from the position that predicts completion[0].
    public func sequence(maxLength: Int? = nil) -> TrainingSequence {
        var tokens = prompt + completion
        if let maxLength, tokens.count > maxLength { tokens.removeLast(tokens.count - maxLength) }
        return TrainingSequence(tokens: tokens, targetStart: max(prompt.count - 1, 0))
    }
}

/// Supervised fine-tuning settings.
public struct SFTConfig: Codable, Sendable, Equatable {
    /// Samples per micro-batch (one forward + backward).
    public var batchSize = 4
    /// Micro-batches per optimiser step; the loss is the mean over every completion token of the step.
    public var gradientAccumulation = 1
    public var epochs = 1
    /// Stop after this many optimiser steps (default: epochs × steps per epoch).
    public var maxSteps: Int?
    public var optimizer = AdamWConfig(learningRate: 1e-4, weightDecay: 0)
    public var schedule: LearningRateSchedule.Kind = .cosine
    public var warmupSteps = 0
    public var minLearningRateRatio: Float = 0
    /// Global gradient-norm clipping (nil: none).
    public var maxGradNorm: Float? = 1.0
    /// Samples longer than this are cut at the end (their completion is shortened).
    public var maxLength: Int?
    /// Seeds the data order (reshuffled every epoch).
    public var seed: UInt64 = 0
    public var shuffle = true
    /// Re-run each layer in backward instead of keeping its activations.
    public var recomputeActivations = false

    public init() {}
}

/// What one optimiser step did (for a progress bar and a JSON log).
public struct SFTStepReport: Codable, Sendable, Equatable {
    /// 1-based optimiser step.
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    /// Mean cross-entropy over the step's completion tokens (weighted by `SFTSample.weights`), before the update.
    public var loss: Float
    public var learningRate: Float
    /// Global gradient norm before clipping.
    public var gradNorm: Float
    public var samples: Int
    /// Tokens run through the model / completion tokens scored.
    public var tokens: Int
    public var scoredTokens: Int
    public var seconds: Double
    public var tokensPerSecond: Double
    /// Set on steps where validation ran.
    public var validationLoss: Float?
}

/// Where an SFT run is: restored exactly from a checkpoint.
public struct SFTTrainerState: Codable, Sendable, Equatable {
    public var step = 0
    public var epoch = 0
    /// This epoch's sample order and how far into it the run is.
    public var order: [Int] = []
    public var cursor = 0
    public var rng: SplitMix64
    public var config: SFTConfig
    public var trainCount: Int
}
