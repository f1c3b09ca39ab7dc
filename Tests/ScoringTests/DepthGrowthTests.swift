import Foundation
import Testing
@testable import Scoring

/// `Qwen2Model.grownInDepth`: the grown model computes exactly what the source did, survives a save and load, and
/// refuses a factor it cannot use.
@Suite struct DepthGrowthTests {
    let tokens = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46, 26]

    func logits(_ model: Qwen2Model) -> [Float] {
        model.forward([SequenceStep(tokens: tokens, cache: model.makeCache(), logits: .all)], workspace: Workspace())[0]
    }

    @Test(arguments: [(WeightFormat.f32, 2), (.f32, 3), (.bf16, 2), (.q8, 2)])
    func grownModelComputesTheSameLogits(format: WeightFormat, factor: Int) throws {
        let model = Qwen2Model.random(config: tinyConfig, format: format, seed: 11)
        let grown = try model.grownInDepth(factor: factor)
        #expect(grown.config.numHiddenLayers == tinyConfig.numHiddenLayers * factor)
        #expect(grown.layers.count == tinyConfig.numHiddenLayers * factor)
        let before = logits(model), after = logits(grown)
        #expect(before.count == after.count)
        let same = before == after
        #expect(same, "max relative difference \(relativeMaxDifference(after, before))")
        // The copies are real layers: their input-side weights are the source's, only the output projections are zero.
        for (i, layer) in grown.layers.enumerated() {
            let source = model.layers[i / factor]
            #expect(layer[.q].floats() == source[.q].floats())
            #expect(layer[.gate].floats() == source[.gate].floats())
            if i % factor == 0 {
                #expect(layer[.o].floats() == source[.o].floats())
                #expect(layer[.down].floats() == source[.down].floats())
            } else {
                #expect(layer[.o].floats().allSatisfy { $0 == 0 })
                #expect(layer[.down].floats().allSatisfy { $0 == 0 })
            }
        }
    }

    @Test func aChangedCopyChangesTheLogits() throws {
        // The equality above is not vacuous: once a copy's output projection is not zero, the logits move.
        let model = Qwen2Model.random(config: tinyConfig, format: .f32, seed: 12)
        let grown = try model.grownInDepth(factor: 2)
        let copy = grown.layers[1]
        guard case let .f32(buffer) = copy[.o].storage else { Issue.record("expected F32 storage"); return }
        for k in 0..<buffer.count { buffer.pointer[k] = Float((k % 7) - 3) * 0.01 }
        let moved = logits(grown) != logits(model)
        #expect(moved)
    }

    @Test func grownModelSavesAndLoads() throws {
        let model = Qwen2Model.random(config: tinyConfig, format: .f32, seed: 13)
        let grown = try model.grownInDepth(factor: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try grown.save(directory: dir, dtype: .f32)
        let loaded = try Qwen2Model.load(directory: dir)
        #expect(loaded.config.numHiddenLayers == tinyConfig.numHiddenLayers * 2)
        let same = logits(loaded) == logits(model)
        #expect(same)
    }

    @Test(arguments: [0, -1, 17])
    func aFactorOutOfRangeIsRefused(factor: Int) {
        let model = Qwen2Model.random(config: tinyConfig, format: .f32, seed: 14)
        #expect(throws: DepthGrowthError.factor(factor)) { try model.grownInDepth(factor: factor) }
    }
}
