import Foundation
import Scoring
import Testing
@testable import Training

/// LoRA-only training: the frozen base never changes, a fresh adapter changes nothing, and a trained adapter exported in
/// PEFT's format reloads into the inference engine with the same log-probs.
@Suite struct LoRAModeTests {
    static let config = LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases)

    func samples(vocab: Int) -> [SFTSample] { memorisationSamples(count: 6, vocab: vocab) }

    @Test(arguments: ["tiny-gqa", "tiny-gqa-bf16"])
    func loraTrainingLeavesEveryBaseWeightBitIdentical(modelName: String) throws {
        let base = try Qwen2Model.load(directory: TestPaths.model(modelName))
        #expect(base.layers[0][.q].isBF16 == (modelName == "tiny-gqa-bf16"))
        let before = storedBytes(base)
        let model = TrainableQwen2(base: base, lora: Self.config, seed: 3)
        let initial = model.parameters.valueSnapshot()
        var cfg = SFTConfig()
        cfg.batchSize = 3; cfg.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0); cfg.maxSteps = 4
        let trainer = SFTTrainer(model: model, train: samples(vocab: base.config.vocabSize), config: cfg)
        trainer.run()
        let after = storedBytes(base)
        #expect(before.keys.sorted() == after.keys.sorted())
        for name in before.keys.sorted() { #expect(before[name] == after[name], "\(modelName): base tensor \(name) changed") }
        let trained = model.parameters.valueSnapshot()
        #expect(trained.count == 2 * 7 * base.config.numHiddenLayers)
        for (name, values) in initial.sorted(by: { $0.key < $1.key }) {
            #expect(trained[name]! != values, "\(name) did not change")
        }
    }

    @Test func freshAdapterGivesTheBaseModelsLogProbs() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let model = TrainableQwen2(base: base, lora: Self.config, seed: 1)
        let batch = try BatchFixture.load("tiny-gqa").sequences
        let on = model.logprobs(batch, adapterEnabled: true)
        let off = model.logprobs(batch, adapterEnabled: false)
        #expect(on == off)
        #expect(model.forward(batch).logprobs == on)
        let engine = inferenceLogprobs(base, adapter: nil, batch)
        let d = maxDifference(on, engine)
        print("fresh adapter vs inference engine (no adapter): max|Δ log-prob| = \(d)")
        #expect(d < 1e-5)
    }

    @Test func disabledAdapterIsTheFrozenBase() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.training.appendingPathComponent("tiny-gqa-lora-init"), model: base)
        let model = TrainableQwen2(base: base, adapter: adapter)
        let batch = try BatchFixture.load("tiny-gqa").sequences
        let dOff = maxDifference(model.logprobs(batch, adapterEnabled: false), inferenceLogprobs(base, adapter: nil, batch))
        let dOn = maxDifference(model.logprobs(batch, adapterEnabled: true), inferenceLogprobs(base, adapter: adapter, batch))
        print("adapter off vs base engine \(dOff); adapter on vs engine with adapter \(dOn)")
        #expect(dOff < 1e-5 && dOn < 1e-5)
        #expect(maxDifference(model.logprobs(batch, adapterEnabled: true), model.logprobs(batch, adapterEnabled: false)) > 1e-3)
    }

    @Test func exportedAdapterReloadsWithIdenticalLogProbs() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let model = TrainableQwen2(base: base, lora: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases, rslora: true), seed: 5)
        var cfg = SFTConfig()
        cfg.batchSize = 3; cfg.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0.01); cfg.maxSteps = 3
        SFTTrainer(model: model, train: samples(vocab: base.config.vocabSize), config: cfg).run()
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.exportAdapter(id: "trained").save(to: dir)
        let reloaded = try LoRAAdapter.load(directory: dir, model: base)
        let batch = try BatchFixture.load("tiny-gqa").sequences + samples(vocab: base.config.vocabSize).map { $0.sequence() }
        let ours = model.logprobs(batch, adapterEnabled: true)
        let engine = inferenceLogprobs(base, adapter: reloaded, batch)
        let d = maxDifference(ours, engine)
        print("exported adapter reloaded in the inference engine: max|Δ log-prob| = \(d)")
        #expect(d < 1e-5)
        #expect(maxDifference(ours, model.logprobs(batch, adapterEnabled: false)) > 1e-3, "training changed nothing")
    }

    @Test func exportedFullModelReloadsWithIdenticalLogProbs() throws {
        let model = TrainableQwen2(config: scratchConfig, seed: 11)
        var cfg = SFTConfig()
        cfg.batchSize = 4; cfg.optimizer = AdamWConfig(learningRate: 1e-2); cfg.maxSteps = 3
        let data = memorisationSamples(count: 8, vocab: scratchConfig.vocabSize)
        SFTTrainer(model: model, train: data, config: cfg).run()
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.exportModel().save(directory: dir, dtype: .f32)
        let reloaded = try Qwen2Model.load(directory: dir)
        let batch = data.map { $0.sequence() }
        let d = maxDifference(model.logprobs(batch, adapterEnabled: true), inferenceLogprobs(reloaded, adapter: nil, batch))
        print("exported full model reloaded in the inference engine: max|Δ log-prob| = \(d)")
        #expect(d < 1e-5)
    }

    /// Sequences longer than one attention row block (128) against the inference engine's cached attention.
    @Test func longSequencesGiveTheInferenceEnginesLogProbs() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.training.appendingPathComponent("tiny-gqa-lora-init"), model: base)
        let model = TrainableQwen2(base: base, adapter: adapter)
        var rng = SplitMix64(seed: 12)
        let batch = [300, 129, 17].map { n in TrainingSequence(tokens: (0..<n).map { _ in Int(rng.next() % 512) }, targetStart: 3) }
        let d = maxDifference(model.logprobs(batch, adapterEnabled: true), inferenceLogprobs(base, adapter: adapter, batch))
        print("sequences of 300/129/17 tokens vs inference engine: max|Δ log-prob| = \(d)")
        #expect(d < 1e-4)
    }

    /// Long batches fold LoRA into the widened weights; short ones add it per row. Both must give the same numbers.
    @Test func foldedAndPerRowLoRAGiveTheSameGradients() throws {
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa-bf16"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.training.appendingPathComponent("tiny-gqa-lora-init"), model: base)
        var rng = SplitMix64(seed: 8)
        let batch = (0..<4).map { i in TrainingSequence(tokens: (0..<(50 + 7 * i)).map { _ in Int(rng.next() % 512) }, targetStart: 10) }
        #expect(batch.reduce(0) { $0 + $1.tokens.count } > base.config.intermediateSize, "batch must be long enough to fold")
        let folded = TrainableQwen2(base: base, adapter: adapter), perRow = TrainableQwen2(base: base, adapter: adapter)
        perRow.scratch.foldLoRA = false
        folded.zeroGrad(); perRow.zeroGrad()
        let lf = crossEntropyStep(folded, batch), lp = crossEntropyStep(perRow, batch)
        #expect(abs(lf - lp) < 1e-5)
        var worst: Float = 0
        for name in folded.parameters.names {
            let a = folded.parameters.grad(name), b = perRow.parameters.grad(name)
            worst = max(worst, zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!)
        }
        print("folded vs per-row LoRA: loss \(lf) vs \(lp), worst relative gradient difference \(worst)")
        #expect(worst < 1e-4)
    }

    @Test func bf16BaseGivesTheGradientsOfItsF32Widening() throws {
        let bf16 = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa-bf16"))
        let widened = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa-bf16"), format: .f32)
        let dir = TestPaths.training.appendingPathComponent("tiny-gqa-lora-init")
        let a = TrainableQwen2(base: bf16, adapter: try LoRAAdapter.load(directory: dir, model: bf16))
        let b = TrainableQwen2(base: widened, adapter: try LoRAAdapter.load(directory: dir, model: widened))
        let batch = try BatchFixture.load("tiny-gqa").sequences
        a.zeroGrad(); b.zeroGrad()
        let la = crossEntropyStep(a, batch), lb = crossEntropyStep(b, batch)
        #expect(abs(la - lb) < 1e-6)
        var worst: Float = 0
        for name in a.parameters.names {
            let ga = a.parameters.grad(name), gb = b.parameters.grad(name)
            let scale = gb.map(abs).max()!
            worst = max(worst, zip(ga, gb).map { abs($0 - $1) }.max()! / scale)
        }
        print("BF16 base vs F32-widened base: worst relative gradient difference \(worst)")
        #expect(worst < 1e-5)
    }
}
