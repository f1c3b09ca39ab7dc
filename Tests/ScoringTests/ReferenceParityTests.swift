import Foundation
import Testing
@testable import Scoring

/// The engine against PyTorch/Transformers/PEFT: fixtures written by tools/fixtures/make_fixtures.py (versions and
/// hashes in Tests/Fixtures/manifest.json). Logits must agree within 1e-4 of the largest reference logit, and greedy
/// continuations must be identical.
@Suite struct ReferenceParityTests {
    struct EngineFixture: Decodable {
        let prompts: [[Int]]
        let greedy: [[Int]]
    }

    static let tolerance: Float = 1e-4

    func fixture(_ name: String) throws -> (EngineFixture, SafeTensorsFile) {
        let engine = TestPaths.fixtures.appendingPathComponent("engine")
        let json = try JSONDecoder().decode(EngineFixture.self, from: Data(contentsOf: engine.appendingPathComponent("\(name).json")))
        let logits = try SafeTensorsFile(url: engine.appendingPathComponent("\(name)-logits.safetensors"))
        return (json, logits)
    }

    func modelDirectory(_ name: String) -> URL { TestPaths.fixtures.appendingPathComponent("models/\(name)") }

    /// Checks one-prompt-at-a-time logits, all prompts in one batch, and greedy continuations.
    func checkParity(model: Qwen2Model, adapter: LoRAAdapter? = nil, fixtureName: String) throws {
        let (fx, reference) = try fixture(fixtureName)
        let ws = Workspace()
        let V = model.config.vocabSize
        var worst: Float = 0
        for (i, prompt) in fx.prompts.enumerated() {
            let ref = try reference.floats("logits.\(i)")
            #expect(ref.count == prompt.count * V)
            let ours = model.forward([SequenceStep(tokens: prompt, cache: model.makeCache(), adapter: adapter, logits: .all)], workspace: ws)[0]
            let d = relativeMaxDifference(ours, ref)
            worst = max(worst, d)
            #expect(d < Self.tolerance, "\(fixtureName) prompt \(i) (\(prompt.count) tokens): max |Δ| / max |ref| = \(d)")
        }
        print("parity \(fixtureName): worst max|Δ|/max|ref| over \(fx.prompts.count) prompts = \(worst)")
        // The same prompts batched together.
        let batched = model.forward(fx.prompts.map { SequenceStep(tokens: $0, cache: model.makeCache(), adapter: adapter, logits: .all) }, workspace: ws)
        for (i, ours) in batched.enumerated() {
            let d = relativeMaxDifference(ours, try reference.floats("logits.\(i)"))
            #expect(d < Self.tolerance, "\(fixtureName) batched prompt \(i): \(d)")
        }
        // Greedy continuations, all prompts.
        let gen = Generator(model: model)
        for (i, prompt) in fx.prompts.enumerated() {
            let out = gen.generate(prompt: prompt, parameters: .greedy(maxTokens: fx.greedy[i].count), adapter: adapter)
            #expect(out.tokens == fx.greedy[i], "\(fixtureName) prompt \(i): greedy continuation differs")
        }
    }

