import Foundation
import Scoring
import Testing
@testable import Training

/// Supervised fine-tuning: it learns, accumulation is exact, and checkpoints resume bit for bit.
@Suite struct SFTTests {
    @Test func sftLowersValidationLossOnAMemorisationTaskFromScratch() throws {
        let model = TrainableQwen2(config: scratchConfig, seed: 42)
        let data = memorisationSamples(count: 8, vocab: scratchConfig.vocabSize)
        var cfg = SFTConfig()
        cfg.batchSize = 4; cfg.epochs = 40; cfg.warmupSteps = 4; cfg.seed = 1
        cfg.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0.01)
        let trainer = SFTTrainer(model: model, train: data, validation: data, config: cfg)
        let before = trainer.validationLoss()!
        var lastLoss: Float = 0
        let reports = trainer.run(validateEvery: 20) { lastLoss = $0.loss }
        let after = reports.last!.validationLoss!
        print("memorisation from scratch: validation loss \(before) → \(after) in \(reports.count) steps (last train loss \(lastLoss))")
        #expect(reports.count == 80)
        #expect(after < before - 2, "validation loss went from \(before) to \(after)")
        #expect(reports.allSatisfy { $0.loss.isFinite && $0.gradNorm.isFinite && $0.tokensPerSecond > 0 })
    }

    @Test func loraSFTLowersValidationLoss() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let model = TrainableQwen2(base: base, lora: LoRAConfig(r: 8, alpha: 16, targets: Projection.allCases), seed: 2)
        let data = memorisationSamples(count: 6, vocab: base.config.vocabSize)
        var cfg = SFTConfig()
        cfg.batchSize = 3; cfg.epochs = 15; cfg.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0)
        let trainer = SFTTrainer(model: model, train: data, validation: data, config: cfg)
        let before = trainer.validationLoss()!
        let after = trainer.run().last!.validationLoss!
        print("LoRA memorisation on tiny-gqa: validation loss \(before) → \(after)")
        #expect(after < before - 1)
    }

    @Test func gradientAccumulationEqualsOneLargeBatch() throws {
        let data = memorisationSamples(count: 4, vocab: scratchConfig.vocabSize).map { $0.sequence() }
        let whole = TrainableQwen2(config: scratchConfig, seed: 3), split = TrainableQwen2(config: scratchConfig, seed: 3)
        whole.zeroGrad(); split.zeroGrad()
        crossEntropyStep(whole, data)
        let N = Float(data.reduce(0) { $0 + $1.scoredCount })
        for half in [Array(data[0..<2]), Array(data[2..<4])] {
            let pass = split.forward(half)
            split.backward(pass, dLogprobs: pass.logprobs.map { Array(repeating: -1 / N, count: $0.count) })
        }
        var worst: Float = 0
        for name in whole.parameters.names {
            let a = whole.parameters.grad(name), b = split.parameters.grad(name)
            worst = max(worst, zip(a, b).map { abs($0 - $1) }.max()! / max(a.map(abs).max()!, 1e-12))
        }
        print("accumulated vs single batch: worst relative gradient difference \(worst)")
        #expect(worst < 1e-5)
    }

    func resumeIsExact(makeModel: () throws -> TrainableQwen2, vocab: Int, label: String) throws {
        let data = memorisationSamples(count: 10, vocab: vocab)
        var cfg = SFTConfig()
        cfg.batchSize = 2; cfg.gradientAccumulation = 2; cfg.maxSteps = 6; cfg.warmupSteps = 2; cfg.seed = 9
        cfg.optimizer = AdamWConfig(learningRate: 5e-3, weightDecay: 0.01); cfg.maxGradNorm = 0.5
        // Straight through.
        let straight = SFTTrainer(model: try makeModel(), train: data, config: cfg)
        let all = straight.run()
        // Three steps, checkpoint, a fresh model and trainer, resume, three more.
        let first = SFTTrainer(model: try makeModel(), train: data, config: cfg)
        for _ in 0..<3 { first.step() }
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try first.saveCheckpoint(to: dir)
        let resumed = SFTTrainer(model: try makeModel(), train: data, config: cfg)
        try resumed.loadCheckpoint(from: dir)
        #expect(resumed.state == first.state)
        let rest = resumed.run()
        #expect(rest.map(\.step) == [4, 5, 6])
        #expect(rest.map(\.loss) == all.suffix(3).map(\.loss), "\(label): losses after resuming differ")
        #expect(rest.map(\.gradNorm) == all.suffix(3).map(\.gradNorm))
        let a = straight.model.parameters, b = resumed.model.parameters
        for (x, y, what) in [(a.values, b.values, "weights"), (a.m, b.m, "first moments"), (a.v, b.v, "second moments")] {
            let same = memcmp(x.pointer, y.pointer, a.count * 4) == 0
            #expect(same, "\(label): \(what) differ after resuming")
        }
        #expect(straight.optimizer.stepCount == resumed.optimizer.stepCount)
        #expect(straight.state == resumed.state)
        print("\(label): 6 steps straight and 3 + checkpoint + 3 give bit-identical weights and moments")
    }

    @Test func checkpointResumesFullTrainingBitForBit() throws {
        try resumeIsExact(makeModel: { TrainableQwen2(config: scratchConfig, seed: 5) }, vocab: scratchConfig.vocabSize, label: "full")
    }

    @Test func checkpointResumesLoRATrainingBitForBit() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa-bf16"))
        try resumeIsExact(makeModel: { TrainableQwen2(base: base, lora: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases), seed: 4) },
                          vocab: base.config.vocabSize, label: "lora")
    }

    @Test func checkpointForAnotherModelIsRejected() throws {
        let data = memorisationSamples(count: 4, vocab: scratchConfig.vocabSize)
        let trainer = SFTTrainer(model: TrainableQwen2(config: scratchConfig, seed: 1), train: data, config: SFTConfig())
        trainer.step()
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try trainer.saveCheckpoint(to: dir)
        var other = scratchConfig
        other.intermediateSize = 48
        let wrong = SFTTrainer(model: TrainableQwen2(config: other, seed: 1), train: data, config: SFTConfig())
        #expect(throws: CheckpointError.self) { try wrong.loadCheckpoint(from: dir) }
    }

    @Test func completionTokensAloneAreScored() {
        let s = SFTSample(prompt: [5, 6, 7], completion: [8, 9]).sequence()
        #expect(s.tokens == [5, 6, 7, 8, 9] && s.targetStart == 2 && s.scoredCount == 2)
        let cut = SFTSample(prompt: [5, 6, 7], completion: [8, 9, 10]).sequence(maxLength: 4)
        #expect(cut.tokens == [5, 6, 7, 8] && cut.scoredCount == 1)
    }
}
