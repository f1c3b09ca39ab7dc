import Foundation
import Scoring
import Testing
@testable import Training

/// Per-token loss weights (`SFTSample.weights`, the retrain's `sft_score_weight`): the loss is Σ w·(−log p) / Σ w, a
/// uniform weight changes nothing, a zero weight removes a token's influence, and the answer's score tokens are the
/// ones weighted.
@Suite struct SFTWeightTests {
    func trainer(_ samples: [SFTSample], seed: UInt64 = 11) -> SFTTrainer {
        var cfg = SFTConfig()
        cfg.batchSize = 2; cfg.gradientAccumulation = 2; cfg.shuffle = false; cfg.maxSteps = 1; cfg.maxGradNorm = nil
        cfg.optimizer = AdamWConfig(learningRate: 1e-3, weightDecay: 0)
        return SFTTrainer(model: TrainableQwen2(config: scratchConfig, seed: seed), train: samples, config: cfg)
    }

    func grads(_ t: SFTTrainer) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: t.model.parameters.names.map { ($0, t.model.parameters.grad($0)) })
    }

    func worstRelative(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
        var worst: Float = 0
        for (name, x) in a {
            let y = b[name]!
            worst = max(worst, zip(x, y).map { abs($0 - $1) }.max()! / max(x.map(abs).max()!, 1e-12))
        }
        return worst
    }

    @Test func theReportedLossIsTheWeightedMeanOfTheTokensNegativeLogProbs() throws {
        var data = memorisationSamples(count: 4, vocab: scratchConfig.vocabSize)
        let w: [[Float]] = data.indices.map { k in data[k].completion.indices.map { Float(1 + ($0 + k) % 3) } }
        for k in data.indices { data[k].weights = w[k] }
        // The model's own log-probs before the step, from an identical model.
        let reference = TrainableQwen2(config: scratchConfig, seed: 11)
        let lps = reference.logprobs(data.map { $0.sequence() }, adapterEnabled: true)
        var num = 0.0, den = 0.0
        for (lp, wk) in zip(lps, w) { for (x, wt) in zip(lp, wk) { num -= Double(wt) * Double(x); den += Double(wt) } }
        let r = trainer(data).step()
        #expect(abs(Double(r.loss) - num / den) < 1e-4 * max(1, num / den), "reported \(r.loss), defined \(num / den)")
        let plain = lps.joined().reduce(0.0) { $0 - Double($1) } / Double(lps.joined().count)
        #expect(abs(num / den - plain) > 1e-3, "the weights must change the loss for this check to mean anything")
    }

    @Test func aUniformWeightGivesTheSameGradientAsNoWeights() throws {
        let data = memorisationSamples(count: 4, vocab: scratchConfig.vocabSize)
        let plain = trainer(data)
        plain.step()
        let scaled = trainer(data.map { var s = $0; s.weights = Array(repeating: 3.5, count: s.completion.count); return s })
        scaled.step()
        let worst = worstRelative(grads(plain), grads(scaled))
        #expect(worst < 1e-5, "worst relative gradient difference \(worst)")
    }

    @Test func zeroWeightsRemoveASamplesInfluence() throws {
        let data = memorisationSamples(count: 4, vocab: scratchConfig.vocabSize)
        var silenced = data
        silenced[1].weights = Array(repeating: 0, count: silenced[1].completion.count)
        let a = trainer(silenced)
        a.step()
        // The same step without that sample (the other three in the same order).
        var cfg = a.config
        cfg.gradientAccumulation = 1; cfg.batchSize = 3
        let b = SFTTrainer(model: TrainableQwen2(config: scratchConfig, seed: 11), train: [data[0], data[2], data[3]], config: cfg)
        b.step()
        let worst = worstRelative(grads(b), grads(a))
        #expect(worst < 1e-5, "worst relative gradient difference \(worst)")
    }

    @Test func theScoreTokensOfTheAnswerAreTheOnesWeighted() throws {
        let tokenizer = try Tokenizer.load(directory: RLPaths.packageRoot.appendingPathComponent("models/default"))
        var scores = try DimensionScores(uniform: 100)
        scores[.commercial] = 35
        scores[.illegalInducement] = 60
        // Digits in the reasoning (a phone number, a count) are not scores and keep weight 1.
        let completion = AnswerFormat.completion(reasoning: "消息两次留下联系方式 3194704877，推销代练，共 2 处。", scores: scores)
        let example = SFTExample(item: 0, text: "代练加我 3194704877", completion: completion, source: .human, reward: nil)
        let sample = example.sftSample(prompt: .default, tokenizer: tokenizer, endToken: 7, scoreWeight: 5)
        let weights = try #require(sample.weights)
        #expect(weights.count == sample.completion.count)
        #expect(sample.completion.last == 7 && weights.last == 1)
        let heavy = zip(sample.completion, weights).filter { $0.1 == 5 }.map { tokenizer.decode([$0.0]) }.joined()
        // Exactly the nine values, in the answer's order.
        let values = Dimension.allCases.map { String(scores[$0]) }.joined()
        #expect(heavy.filter(\.isNumber) == values, "weighted tokens read \(heavy)")
        #expect(!heavy.contains("3194704877"))
        let plain = example.sftSample(prompt: .default, tokenizer: tokenizer, endToken: 7)
        #expect(plain.weights == nil && plain.completion == sample.completion && plain.prompt == sample.prompt)
    }
}
