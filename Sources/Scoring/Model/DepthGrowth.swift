import Foundation

/// Why a model cannot be grown as asked.
public enum DepthGrowthError: Error, CustomStringConvertible, Equatable, Sendable {
    case factor(Int)

    public var description: String {
        switch self {
        case let .factor(f): "the depth factor must be between 1 and 16 (got \(f))"
        }
    }
}

extension WeightMatrix {
    /// A matrix of the same shape and storage format, every weight zero.
    func zeroed() -> WeightMatrix {
        switch storage {
        case .f32: return WeightMatrix(rows: rows, cols: cols, storage: .f32(FloatBuffer(count: rows * cols)))
        case .bf16: return WeightMatrix(rows: rows, cols: cols, storage: .bf16(BF16Buffer(count: rows * cols)))
        case .q8:
            let zeros = FloatBuffer(count: rows * cols)
            return withExtendedLifetime(zeros) {
                WeightMatrix(rows: rows, cols: cols, storage: .q8(Q8Buffer(rows: rows, cols: cols, values: zeros.pointer)))
            }
        }
    }
}

extension Qwen2Model {
    /// The model grown in depth without changing what it computes: each layer `i` becomes layers `i·factor …
    /// i·factor + factor − 1`, the first the layer as it was, the others copies of it whose output projections
    /// (`o_proj`, `down_proj`) are zero. Such a copy adds nothing to the residual stream, so the grown model's logits
    /// are this model's; training then moves the copies' output projections away from zero (the start LoRA's B = 0
    /// gives an adapter), from weights that already read the residual stream. Embedding, final norm and LM head are
    /// shared. Used to give a trained small model more capacity without losing what it learned.
    public func grownInDepth(factor: Int) throws -> Qwen2Model {
        guard (1...16).contains(factor) else { throw DepthGrowthError.factor(factor) }
        var grownConfig = config
        grownConfig.numHiddenLayers = config.numHiddenLayers * factor
        var grown: [DecoderLayerWeights] = []
        for layer in layers {
            grown.append(layer)
            for _ in 1..<factor {
                var proj = layer.proj
                proj[Projection.o.index] = layer[.o].zeroed()
                proj[Projection.down.index] = layer[.down].zeroed()
                grown.append(DecoderLayerWeights(inputNorm: layer.inputNorm, postAttentionNorm: layer.postAttentionNorm, proj: proj,
                                                 qBias: layer.qBias, kBias: layer.kBias, vBias: layer.vBias))
            }
        }
        return Qwen2Model(config: grownConfig, embedding: embedding, layers: grown, finalNorm: finalNorm, lmHead: lmHead)
    }
}
