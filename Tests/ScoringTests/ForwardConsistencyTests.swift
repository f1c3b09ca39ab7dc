import Foundation
import Testing
@testable import Scoring

/// Properties of the forward pass that must hold for any weights: caching, batching and adapters change nothing
/// they should not.
@Suite struct ForwardConsistencyTests {
    let model = Qwen2Model.random(config: tinyConfig, format: .f32, seed: 7)
    let tokens = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46, 26]

    @Test func decodingTokenByTokenMatchesOnePrefill() {
        let ws = Workspace()
        let full = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        let cache = model.makeCache(capacity: 2) // forces the cache to grow on the way
        var incremental: [Float] = []
        for t in tokens {
            incremental += model.forward([SequenceStep(tokens: [t], cache: cache, logits: .last)], workspace: ws)[0]
        }
        #expect(cache.length == tokens.count)
        let d = relativeMaxDifference(incremental, full)
        #expect(d < 1e-5, "max relative difference \(d)")
    }

    @Test func batchedSequencesOfDifferentLengthsMatchSeparateRuns() {
        let ws = Workspace()
        let prompts = [Array(tokens.prefix(1)), Array(tokens.prefix(7)), tokens, [5, 6, 7]]
        let separate = prompts.map { model.forward([SequenceStep(tokens: $0, cache: model.makeCache(), logits: .all)], workspace: ws)[0] }
        let batched = model.forward(prompts.map { SequenceStep(tokens: $0, cache: model.makeCache(), logits: .all) }, workspace: ws)
        for (a, b) in zip(batched, separate) {
            #expect(relativeMaxDifference(a, b) < 1e-5)
        }
        // A mixed step: one sequence prefilling while another decodes.
        let c1 = model.makeCache(), c2 = model.makeCache()
        _ = model.forward([SequenceStep(tokens: Array(tokens.prefix(5)), cache: c1, logits: .none)], workspace: ws)
        let mixed = model.forward([SequenceStep(tokens: [tokens[5]], cache: c1), SequenceStep(tokens: tokens, cache: c2)], workspace: ws)
        let ref1 = Array(separate[2][(5 * tinyConfig.vocabSize)..<(6 * tinyConfig.vocabSize)])
        let ref2 = Array(separate[2].suffix(tinyConfig.vocabSize))
        #expect(relativeMaxDifference(mixed[0], ref1) < 1e-5)
        #expect(relativeMaxDifference(mixed[1], ref2) < 1e-5)
    }

    @Test func freshAdapterLeavesLogitsUnchanged() {
        let ws = Workspace()
        let cfg = LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases)
        let adapter = LoRAAdapter.fresh(id: "fresh", model: model, config: cfg, seed: 1)
        let plain = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        let adapted = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), adapter: adapter, logits: .all)], workspace: ws)[0]
        #expect(plain == adapted)
    }

    @Test func mergedAdapterMatchesUnmergedAndDiffersFromBase() {
        let ws = Workspace()
        let cfg = LoRAConfig(r: 4, alpha: 8, targets: [.q, .v, .down])
        let fresh = LoRAAdapter.fresh(id: "a", model: model, config: cfg, seed: 2)
        for m in fresh.namedModules {
            var rng = SplitMix64(seed: UInt64(m.layer * 10 + m.projection.index))
            rng.fillNormal(m.module.b.pointer, count: m.module.b.count, std: 0.5)
        }
        let plain = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        let unmerged = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), adapter: fresh, logits: .all)], workspace: ws)[0]
        let merged = model.merging(fresh).forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        #expect(relativeMaxDifference(merged, unmerged) < 1e-5)
        #expect(relativeMaxDifference(plain, unmerged) > 1e-3)
        // Two sequences with different adapters in one batch each get their own.
        let both = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), adapter: fresh, logits: .all),
                                  SequenceStep(tokens: tokens, cache: model.makeCache(), adapter: nil, logits: .all)], workspace: ws)
        #expect(relativeMaxDifference(both[0], unmerged) < 1e-5)
        #expect(relativeMaxDifference(both[1], plain) < 1e-5)
    }

    @Test func greedySamplesOfOnePromptAgreeWithSingleGeneration() {
        let gen = Generator(model: model)
        let params = SamplingParameters.greedy(maxTokens: 10)
        let single = gen.generate(prompt: tokens, parameters: params)
        let group = gen.generate(prompt: tokens, count: 3, parameters: params)
        #expect(single.tokens.count == 10)
        for g in group { #expect(g.tokens == single.tokens) }
    }

    @Test func sampledGenerationsAreReproducibleBySeedAndDifferAcrossSamples() {
        let gen = Generator(model: model)
        let params = SamplingParameters(temperature: 1.5, topK: 50, topP: 0.95, seed: 42, maxTokens: 12)
        let a = gen.generate(prompt: tokens, count: 4, parameters: params)
        let b = gen.generate(prompt: tokens, count: 4, parameters: params)
        #expect(a.map(\.tokens) == b.map(\.tokens))
        #expect(Set(a.map(\.tokens)).count > 1)
        for g in a { for p in g.probabilities { #expect(p > 0 && p <= 1) } }
    }

    @Test func bf16WeightsStayCloseToF32() {
        let bf = Qwen2Model.random(config: tinyConfig, format: .bf16, seed: 7)
        let ws = Workspace()
        let a = model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        let b = bf.forward([SequenceStep(tokens: tokens, cache: bf.makeCache(), logits: .all)], workspace: ws)[0]
        #expect(relativeMaxDifference(b, a) < 0.05)
    }
}
