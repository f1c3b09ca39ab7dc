import Foundation
import Scoring
import Testing
@testable import Training

/// An adapter trained and exported here loads in PEFT with the same logits: Tests/Fixtures/training/swift-export holds
/// an adapter written by `safety-server dev export-test-adapter` (SFTTrainer + LoRAAdapter.save) and the logits PEFT
/// computed from that folder (tools/fixtures/check_peft_export.py, which also checked them against the engine's). This
/// test reloads the committed adapter and compares the engine's logits with PEFT's, so CI checks the export format
/// without Python.
@Suite struct PEFTExportParityTests {
    static let folder = TestPaths.training.appendingPathComponent("swift-export")
    static let tolerance: Float = 1e-4

    struct Export: Decodable { let prompts: [[Int]] }
    struct Check: Decodable {
        let maxRelativeDifference: Double
        let adapterEffect: Double
        enum CodingKeys: String, CodingKey { case maxRelativeDifference = "max_relative_difference", adapterEffect = "adapter_effect" }
    }

    /// max|a − b| / max|b|.
    func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        var diff: Float = 0, scale: Float = 0
        for (x, y) in zip(a, b) { diff = max(diff, abs(x - y)); scale = max(scale, abs(y)) }
        return diff / max(scale, 1e-30)
    }

    @Test func exportedAdapterReloadsWithPEFTsLogits() throws {
        let model = try Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: Self.folder, model: model)
        #expect(adapter.namedModules.count == 2 * 7)
        let export = try JSONDecoder().decode(Export.self, from: Data(contentsOf: Self.folder.appendingPathComponent("swift-export.json")))
        let check = try JSONDecoder().decode(Check.self, from: Data(contentsOf: Self.folder.appendingPathComponent("peft-check.json")))
        let peft = try SafeTensorsFile(url: Self.folder.appendingPathComponent("peft-logits.safetensors"))
        let swift = try SafeTensorsFile(url: Self.folder.appendingPathComponent("swift-logits.safetensors"))
        #expect(export.prompts.count == 3)
        #expect(check.maxRelativeDifference < Double(Self.tolerance), "the recorded PEFT check did not pass")

        let ws = Workspace()
        let V = model.config.vocabSize
        var worst: Float = 0, effect: Float = 0
        for (i, prompt) in export.prompts.enumerated() {
            let reference = try peft.floats("logits.\(i)")
            #expect(reference.count == prompt.count * V)
            let ours = model.forward([SequenceStep(tokens: prompt, cache: model.makeCache(), adapter: adapter, logits: .all)], workspace: ws)[0]
            let d = relativeDifference(ours, reference)
            worst = max(worst, d)
            #expect(d < Self.tolerance, "prompt \(i) (\(prompt.count) tokens): max|Δ| / max|PEFT| = \(d)")
            // What the generator recorded from the engine is what the engine computes now.
            #expect(relativeDifference(ours, try swift.floats("logits.\(i)")) < Self.tolerance)
            // Not vacuous: the adapter moves the logits far more than the tolerance.
            let base = model.forward([SequenceStep(tokens: prompt, cache: model.makeCache(), adapter: nil, logits: .all)], workspace: ws)[0]
            effect = max(effect, relativeDifference(base, reference))
        }
        print("PEFT export parity: worst max|Δ|/max|PEFT| = \(worst) over \(export.prompts.count) prompts (PEFT's own check: "
              + "\(check.maxRelativeDifference)); without the adapter the logits differ by \(effect)")
        #expect(effect > 100 * Self.tolerance)
    }

    @Test func exportedAdapterConfigIsPEFTsLoRALayout() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("adapter_config.json"))) as? [String: Any]
        #expect(object?["peft_type"] as? String == "LORA")
        #expect(object?["task_type"] as? String == "CAUSAL_LM")
        #expect(Set(object?["target_modules"] as? [String] ?? []) == Set(Projection.allCases.map(\.rawValue)))
        let tensors = try SafeTensorsFile(url: Self.folder.appendingPathComponent("adapter_model.safetensors")).tensors
        #expect(tensors.count == 2 * 7 * 2)
        #expect(tensors.keys.allSatisfy { $0.hasPrefix("base_model.model.model.layers.") && ($0.hasSuffix(".lora_A.weight") || $0.hasSuffix(".lora_B.weight")) })
    }
}
