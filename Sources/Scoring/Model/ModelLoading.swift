import CKernels
import Foundation

extension Qwen2Model {
    /// Loads a Hugging Face Qwen2 folder: `config.json` and `model.safetensors` (or shards with an index).
    /// Every tensor the architecture needs must be present with the right shape, and every tensor present must be used.
    public static func load(directory: URL, format: WeightFormat = .asStored) throws -> Qwen2Model {
        let config = try Qwen2Config.load(directory.appendingPathComponent("config.json"))
        let store = try TensorStore(directory: directory)
        return try load(config: config, store: store, format: format)
    }

    /// `availableMemory` (bytes; nil = what the machine has available now, `SystemMemory.availableBytes`) bounds what
    /// the weights may take: a checkpoint that would not fit is refused with `insufficientMemory` before any weight is
    /// allocated, instead of ending the process when the allocation fails.
    public static func load(config: Qwen2Config, store: TensorStore, format: WeightFormat,
                            availableMemory: Int? = nil) throws -> Qwen2Model {
        try config.validate()
        let needed = try residentBytes(store: store, format: format)
        if let available = availableMemory ?? SystemMemory.availableBytes(), needed > available {
            throw ModelLoadError.insufficientMemory(neededBytes: needed, availableBytes: available)
        }
        var unused = store.names
        let C = config.hiddenSize, I = config.intermediateSize, V = config.vocabSize

        func raw(_ name: String, _ shape: [Int]) throws -> (UnsafeRawBufferPointer, DType) {
            guard store.names.contains(name) else { throw ModelLoadError.missingTensor(name: name) }
            let info = try store.info(name)
            guard info.shape == shape else { throw ModelLoadError.wrongShape(tensor: name, expected: shape, found: info.shape) }
            guard [.f32, .bf16, .f16].contains(info.dtype) else { throw ModelLoadError.unsupportedDType(tensor: name, found: info.dtype.rawValue) }
            unused.remove(name)
            return (try store.rawBytes(name), info.dtype)
        }
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            let (bytes, dtype) = try raw(name, [rows, cols])
            return try WeightMatrix(rows: rows, cols: cols, raw: bytes, dtype: dtype, format: format, tensor: name)
        }
        func vector(_ name: String, _ n: Int) throws -> FloatBuffer {
            let (bytes, dtype) = try raw(name, [n])
            return FloatBuffer(try TensorData.widen(bytes, dtype: dtype, count: n, tensor: name))
        }