    @Test func groupedQueryTiedModelMatchesTransformers() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-gqa"))
        #expect(model.config.numAttentionHeads / model.config.numKeyValueHeads == 7)
        #expect(model.config.tieWordEmbeddings)
        try checkParity(model: model, fixtureName: "tiny-gqa")
    }

    /// 8-bit weights against the Transformers F32 logits, with BF16 on the same prompts as the yardstick. Both round
    /// every weight independently, so the logits stray in proportion to the RMS weight error. For normally distributed
    /// weights (σ) in blocks of 32, q8's step is max|block| / 127 ≈ 2.1σ / 127, an RMS error of step/√12 ≈ σ/210;
    /// BF16's is about 2⁻⁸·|w|/√12 ≈ σ/590 (its relative spacing is 2⁻⁸ to 2⁻⁷). The expected ratio is about 3; the
    /// bound allows twice that for the largest difference over all logits, a noisier statistic than the RMS.
    @Test(arguments: ["tiny-gqa", "tiny-untied"]) func q8LogitsStayWithinBF16RoundingScale(_ name: String) throws {
        let (fx, reference) = try fixture(name)
        let q8 = try Qwen2Model.load(directory: modelDirectory(name), format: .q8)
        let bf16 = try Qwen2Model.load(directory: modelDirectory(name), format: .bf16)
        let ws = Workspace()
        var worstQ8: Float = 0, worstBF16: Float = 0
        var sameGreedy = 0, total = 0
        let gen = Generator(model: q8)
        for (i, prompt) in fx.prompts.enumerated() {
            let ref = try reference.floats("logits.\(i)")
            let a = q8.forward([SequenceStep(tokens: prompt, cache: q8.makeCache(), logits: .all)], workspace: ws)[0]
            let b = bf16.forward([SequenceStep(tokens: prompt, cache: bf16.makeCache(), logits: .all)], workspace: ws)[0]
            worstQ8 = max(worstQ8, relativeMaxDifference(a, ref))
            worstBF16 = max(worstBF16, relativeMaxDifference(b, ref))
            let out = gen.generate(prompt: prompt, parameters: .greedy(maxTokens: fx.greedy[i].count))
            sameGreedy += zip(out.tokens, fx.greedy[i]).prefix { $0 == $1 }.count
            total += fx.greedy[i].count
        }
        print("q8 parity \(name): worst max|Δ|/max|ref| q8 \(worstQ8), bf16 \(worstBF16); greedy tokens matching before the first difference \(sameGreedy)/\(total)")
        #expect(worstBF16 > 0)
        #expect(worstQ8 <= 6 * worstBF16, "q8 \(worstQ8) vs bf16 \(worstBF16)")
    }

    @Test func untiedModelMatchesTransformers() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-untied"))
        #expect(!model.config.tieWordEmbeddings)
        try checkParity(model: model, fixtureName: "tiny-untied")
    }

    @Test func bf16CheckpointMatchesTransformersUpcast() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-gqa-bf16"))
        #expect(model.layers[0][.q].isBF16)
        try checkParity(model: model, fixtureName: "tiny-gqa-bf16")
    }

    @Test func shardedCheckpointMatchesTransformers() throws {
        let store = try TensorStore(directory: modelDirectory("tiny-untied-sharded"))
        #expect(store.files.count >= 2)
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-untied-sharded"))
        try checkParity(model: model, fixtureName: "tiny-untied-sharded")
    }

    @Test func peftLoRAAdapterMatchesPEFT() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.fixtures.appendingPathComponent("adapters/tiny-gqa-lora"), model: model)
        #expect(adapter.namedModules.count == 2 * 7)
        try checkParity(model: model, adapter: adapter, fixtureName: "tiny-gqa-lora")
        // Merged into the weights, the same logits (F32 weights, so no re-rounding).
        try checkParity(model: model.merging(adapter), fixtureName: "tiny-gqa-lora")
    }

    @Test func rsLoRAWithRankAndAlphaPatternsMatchesPEFT() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-untied"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.fixtures.appendingPathComponent("adapters/tiny-untied-rslora"), model: model)
        #expect(adapter.config.useRslora)
        #expect(adapter.module(layer: 0, .down)?.rank == 2)
        try checkParity(model: model, adapter: adapter, fixtureName: "tiny-untied-rslora")
    }

    @Test func exportedAdapterReloadsWithIdenticalLogits() throws {
        let model = try Qwen2Model.load(directory: modelDirectory("tiny-untied"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.fixtures.appendingPathComponent("adapters/tiny-untied-rslora"), model: model)
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try adapter.save(to: dir)
        let back = try LoRAAdapter.load(directory: dir, model: model)
        let ws = Workspace()
        let ids = [1, 5, 9, 200, 17]
        let a = model.forward([SequenceStep(tokens: ids, cache: model.makeCache(), adapter: adapter, logits: .all)], workspace: ws)[0]
        let b = model.forward([SequenceStep(tokens: ids, cache: model.makeCache(), adapter: back, logits: .all)], workspace: ws)[0]
        #expect(a == b)
    }
}
