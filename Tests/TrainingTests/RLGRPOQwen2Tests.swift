import Foundation
@testable import Scoring
import Testing
@testable import Training

/// GRPO on the real trainable model: the full pipeline against TRL's LoRA gradients, a smoke test of one step, and
/// a toy task it must learn.
@Suite(.serialized) struct RLGRPOQwen2Tests {
    func fixtureModel() throws -> (Qwen2Model, LoRAAdapter) {
        let model = try Qwen2Model.load(directory: RLPaths.fixtures.appendingPathComponent("models/tiny-gqa"))
        let adapter = try LoRAAdapter.load(directory: RLPaths.training.appendingPathComponent("tiny-gqa-lora-init"), model: model)
        return (model, adapter)
    }

    /// TrainableQwen2 log-probs of the fixture's token ids → our loss → backward, against the gradient TRL computed for
    /// every LoRA tensor, in all 8 configurations.
    @Test func fullPipelineMatchesTRLLoRAGradients() throws {
        let fx = try GRPOFixture.load()
        let (model, adapter) = try fixtureModel()
        let trainable = TrainableQwen2(base: model, adapter: adapter)
        let seqs = fx.sequences
        let n = seqs.map { $0.tokens.count - 1 - $0.targetStart }
        // Our log-probs against TRL's (rows run unpadded).
        let ours = trainable.logprobs(seqs, adapterEnabled: true)
        var lpDiff: Float = 0, refDiff: Float = 0
        let ref = trainable.logprobs(seqs, adapterEnabled: false)
        for b in seqs.indices {
            for t in 0..<n[b] {
                lpDiff = max(lpDiff, abs(ours[b][t] - fx.per_token_logps[b][t]))
                refDiff = max(refDiff, abs(ref[b][t] - fx.ref_per_token_logps[b][t]))
            }
        }
        print("grpo pipeline: max |Δlogp| policy \(lpDiff), reference \(refDiff)")
        #expect(lpDiff < 1e-4 && refDiff < 1e-4)

        var report: [String] = []
        for (key, c) in fx.configs.sorted(by: { $0.key < $1.key }) {
            trainable.zeroGrad()
            let pass = trainable.forward(seqs)
            let rows = GRPORows(logps: pass.logprobs, oldLogps: seqs.indices.map { Array(fx.old_per_token_logps[$0].prefix(n[$0])) },
                                refLogps: c.beta != 0 ? seqs.indices.map { Array(fx.ref_per_token_logps[$0].prefix(n[$0])) } : nil,
                                advantages: fx.advantages[c.scale_rewards]!, masks: n.map { Array(repeating: true, count: $0) })
            let result = GRPOLoss.compute(rows, config: fx.lossConfig(c), maxCompletionLength: fx.settings.max_completion_length)
            #expect(abs(result.loss - c.loss) < 1e-5, "\(key): loss \(result.loss) vs TRL \(c.loss)")
            trainable.backward(pass, dLogprobs: result.dLogps)

            let grads = try SafeTensorsFile(url: RLPaths.training.appendingPathComponent(c.grads_file))
            #expect(Set(grads.tensors.keys) == Set(trainable.parameters.names), "\(key): tensor names")
            var worstRatio: Float = 0
            for name in trainable.parameters.names {
                let expected = try grads.floats(name), got = trainable.parameters.grad(name)
                let scale = expected.map(abs).max()!
                let d = zip(got, expected).map { abs($0 - $1) }.max()!
                let tol = 1e-4 * scale + 1e-7
                worstRatio = max(worstRatio, d / tol)
                #expect(d <= tol, "\(key) \(name): max |Δ| \(d) > \(tol)")
            }
            report.append("\(key): |Δloss| \(String(format: "%.2e", abs(result.loss - c.loss))), worst |Δg| / tolerance \(String(format: "%.3f", worstRatio))")
        }
        print("grpo pipeline vs TRL LoRA gradients:\n  " + report.joined(separator: "\n  "))
    }