        let embedding = try matrix("model.embed_tokens.weight", rows: V, cols: C)
        var layers: [DecoderLayerWeights] = []
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            var proj: [WeightMatrix] = []
            for pr in Projection.allCases {
                let (rows, cols): (Int, Int) = switch pr {
                case .q: (config.qDim, C)
                case .k, .v: (config.kvDim, C)
                case .o: (C, config.qDim)
                case .gate, .up: (I, C)
                case .down: (C, I)
                }
                proj.append(try matrix(p + pr.path + ".weight", rows: rows, cols: cols))
            }
            layers.append(DecoderLayerWeights(
                inputNorm: try vector(p + "input_layernorm.weight", C),
                postAttentionNorm: try vector(p + "post_attention_layernorm.weight", C),
                proj: proj,
                qBias: try vector(p + "self_attn.q_proj.bias", config.qDim),
                kBias: try vector(p + "self_attn.k_proj.bias", config.kvDim),
                vBias: try vector(p + "self_attn.v_proj.bias", config.kvDim)))
        }
        let finalNorm = try vector("model.norm.weight", C)
        let lmHead: WeightMatrix
        if config.tieWordEmbeddings {
            // Some exporters write the tied head anyway; accept it only if it really is the embedding.
            if store.names.contains("lm_head.weight") {
                let head = try matrix("lm_head.weight", rows: V, cols: C)
                guard head.floats() == embedding.floats() else {
                    throw ModelLoadError.badConfig(file: "config.json", key: "tie_word_embeddings",
                                                   reason: "is true but lm_head.weight differs from model.embed_tokens.weight")
                }
            }
            lmHead = embedding
        } else {
            lmHead = try matrix("lm_head.weight", rows: V, cols: C)
        }
        if !unused.isEmpty { throw ModelLoadError.unusedTensors(names: unused.sorted()) }
        return Qwen2Model(config: config, embedding: embedding, layers: layers, finalNorm: finalNorm, lmHead: lmHead)
    }

    /// Bytes the checkpoint's tensors take once loaded in `format` (matrices at the format's width, vectors in F32), plus
    /// the largest buffer a conversion holds for a moment (the F32 copy a q8 or F16 matrix passes through). Counted from
    /// the headers alone; saturates instead of overflowing on absurd shapes.
    static func residentBytes(store: TensorStore, format: WeightFormat) throws -> Int {
        func times(_ a: Int, _ b: Int) -> Int { let (m, o) = a.multipliedReportingOverflow(by: b); return o ? .max : m }
        func plus(_ a: Int, _ b: Int) -> Int { let (m, o) = a.addingReportingOverflow(b); return o ? .max : m }
        var total = 0, transient = 0
        for name in store.names {
            let info = try store.info(name)
            let n = info.shape.reduce(1) { times($0, max(0, $1)) }
            guard info.shape.count == 2 else { total = plus(total, times(n, 4)); continue }
            if format == .q8 {
                // Rows padded to the packed groups of 16, columns to blocks of 32: int8 quants and a BF16 scale per block.
                let rows = plus(max(0, info.shape[0]), 15) / 16 * 16, blocks = plus(max(0, info.shape[1]), 31) / 32
                total = plus(total, times(times(rows, blocks), 34))
                transient = max(transient, times(n, 4))
            } else if format == .bf16 || (format == .asStored && info.dtype == .bf16) {
                total = plus(total, times(n, 2))
                if info.dtype == .f16 { transient = max(transient, times(n, 4)) }
            } else {
                total = plus(total, times(n, 4))
            }
        }
        return plus(total, transient)
    }

    /// A model with random weights (normal, std 0.02; norms 1) — for benchmarks and tests that need no files.
    public static func random(config: Qwen2Config, format: WeightFormat = .bf16, seed: UInt64 = 0) -> Qwen2Model {
        var rng = SplitMix64(seed: seed)
        let C = config.hiddenSize, I = config.intermediateSize, V = config.vocabSize
        func matrix(_ rows: Int, _ cols: Int) -> WeightMatrix {
            let n = rows * cols
            let f = FloatBuffer(count: n)
            rng.fillNormal(f.pointer, count: n, std: 0.02)
            if format == .q8 { return WeightMatrix(rows: rows, cols: cols, storage: .q8(Q8Buffer(rows: rows, cols: cols, values: f.pointer))) }
            if format == .bf16 {
                let b = BF16Buffer(count: n)
                ck_f32_to_bf16(f.pointer, b.pointer, n)
                return WeightMatrix(rows: rows, cols: cols, storage: .bf16(b))
            }
            return WeightMatrix(rows: rows, cols: cols, storage: .f32(f))
        }
        func ones(_ n: Int) -> FloatBuffer { FloatBuffer([Float](repeating: 1, count: n)) }
        func small(_ n: Int) -> FloatBuffer { let b = FloatBuffer(count: n); rng.fillNormal(b.pointer, count: n, std: 0.02); return b }
        let embedding = matrix(V, C)
        let layers = (0..<config.numHiddenLayers).map { _ in
            DecoderLayerWeights(
                inputNorm: ones(C), postAttentionNorm: ones(C),
                proj: [matrix(config.qDim, C), matrix(config.kvDim, C), matrix(config.kvDim, C), matrix(C, config.qDim),
                       matrix(I, C), matrix(I, C), matrix(C, I)],
                qBias: small(config.qDim), kBias: small(config.kvDim), vBias: small(config.kvDim))
        }
        return Qwen2Model(config: config, embedding: embedding, layers: layers, finalNorm: ones(C),
                          lmHead: config.tieWordEmbeddings ? embedding : matrix(V, C))
    }
}
