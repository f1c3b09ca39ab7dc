import Foundation
import Scoring
import Testing
@testable import Training

/// Ten full-parameter AdamW steps on tiny-untied against torch.optim.AdamW (training/adamw.json): the loss before
/// every step, the gradient norms before clipping, and the final weights of four tensors, with and without clipping.
@Suite struct AdamWTrajectoryTests {
    struct Fixture: Decodable {
        struct Run: Decodable {
            let losses: [Float]
            let gradNormsBeforeClip: [Float]?
            let maxNorm: Float?
            enum CodingKeys: String, CodingKey { case losses, gradNormsBeforeClip = "grad_norms_before_clip", maxNorm = "max_norm" }
        }
        struct Optimizer: Decodable { let lr: Float; let betas: [Float]; let eps: Float; let weight_decay: Float; let steps: Int }
        let noclip: Run
        let clip: Run
        let optimizer: Optimizer
        let finalWeights: [String]
        enum CodingKeys: String, CodingKey { case noclip, clip, optimizer, finalWeights = "final_weights" }
    }

    func run(clip: Bool) throws {
        let fx = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestPaths.training.appendingPathComponent("adamw.json")))
        let batch = try BatchFixture.load("adamw").sequences
        let model = TrainableQwen2(copying: try Qwen2Model.load(directory: TestPaths.model("tiny-untied")))
        let o = fx.optimizer
        let adam = AdamW(config: AdamWConfig(learningRate: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay))
        let ref = clip ? fx.clip : fx.noclip
        var worstLoss: Float = 0, worstNorm: Float = 0
        for k in 0..<o.steps {
            model.zeroGrad()
            let loss = crossEntropyStep(model, batch)
            worstLoss = max(worstLoss, abs(loss - ref.losses[k]))
            #expect(abs(loss - ref.losses[k]) < 1e-5, "step \(k + 1): loss \(loss) vs \(ref.losses[k])")
            if clip {
                let norm = model.parameters.clipGradNorm(maxNorm: ref.maxNorm!)
                let expected = ref.gradNormsBeforeClip![k]
                worstNorm = max(worstNorm, abs(norm - expected) / expected)
                #expect(abs(norm - expected) <= 1e-4 * expected, "step \(k + 1): grad norm \(norm) vs \(expected)")
            }
            adam.step(model.parameters)
        }
        let weights = try SafeTensorsFile(url: TestPaths.training.appendingPathComponent("adamw-final-weights.safetensors"))
        var worstWeight: Float = 0
        for name in fx.finalWeights {
            let expected = try weights.floats((clip ? "clip." : "noclip.") + name)
            let ours = model.parameters.value(name)
            let d = zip(ours, expected).map { abs($0 - $1) }.max()!
            worstWeight = max(worstWeight, d)
            print(String(format: "adamw %@ %-40@ final weight max|Δ| %.3e", clip ? "clip  " : "noclip", name, d))
            #expect(d < 1e-4, "\(name): final weights differ by \(d)")
        }
        print(String(format: "adamw %@: worst loss |Δ| %.3e, worst grad-norm rel Δ %.3e, worst final weight |Δ| %.3e",
                     clip ? "clip" : "noclip", worstLoss, worstNorm, worstWeight))
    }

    @Test func tenStepsWithoutClippingFollowTorch() throws { try run(clip: false) }

    @Test func tenStepsWithClippingFollowTorch() throws { try run(clip: true) }

    @Test func cosineScheduleWarmsUpThenDecaysToTheFloor() {
        let s = LearningRateSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 10, totalSteps: 110)
        #expect(s.rate(at: 0) == 0)
        #expect(abs(s.rate(at: 5) - 5e-4) < 1e-9)
        #expect(abs(s.rate(at: 10) - 1e-3) < 1e-9)
        #expect(abs(s.rate(at: 60) - 5e-4) < 1e-8)
        #expect(s.rate(at: 110) < 1e-10)
        let floor = LearningRateSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 0, totalSteps: 100, minRatio: 0.1)
        #expect(abs(floor.rate(at: 100) - 1e-4) < 1e-9)
        #expect(abs(LearningRateSchedule(kind: .linear, peak: 2, warmupSteps: 0, totalSteps: 4).rate(at: 2) - 1) < 1e-6)
    }
}
