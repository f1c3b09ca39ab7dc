import Foundation
import Scoring

/// A Qwen2 decoder that can be trained: forward over a batch of variable-length sequences (no KV cache, causal
/// attention over each whole sequence) keeping activations, and backward for every op.
///
/// Two modes:
/// - **full**: every weight is a trainable F32 master copy in `parameters` (Hugging Face names), copied from a
///   `Qwen2Model` or freshly initialised — for training a small model from scratch;
/// - **lora**: the base `Qwen2Model` is frozen (F32 or BF16 weights read through `Linear`, never written) and only the
///   LoRA A/B tensors are trainable (PEFT names).
///
/// Not thread-safe: one thread (or task) drives a model at a time, since its scratch memory is shared between passes.
/// It is `Sendable` so a background job can own it.
public final class TrainableQwen2: @unchecked Sendable {
    public enum Mode: String, Sendable, Codable { case full, lora }

    public let config: Qwen2Config
    public let mode: Mode
    public private(set) var parameters: ParameterSet
    /// Keep only each layer's input during forward and recompute the layer in backward (checkpointing per layer):
    /// activation memory drops from ≈ 14k floats per token per layer (0.5B) to one hidden vector, for ≈ ⅓ more compute.
    public var recomputeActivations = false

    /// The frozen base (lora mode), kept alive because the layers read its buffers.
    public let base: Qwen2Model?
    /// The adapter configuration (lora mode).
    public let loraConfig: LoRAConfig?

    let embedding: MatrixWeight           // [V, C]
    let layers: [DecoderLayer]
    let finalNorm: VectorWeight           // [C]
    let lmHead: MatrixWeight              // [V, C]; the embedding's own storage when tied
    let rope: RopeTable
    let scratch = TrainScratch()
    let pool = ArenaPool()
    /// Per Projection.index, the LoRA rank of that projection in every layer that has one (0 = none); activations are
    /// laid out with these sizes.
    let loraRanks: [Int]

    // MARK: Full-parameter mode

