import Foundation
import Scoring
import Testing
@testable import Training

/// Loss and every parameter gradient against PyTorch (training/*.json and *-grads.safetensors, written by
/// tools/fixtures/make_fixtures.py): loss within 1e-5, each gradient within 1e-4·max|g| + 1e-7 of its tensor.
@Suite struct GradientParityTests {
    func checkFull(_ name: String, recompute: Bool = false) throws {
        let fx = try BatchFixture.load(name)
        let model = TrainableQwen2(copying: try Qwen2Model.load(directory: TestPaths.model(name)))
        model.recomputeActivations = recompute
        model.zeroGrad()
        let loss = crossEntropyStep(model, fx.sequences)
        print("\(name): loss \(loss) reference \(fx.loss!) |Δ| \(abs(Double(loss) - fx.loss!))")
        #expect(abs(Double(loss) - fx.loss!) < 1e-5)
        let ref = try SafeTensorsFile(url: TestPaths.training.appendingPathComponent("\(name)-grads.safetensors"))
        let (failures, worst) = try compareGradients(model.parameters, reference: ref, label: name)
        print("\(name): worst gradient max|Δ|/max|g| = \(worst)")
        #expect(failures.isEmpty, "gradients outside tolerance: \(failures)")
    }

    @Test func untiedModelGradientsMatchPyTorch() throws { try checkFull("tiny-untied") }

    @Test func tiedGroupedQueryModelGradientsMatchPyTorch() throws { try checkFull("tiny-gqa") }

    @Test func recomputedActivationsGiveTheSameGradients() throws { try checkFull("tiny-gqa", recompute: true) }

    @Test(arguments: [false, true])
    func loraGradientsMatchPEFT(recompute: Bool) throws {
        let fx = try BatchFixture.load("tiny-gqa-lora")
        let base = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: TestPaths.training.appendingPathComponent("tiny-gqa-lora-init"), model: base)
        let model = TrainableQwen2(base: base, adapter: adapter)
        model.recomputeActivations = recompute
        model.zeroGrad()
        let loss = crossEntropyStep(model, fx.sequences)
        print("tiny-gqa-lora: loss \(loss) reference \(fx.loss!) |Δ| \(abs(Double(loss) - fx.loss!))")
        #expect(abs(Double(loss) - fx.loss!) < 1e-5)
        let ref = try SafeTensorsFile(url: TestPaths.training.appendingPathComponent("tiny-gqa-lora-grads.safetensors"))
        let (failures, worst) = try compareGradients(model.parameters, reference: ref, label: "lora")
        print("tiny-gqa-lora: worst gradient max|Δ|/max|g| = \(worst)")
        #expect(failures.isEmpty, "gradients outside tolerance: \(failures)")
    }
}
