import Foundation
import Scoring
import Testing
@testable import Training

/// `candidate_fractions`: adapters part of the way from where a run started to what it trained, in weight change, and a
/// gate that tries the candidates in order until one passes.
@Suite(.serialized) struct CandidateFractionTests {
    static var model: Qwen2Model { ScorerEvaluationTests.model }
    static let lora = LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases)

    /// A fresh adapter whose B is random and large, so that it changes the model's answers.
    static func strongAdapter(seed: UInt64) -> LoRAAdapter {
        let adapter = LoRAAdapter.fresh(id: "strong-\(seed)", model: model, config: lora, seed: seed)
        var rng = SplitMix64(seed: seed &+ 99)
        for (_, _, _, m) in adapter.namedModules {
            for i in 0..<m.b.count { m.b.pointer[i] = (rng.nextFloat() * 2 - 1) * 4 }
        }
        return adapter
    }

    static func logprobs(_ adapter: LoRAAdapter?) -> [[Float]] {
        let batch = [TrainingSequence(tokens: [9, 400, 2_000, 31, 77_000, 5, 12, 150_000, 8], targetStart: 2)]
        let trainable = TrainableQwen2(base: model, lora: lora, seed: 1)
        if let adapter { return TrainableQwen2(base: model, adapter: adapter).logprobs(batch, adapterEnabled: true) }
        return trainable.logprobs(batch, adapterEnabled: false)
    }

    @Test func aFractionScalesTheWeightChangeAndNothingElse() throws {
        let start = LoRAAdapter.fresh(id: "start", model: Self.model, config: Self.lora, seed: 5)
        let trained = Self.strongAdapter(seed: 6)
        #expect(start.isIdentity && !trained.isIdentity)
        let zero = try #require(LoRAAdapter.blended(trained, from: start, fraction: 0, id: "c"))
        let one = try #require(LoRAAdapter.blended(trained, from: start, fraction: 1, id: "c"))
        let half = try #require(LoRAAdapter.blended(trained, from: start, fraction: 0.5, id: "c"))
        #expect(zero.id == "c" && zero.config == trained.config)
        // Fraction 0 is the base model, fraction 1 the trained adapter, bit for bit.
        let base = Self.logprobs(nil)
        #expect(Self.logprobs(zero) == base)
        #expect(Self.logprobs(one) == Self.logprobs(trained))
        let mid = Self.logprobs(half)
        #expect(mid != base && mid != Self.logprobs(trained))
        // Half the weight change of every module: the merged ΔW = scale·B·A is half the trained one.
        for ((_, _, _, h), (_, _, _, t)) in zip(half.namedModules, trained.namedModules) {
            let (r, n, k) = (t.rank, t.outFeatures, t.inFeatures)
            for row in stride(from: 0, to: n, by: 7) {
                for col in stride(from: 0, to: k, by: 5) {
                    var dh: Float = 0, dt: Float = 0
                    for q in 0..<r {
                        dh += h.b.pointer[row * r + q] * h.a.pointer[q * k + col]
                        dt += t.b.pointer[row * r + q] * t.a.pointer[q * k + col]
                    }
                    #expect(abs(dh - dt / 2) <= 1e-5 * max(1, abs(dt)))
                }
            }
        }
    }

    @Test func adaptersOfDifferentShapesDoNotBlend() {
        let r4 = LoRAAdapter.fresh(id: "a", model: Self.model, config: Self.lora, seed: 1)
        let r8 = LoRAAdapter.fresh(id: "b", model: Self.model, config: LoRAConfig(r: 8, alpha: 8, targets: Projection.allCases), seed: 1)
        let qOnly = LoRAAdapter.fresh(id: "c", model: Self.model, config: LoRAConfig(r: 4, alpha: 8, targets: [.q]), seed: 1)
        let trained = Self.strongAdapter(seed: 3)
        #expect(LoRAAdapter.blended(r8, from: r4, fraction: 0.5, id: "x") == nil)
        #expect(LoRAAdapter.blended(qOnly, from: r4, fraction: 0.5, id: "x") == nil)
        #expect(LoRAAdapter.blended(trained, from: r4, fraction: .nan, id: "x") == nil)
    }

    /// Continuing an active adapter: the blend holds both ranks, ΔW = ΔW_start + f·(ΔW_trained − ΔW_start) exactly, and
    /// it is a PEFT adapter like any other (saved and loaded, the same log-probs).
    @Test func fromAnActiveAdapterTheBlendHoldsBothRanksAndIsExact() throws {
        let start = Self.strongAdapter(seed: 4)
        let trained = Self.strongAdapter(seed: 7)
        #expect(!start.isIdentity)
        let f: Float = 0.25
        let blend = try #require(LoRAAdapter.blended(trained, from: start, fraction: f, id: "blend"))
        #expect(blend.config.r == 8 && blend.config.loraAlpha == 16)
        for ((name, _, _, m), ((_, _, _, t), (_, _, _, s))) in zip(blend.namedModules, zip(trained.namedModules, start.namedModules)) {
            #expect(m.rank == 8 && m.scale == t.scale)
            #expect(blend.config.scale(for: String(name.dropFirst("base_model.model.".count))) == m.scale)
            let k = t.inFeatures
            func delta(_ x: LoRAModule, _ row: Int, _ col: Int) -> Float {
                (0..<x.rank).reduce(Float(0)) { $0 + x.b.pointer[row * x.rank + $1] * x.a.pointer[$1 * k + col] }
            }
            for row in stride(from: 0, to: t.outFeatures, by: 5) {
                for col in stride(from: 0, to: k, by: 3) {
                    let want = delta(s, row, col) + f * (delta(t, row, col) - delta(s, row, col))
                    #expect(abs(delta(m, row, col) - want) <= 1e-5 * max(1, abs(want)))
                }
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blend-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try blend.save(to: directory)
        let loaded = try LoRAAdapter.load(directory: directory, model: Self.model)
        #expect(Self.logprobs(loaded) == Self.logprobs(blend))
        // Per-module rank patterns have no single alpha at the combined rank.
        var patterned = LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases)
        patterned.rankPattern = ["q_proj": 4]
        let odd = LoRAAdapter(id: "p", config: patterned, modules: start.modules)
        #expect(LoRAAdapter.blended(trained, from: odd, fraction: 0.5, id: "x") == nil)
    }

    @Test func theGateTriesTheCandidatesInOrderUntilOnePasses() async throws {
        // Held-out labels are a strong adapter's own answers: that adapter is exact on them, the base model is not.
        let strong = Self.strongAdapter(seed: 8)
        let texts = ["今天天气很好。", "请介绍一下长城。", "这家店的菜很好吃。", "明天几点开会？"]
        var options = ScorerOptions()   // the pipeline's own evaluation settings
        options.maxNewTokens = 512
        options.maxBatch = 8
        let scorer = try Scorer(model: Self.model, tokenizer: ScorerEvaluationTests.tokenizer, prompt: .default, baseModelID: "tiny",
                                options: options, adapter: strong)
        let plain = try texts.map { ScoringExample(text: $0, reference: ScoringReference(scores: try DimensionScores(values: Array(repeating: 100, count: 9)), reasoning: "")) }
        let answers = await ScorerEvaluation.run(scorer: scorer, examples: plain, concurrency: 4)
        scorer.shutdown()
        let heldOut = try zip(texts, answers).map { text, item in
            ScoringExample(text: text, reference: ScoringReference(scores: try #require(item.prediction.scores), reasoning: ""))
        }
        var config = RetrainConfig()
        config.minHeldOut = 3
        config.controlMaxItems = 0
        let pipeline = RetrainPipeline(model: Self.model, tokenizer: ScorerEvaluationTests.tokenizer, prompt: .default, active: nil, config: config)
        let unchanged = LoRAAdapter.fresh(id: "unchanged", model: Self.model, config: Self.lora, seed: 2)   // B = 0: the base model

        // The first candidate changes nothing (not better than the base), the second is exact: the gate takes the second.
        let second = try pipeline.judge([GateCandidate(unchanged), GateCandidate(strong, fraction: 0.5, stage: .sft)], heldOut: heldOut, control: [])
        #expect(second.trials.map(\.fraction) == [1, 0.5])
        #expect(second.trials.map(\.accepted) == [false, true])
        #expect(second.trials[0].heldOutMAE > 0, "the base model answers differently from the strong adapter")
        #expect(second.trials[1].heldOutMAE == 0)
        #expect(second.decision.accepted && second.fraction == 0.5 && second.candidate === strong)
        #expect(second.trials.map(\.stage) == [.trained, .sft] && second.stage == .sft)
        #expect(second.decision.reasons.first?.contains("candidate 2 of 2: 0.50 of the way from the starting adapter to the adapter after SFT") == true, "\(second.decision.reasons)")

        // A first candidate that passes ends the search.
        let first = try pipeline.judge([GateCandidate(strong), GateCandidate(unchanged, fraction: 0.5)], heldOut: heldOut, control: [])
        #expect(first.trials.count == 1 && first.decision.accepted && first.fraction == 1 && first.candidate === strong)

        // None passes: the judgement is the last one tried, refused, with every trial recorded.
        let none = try pipeline.judge([GateCandidate(unchanged), GateCandidate(unchanged, fraction: 0.5)], heldOut: heldOut, control: [])
        #expect(none.trials.count == 2 && !none.decision.accepted && none.fraction == 0.5)
        #expect(none.decision.reasons.contains { $0.contains("overall MAE") }, "\(none.decision.reasons)")

        // Too few held-out labels for any candidate: one refusal, the other candidates not evaluated.
        var strict = config
        strict.minHeldOut = 10
        let few = try RetrainPipeline(model: Self.model, tokenizer: ScorerEvaluationTests.tokenizer, prompt: .default, active: nil, config: strict)
            .judge([GateCandidate(strong), GateCandidate(strong, fraction: 0.5)], heldOut: heldOut, control: [])
        #expect(few.trials.count == 1 && !few.decision.accepted)
        #expect(few.decision.reasons.contains { $0.contains("at least 10") }, "\(few.decision.reasons)")
    }

    @Test func fractionsOutsideZeroToOneAreRefused() throws {
        for bad in ["[]", "[0]", "[1.5]", "[-0.5]", "[1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]"] {
            #expect(throws: RetrainError.self) { try RetrainConfig.load(overriding: Data(#"{"candidate_fractions": \#(bad)}"#.utf8)) }
        }
        #expect(try RetrainConfig.load(overriding: Data(#"{"candidate_fractions": [1, 0.5]}"#.utf8)).candidateFractions == [1, 0.5])
        #expect(RetrainConfig().candidateFractions == [1, 0.75])
    }

    @Test func stagesAreTrainedSFTOrBothEachOnce() throws {
        #expect(RetrainConfig().candidateStages == [.trained])
        #expect(try RetrainConfig.load(overriding: Data(#"{"candidate_stages": ["sft", "trained"]}"#.utf8)).candidateStages == [.sft, .trained])
        for bad in ["[]", #"["trained", "trained"]"#, #"["grpo"]"#, #""sft""#] {
            #expect(throws: RetrainError.self) { try RetrainConfig.load(overriding: Data(#"{"candidate_stages": \#(bad)}"#.utf8)) }
        }
    }
}