    /// Full-parameter training starting from a model's weights (widened to F32 master weights).
    public convenience init(copying model: Qwen2Model) {
        self.init(fullConfig: model.config) { name, count, dst in
            let values = TrainableQwen2.tensor(named: name, in: model)
            precondition(values.count == count, "\(name): \(values.count) values, expected \(count)")
            values.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: count) }
        }
    }

    /// Full-parameter training from scratch: matrices and embeddings ~ N(0, 0.02), norm weights 1, biases 0.
    public convenience init(config: Qwen2Config, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        self.init(fullConfig: config) { name, count, dst in
            if name.hasSuffix("norm.weight") || name.hasSuffix("layernorm.weight") {
                dst.update(repeating: 1, count: count)
            } else if name.hasSuffix(".bias") {
                dst.update(repeating: 0, count: count)
            } else {
                rng.fillNormal(dst, count: count, std: 0.02)
            }
        }
    }

    /// Hugging Face names and shapes of every trainable tensor of a full model, in checkpoint order.
    static func fullLayout(_ c: Qwen2Config) -> [(name: String, shape: [Int])] {
        let C = c.hiddenSize
        var out: [(String, [Int])] = [("model.embed_tokens.weight", [c.vocabSize, C])]
        for l in 0..<c.numHiddenLayers {
            let p = "model.layers.\(l)."
            out.append((p + "input_layernorm.weight", [C]))
            out.append((p + "post_attention_layernorm.weight", [C]))
            for pr in Projection.allCases {
                let (rows, cols) = projectionShape(pr, c)
                out.append((p + pr.path + ".weight", [rows, cols]))
            }
            out.append((p + "self_attn.q_proj.bias", [c.qDim]))
            out.append((p + "self_attn.k_proj.bias", [c.kvDim]))
            out.append((p + "self_attn.v_proj.bias", [c.kvDim]))
        }
        out.append(("model.norm.weight", [C]))
        if !c.tieWordEmbeddings { out.append(("lm_head.weight", [c.vocabSize, C])) }
        return out
    }

    static func projectionShape(_ p: Projection, _ c: Qwen2Config) -> (rows: Int, cols: Int) {
        switch p {
        case .q: (c.qDim, c.hiddenSize)
        case .k, .v: (c.kvDim, c.hiddenSize)
        case .o: (c.hiddenSize, c.qDim)
        case .gate, .up: (c.intermediateSize, c.hiddenSize)
        case .down: (c.hiddenSize, c.intermediateSize)
        }
    }

    static func tensor(named name: String, in model: Qwen2Model) -> [Float] {
        if name == "model.embed_tokens.weight" { return model.embedding.floats() }
        if name == "lm_head.weight" { return model.lmHead.floats() }
        if name == "model.norm.weight" { return model.finalNorm.array }
        let parts = name.split(separator: ".")
        precondition(parts.count >= 4 && parts[1] == "layers", "unexpected tensor name \(name)")
        let layer = model.layers[Int(parts[2])!]
        let rest = parts[3...].joined(separator: ".")
        switch rest {
        case "input_layernorm.weight": return layer.inputNorm.array
        case "post_attention_layernorm.weight": return layer.postAttentionNorm.array
        case "self_attn.q_proj.bias": return layer.qBias.array
        case "self_attn.k_proj.bias": return layer.kBias.array
        case "self_attn.v_proj.bias": return layer.vBias.array
        default:
            guard let p = Projection.allCases.first(where: { rest == $0.path + ".weight" }) else { preconditionFailure("unexpected tensor name \(name)") }
            return layer[p].floats()
        }
    }

    private init(fullConfig c: Qwen2Config, fill: (String, Int, UnsafeMutablePointer<Float>) -> Void) {
        config = c
        mode = .full
        base = nil
        loraConfig = nil
        let params = ParameterSet(layout: Self.fullLayout(c))
        for e in params.entries { fill(e.name, e.count, params.values.pointer + e.offset) }
        parameters = params
        func matrix(_ name: String, _ rows: Int, _ cols: Int) -> MatrixWeight {
            .trainable(value: params.valuePointer(name), grad: params.gradPointer(name), rows: rows, cols: cols)
        }
        func vector(_ name: String) -> VectorWeight { VectorWeight(value: params.valuePointer(name), grad: params.gradPointer(name)) }
        embedding = matrix("model.embed_tokens.weight", c.vocabSize, c.hiddenSize)
        layers = (0..<c.numHiddenLayers).map { l in
            let p = "model.layers.\(l)."
            return DecoderLayer(
                inputNorm: vector(p + "input_layernorm.weight"),
                postNorm: vector(p + "post_attention_layernorm.weight"),
                proj: Projection.allCases.map { pr in
                    let (rows, cols) = Self.projectionShape(pr, c)
                    let bias: VectorWeight? = switch pr {
                    case .q, .k, .v: vector(p + pr.path + ".bias")
                    default: nil
                    }
                    return LinearLayer(weight: matrix(p + pr.path + ".weight", rows, cols), bias: bias, lora: nil)
                })
        }
        finalNorm = vector("model.norm.weight")
        lmHead = c.tieWordEmbeddings ? embedding : matrix("lm_head.weight", c.vocabSize, c.hiddenSize)
        rope = RopeTable(headDim: c.D, theta: c.ropeTheta, positions: min(c.maxPositionEmbeddings, 32768))
        loraRanks = Array(repeating: 0, count: Projection.allCases.count)
    }

    // MARK: LoRA mode

    /// LoRA-only training: the base stays frozen (bit-identical); the adapter's A and B are copied into `parameters`.
    public init(base model: Qwen2Model, adapter: LoRAAdapter) {
        precondition(adapter.layerCount == model.config.numHiddenLayers, "adapter has \(adapter.layerCount) layers, the model \(model.config.numHiddenLayers)")
        let c = model.config
        config = c
        mode = .lora
        base = model
        loraConfig = adapter.config
        var layout: [(name: String, shape: [Int])] = []
        for m in adapter.namedModules {
            layout.append((m.name + ".lora_A.weight", [m.module.rank, m.module.inFeatures]))
            layout.append((m.name + ".lora_B.weight", [m.module.outFeatures, m.module.rank]))
        }
        let params = ParameterSet(layout: layout)
        var ranks = Array(repeating: 0, count: Projection.allCases.count)
        for m in adapter.namedModules {
            params.valuePointer(m.name + ".lora_A.weight").update(from: m.module.a.pointer, count: m.module.a.count)
            params.valuePointer(m.name + ".lora_B.weight").update(from: m.module.b.pointer, count: m.module.b.count)
            ranks[m.projection.index] = max(ranks[m.projection.index], m.module.rank)
        }
        parameters = params
        loraRanks = ranks
        func frozen(_ b: FloatBuffer) -> VectorWeight { VectorWeight(value: b.pointer, grad: nil) }
        embedding = .frozen(model.embedding)
        layers = model.layers.enumerated().map { l, w in
            DecoderLayer(
                inputNorm: frozen(w.inputNorm), postNorm: frozen(w.postAttentionNorm),
                proj: Projection.allCases.map { pr in
                    let bias: VectorWeight? = switch pr {
                    case .q: frozen(w.qBias)
                    case .k: frozen(w.kBias)
                    case .v: frozen(w.vBias)
                    default: nil
                    }
                    var lora: LoRAWeights?
                    if let m = adapter.module(layer: l, pr) {
                        let name = "base_model.model.model.layers.\(l).\(pr.path)"
                        lora = LoRAWeights(a: params.valuePointer(name + ".lora_A.weight"), dA: params.gradPointer(name + ".lora_A.weight"),
                                           b: params.valuePointer(name + ".lora_B.weight"), dB: params.gradPointer(name + ".lora_B.weight"),
                                           rank: m.rank, scale: m.scale)
                    }
                    return LinearLayer(weight: .frozen(w[pr]), bias: bias, lora: lora)
                })
        }
        finalNorm = frozen(model.finalNorm)
        lmHead = .frozen(model.lmHead)
        rope = model.rope
    }

    /// LoRA-only training from a fresh adapter as PEFT initialises one (A Kaiming-uniform, B = 0).
    public convenience init(base model: Qwen2Model, lora: LoRAConfig, seed: UInt64 = 0) {
        self.init(base: model, adapter: LoRAAdapter.fresh(id: "training", model: model, config: lora, seed: seed))
    }

    public var isLoRA: Bool { mode == .lora }

    /// Clears every gradient.
    public func zeroGrad() { parameters.zeroGrad() }

    /// Releases idle activation memory (arenas kept for the next pass).
    public func releaseIdleMemory() { pool.drain() }
}