    /// Snapshot of every frozen base weight, as stored (bit patterns).
    func baseBits(_ m: Qwen2Model) -> [[UInt32]] {
        var out: [[UInt32]] = [m.embedding.floats().map(\.bitPattern), m.finalNorm.array.map(\.bitPattern)]
        if !m.config.tieWordEmbeddings { out.append(m.lmHead.floats().map(\.bitPattern)) }
        for l in m.layers {
            out += [l.inputNorm, l.postAttentionNorm, l.qBias, l.kBias, l.vBias].map { $0.array.map(\.bitPattern) }
            out += l.proj.map { $0.floats().map(\.bitPattern) }
        }
        return out
    }

    @Test func oneStepChangesEveryTrainableTensorAndNoFrozenOne() throws {
        let (model, adapter) = try fixtureModel()
        let trainable = TrainableQwen2(base: model, adapter: adapter)
        let before = trainable.parameters.valueSnapshot()
        let frozen = baseBits(model)
        let trainer = try GRPOTrainer(model: trainable, optimizer: AdamW(config: AdamWConfig(learningRate: 1e-3, weightDecay: 0)),
                                      config: GRPOConfig(groupSize: 4, loss: GRPOLossConfig(beta: 0.04), maxCompletionLength: 5, seed: 1),
                                      stopTokens: [], reward: { _, g in .plain(Double(g.tokens.filter { $0 < 256 }.count)) })
        let s = trainer.step([GRPOPrompt(tokens: [392, 158, 154, 152, 423]), GRPOPrompt(tokens: [392, 158, 15, 340, 423])])
        #expect(s.updated && s.trainedRows == 8 && (s.gradNorm ?? 0) > 0)
        for name in trainable.parameters.names {
            let a = before[name]!, b = trainable.parameters.value(name)
            #expect(zip(a, b).contains { $0 != $1 }, "\(name) did not change")
        }
        #expect(baseBits(model) == frozen, "the frozen base changed")
        // The sampler shared the two prompts' common prefix [392, 158]; every completion has 5 tokens.
        #expect(s.completions == 8 && s.meanCompletionTokens == 5)
    }

    /// The "it learns" test: from scratch, a tiny random Qwen2 over 16 tokens is rewarded for the fraction of its
    /// 8 generated tokens equal to token 5 (start ≈ 1/16).
    @Test func tinyQwen2LearnsToEmitTheTargetToken() throws {
        var config = Qwen2Config(vocabSize: 16, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                                 numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 64,
                                 tieWordEmbeddings: true)
        config.headDim = nil
        let trainable = TrainableQwen2(config: config, seed: 11)
        let target = 5
        let trainer = try GRPOTrainer(model: trainable, optimizer: AdamW(config: AdamWConfig(learningRate: 1e-2, weightDecay: 0)),
                                      config: GRPOConfig(groupSize: 8, maxCompletionLength: 8, seed: 3), stopTokens: [],
                                      reward: { _, g in .plain(Double(g.tokens.filter { $0 == target }.count) / Double(g.tokens.count)) })
        let prompts = [[1, 2], [3], [4, 6, 7], [9]].map { GRPOPrompt(tokens: $0) }
        let clock = ContinuousClock()
        var curve: [Double] = []
        let elapsed = clock.measure {
            for _ in 0..<30 { curve.append(trainer.step(prompts).meanReward) }
        }
        let first = curve.prefix(5).reduce(0, +) / 5, last = curve.suffix(5).reduce(0, +) / 5
        print("tiny Qwen2 GRPO: mean reward first 5 steps \(String(format: "%.3f", first)), last 5 steps \(String(format: "%.3f", last)) in \(elapsed)")
        print("tiny Qwen2 GRPO curve: " + curve.map { String(format: "%.2f", $0) }.joined(separator: " "))
        #expect(curve[0] < 0.2, "starts near chance (1/16)")
        #expect(last > first + 0.5 && last > 0.8, "curve: \(curve)")
    }
}
