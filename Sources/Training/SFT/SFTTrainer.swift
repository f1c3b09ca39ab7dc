import Foundation
import Scoring

/// Supervised fine-tuning: batches of variable-length (prompt, completion) samples, cross-entropy on the completion
/// tokens only, gradient accumulation, AdamW with warmup + decay and clipping, validation loss, and checkpoints that
/// resume bit for bit (weights, moments, step, RNG, data order).
/// Not thread-safe (it drives one model); `Sendable` so a background job can own it.
public final class SFTTrainer: @unchecked Sendable {
    public let model: TrainableQwen2
    public let optimizer: AdamW
    public let train: [SFTSample]
    public let validation: [SFTSample]
    public private(set) var state: SFTTrainerState
    public var config: SFTConfig { state.config }

    public init(model: TrainableQwen2, train: [SFTSample], validation: [SFTSample] = [], config: SFTConfig) {
        precondition(!train.isEmpty, "SFT needs at least one training sample")
        precondition(config.batchSize > 0 && config.gradientAccumulation > 0, "batch size and accumulation must be positive")
        self.model = model; self.train = train; self.validation = validation
        optimizer = AdamW(config: config.optimizer)
        state = SFTTrainerState(rng: SplitMix64(seed: config.seed), config: config, trainCount: train.count)
        model.recomputeActivations = config.recomputeActivations
        state.order = nextOrder()
    }

    public var samplesPerStep: Int { config.batchSize * config.gradientAccumulation }
    public var stepsPerEpoch: Int { (train.count + samplesPerStep - 1) / samplesPerStep }
    public var totalSteps: Int { config.maxSteps ?? config.epochs * stepsPerEpoch }
    public var isFinished: Bool { state.step >= totalSteps }

    public var schedule: LearningRateSchedule {
        LearningRateSchedule(kind: config.schedule, peak: config.optimizer.learningRate, warmupSteps: config.warmupSteps,
                             totalSteps: totalSteps, minRatio: config.minLearningRateRatio)
    }

    /// A fresh epoch order: Fisher–Yates over the trainer's own SplitMix64, spelled out so the order depends only on
    /// the seed and the checkpointed RNG state, not on the standard library's shuffle.
    private func nextOrder() -> [Int] {
        var order = Array(0..<train.count)
        guard config.shuffle else { return order }
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(state.rng.next() % UInt64(i + 1)))
        }
        return order
    }

    /// The next step's samples: the rest of this epoch's order, up to one step's worth (a new epoch starts a new
    /// shuffled order; the last step of an epoch may be short).
    private func takeStepSamples() -> [SFTSample] {
        if state.cursor >= state.order.count {
            state.epoch += 1
            state.order = nextOrder()
            state.cursor = 0
        }
        let end = min(state.cursor + samplesPerStep, state.order.count)
        let picked = state.order[state.cursor..<end].map { train[$0] }
        state.cursor = end
        return picked
    }

    /// One optimiser step over batchSize × gradientAccumulation samples.
    @discardableResult
    public func step() -> SFTStepReport {
        let t0 = Self.now()
        let samples = takeStepSamples()
        let sequences = samples.map { $0.sequence(maxLength: config.maxLength) }
        let scored = sequences.reduce(0) { $0 + $1.scoredCount }
        let tokens = sequences.reduce(0) { $0 + $1.tokens.count }
        let weights = zip(samples, sequences).map { $0.tokenWeights(count: $1.scoredCount) }
        let weightSum = weights.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } }
        model.zeroGrad()
        var lossSum: Double = 0
        if weightSum > 0 {
            // Weighted mean over every completion token of the step (not per micro-batch), so accumulation does not
            // change the loss; with no weights given, the plain mean.
            var i = 0
            while i < sequences.count {
                let range = i..<min(i + config.batchSize, sequences.count)
                let micro = Array(sequences[range])
                i += config.batchSize
                guard micro.contains(where: { $0.scoredCount > 0 }) else { continue }
                let pass = model.forward(micro)
                let w = Array(weights[range])
                for (lp, wk) in zip(pass.logprobs, w) { for (x, wt) in zip(lp, wk) { lossSum -= Double(wt) * Double(x) } }
                model.backward(pass, dLogprobs: w.map { $0.map { -$0 / Float(weightSum) } })
            }
        }
        let gradNorm = config.maxGradNorm.map { model.parameters.clipGradNorm(maxNorm: $0) } ?? model.parameters.gradNorm()
        let lr = schedule.rate(at: state.step)
        optimizer.step(model.parameters, learningRate: lr)
        state.step += 1
        let seconds = Self.now() - t0
        return SFTStepReport(step: state.step, totalSteps: totalSteps, epoch: state.epoch, loss: Float(weightSum > 0 ? lossSum / weightSum : 0),
                             learningRate: lr, gradNorm: gradNorm, samples: samples.count, tokens: tokens, scoredTokens: scored,
                             seconds: seconds, tokensPerSecond: Double(tokens) / max(seconds, 1e-9), validationLoss: nil)
    }

    /// Runs to the end (or maxSteps), validating every `validateEvery` steps and at the end when a validation set is
    /// given. `onStep` sees every report; throwing from it stops the run (e.g. cancellation).
    @discardableResult
    public func run(validateEvery: Int? = nil) -> [SFTStepReport] { run(validateEvery: validateEvery, onStep: { _ in }) }

    @discardableResult
    public func run(validateEvery: Int? = nil, onStep: (SFTStepReport) throws -> Void) rethrows -> [SFTStepReport] {
        var reports: [SFTStepReport] = []
        while !isFinished {
            var r = step()
            if !validation.isEmpty, isFinished || (validateEvery.map { r.step % $0 == 0 } ?? false) {
                r.validationLoss = validationLoss()
            }
            reports.append(r)
            try onStep(r)
        }
        return reports
    }

    /// Mean cross-entropy over every completion token of the validation set (no activations kept).
    public func validationLoss() -> Float? { Self.loss(model: model, samples: validation, batchSize: config.batchSize, maxLength: config.maxLength) }

    /// Mean completion-token cross-entropy of any sample set.
    public static func loss(model: TrainableQwen2, samples: [SFTSample], batchSize: Int = 4, maxLength: Int? = nil) -> Float? {
        var total: Double = 0, count = 0
        var i = 0
        while i < samples.count {
            let batch = samples[i..<min(i + batchSize, samples.count)].map { $0.sequence(maxLength: maxLength) }
            i += batchSize
            for lp in model.logprobs(batch, adapterEnabled: true) { for x in lp { total -= Double(x); count += 1 } }
        }
        return count > 0 ? Float(total / Double(count)) : nil
    }

    // MARK: Checkpoints

    public func saveCheckpoint(to directory: URL) throws {
        try TrainingCheckpoint.write(parameters: model.parameters, optimizer: optimizer, trainerState: state, to: directory)
    }

    /// Restores weights, moments, optimiser step, RNG and data order; the model and data must be the run's own.
    public func loadCheckpoint(from directory: URL) throws {
        let restored = try TrainingCheckpoint.read(into: model.parameters, optimizer: optimizer, from: directory, as: SFTTrainerState.self)
        guard restored.trainCount == train.count else {
            throw CheckpointError.badState(file: directory.appendingPathComponent(TrainingCheckpoint.stateFile).path,
                                           reason: "checkpoint was written for \(restored.trainCount) training samples, this run has \(train.count)")
        }
        state = restored
        model.recomputeActivations = restored.config.recomputeActivations
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
