import CKernels
import Foundation

/// The linear layers of one decoder layer, in the order Hugging Face names them.
public enum Projection: String, CaseIterable, Sendable, Codable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// Module path under `model.layers.{i}`.
    public var path: String {
        switch self {
        case .q, .k, .v, .o: "self_attn.\(rawValue)"
        case .gate, .up, .down: "mlp.\(rawValue)"
        }
    }

    package var index: Int { Projection.allCases.firstIndex(of: self)! }
}

/// Weights of one decoder layer.
public struct DecoderLayerWeights: @unchecked Sendable {
    public let inputNorm: FloatBuffer      // [C]
    public let postAttentionNorm: FloatBuffer // [C]
    public let proj: [WeightMatrix]        // indexed by Projection.index
    public let qBias: FloatBuffer          // [H·D]
    public let kBias: FloatBuffer          // [KVH·D]
    public let vBias: FloatBuffer          // [KVH·D]

    public init(inputNorm: FloatBuffer, postAttentionNorm: FloatBuffer, proj: [WeightMatrix], qBias: FloatBuffer, kBias: FloatBuffer, vBias: FloatBuffer) {
        precondition(proj.count == Projection.allCases.count, "one weight per projection")
        self.inputNorm = inputNorm; self.postAttentionNorm = postAttentionNorm; self.proj = proj
        self.qBias = qBias; self.kBias = kBias; self.vBias = vBias
    }

    public subscript(_ p: Projection) -> WeightMatrix { proj[p.index] }
}

/// A step the model cannot run, found by `Qwen2Model.problem(with:)` before the pass.
public enum ModelInputError: Error, CustomStringConvertible, Equatable, Sendable {
    case contextExceeded(positions: Int, limit: Int)
    case tokenOutOfVocabulary(token: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .contextExceeded(p, l): "the sequence would reach \(p) positions; the model's context (max_position_embeddings) is \(l)"
        case let .tokenOutOfVocabulary(t, v): "token id \(t) is outside the model's vocabulary of \(v) (tokenizer and model do not match)"
        }
    }
}

/// What a forward pass returns for one sequence.
public enum LogitsRequest: Sendable { case none, last, all }

/// One sequence's share of a batched forward pass: new tokens appended to its cache.
public struct SequenceStep {
    public var tokens: [Int]
    public var cache: KVCache
    public var adapter: LoRAAdapter?
    public var logits: LogitsRequest

    public init(tokens: [Int], cache: KVCache, adapter: LoRAAdapter? = nil, logits: LogitsRequest = .last) {
        self.tokens = tokens; self.cache = cache; self.adapter = adapter; self.logits = logits
    }
}

/// Scratch memory for forward passes. One per thread: a workspace is never used by two passes at once.
public final class Workspace: @unchecked Sendable {
    package let scratch = Scratch()
    public init() {}
}

/// A Qwen2-architecture decoder (Qwen2.5 family): weights are immutable after loading, so one model serves any number of
/// threads, each with its own `Workspace` and `KVCache`s.
public final class Qwen2Model: @unchecked Sendable {
    public let config: Qwen2Config
    public let embedding: WeightMatrix      // [V, C]
    public let layers: [DecoderLayerWeights]
    public let finalNorm: FloatBuffer       // [C]
    public let lmHead: WeightMatrix         // [V, C]; the embedding itself when tied
    package let rope: RopeTable

    public init(config: Qwen2Config, embedding: WeightMatrix, layers: [DecoderLayerWeights], finalNorm: FloatBuffer, lmHead: WeightMatrix) {
        self.config = config
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.lmHead = lmHead
        rope = RopeTable(headDim: config.D, theta: config.ropeTheta, positions: config.contextLength)
    }

    /// Bytes of weights read by one decode step (every matrix once; the embedding row is negligible unless tied).
    public var weightBytes: Int {
        layers.reduce(0) { $0 + $1.proj.reduce(0) { $0 + $1.byteCount } } + lmHead.byteCount
    }

    public func makeCache(capacity: Int = 256) -> KVCache { KVCache(config: config, capacity: capacity) }

    /// Most positions a sequence may hold: `max_position_embeddings` (capped by the rotary table actually built).
    public var contextLength: Int { rope.capacity }

    /// Why `forward` cannot run a step, or nil when it can. `forward` treats these as programmer errors (it traps);
    /// code on a path that input reaches (the serving scorer) checks each step first and fails just that sequence.
    public func problem(with step: SequenceStep) -> ModelInputError? {
        let end = step.cache.length + step.tokens.count
        if end > rope.capacity { return .contextExceeded(positions: end, limit: rope.capacity) }
        if let bad = step.tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            return .tokenOutOfVocabulary(token: bad, vocabularySize: config.vocabSize)
        }
        return nil
    }

    /// Runs new tokens of several sequences through the model in one batch: every linear layer is one matrix product over
    /// all rows; attention runs per sequence against its own cache. Returns, per sequence, the logits it asked for
    /// ([V] for `.last`, [T·V] row-major for `.all`, empty for `.none`).
    public func forward(_ batch: [SequenceStep], workspace: Workspace) -> [[Float]] {
        var result = batch.map { _ in [Float]() }
        forward(batch, workspace: workspace) { seq, logits in result[seq].append(contentsOf: logits) }
        return result
    }

    /// The same pass, handing each wanted row of logits ([V], in order) to `body` in place — no copies of the
    /// vocabulary-sized rows, which matter at every decode step. The buffer is valid only during the call.
    public func forward(_ batch: [SequenceStep], workspace: Workspace,
                        logits body: (_ sequence: Int, _ logits: UnsafeMutableBufferPointer<Float>) -> Void) {
        let C = config.hiddenSize, I = config.intermediateSize, V = config.vocabSize
        let H = config.numAttentionHeads, KVH = config.numKeyValueHeads, D = config.D
        let qDim = config.qDim, kvDim = config.kvDim
        let s = workspace.scratch
        let R = batch.reduce(0) { $0 + $1.tokens.count }
        guard R > 0 else { return }

        // Row layout: sequence i owns rows offsets[i] ..< offsets[i] + T_i.
        var offsets: [Int] = []
        var positions = [Int32](repeating: 0, count: R)
        var r = 0
        for step in batch {
            offsets.append(r)
            step.cache.reserve(step.tokens.count)
            for j in 0..<step.tokens.count { positions[r + j] = Int32(step.cache.length + j) }
            r += step.tokens.count
        }
        if let maxPos = positions.max(), Int(maxPos) >= rope.capacity {
            preconditionFailure("position \(maxPos) exceeds max_position_embeddings \(rope.capacity)")
        }
        // Rows that share an adapter are contiguous runs; LoRA deltas are applied per run.
        let groups = adapterGroups(batch, offsets: offsets)

        let x = s.get("x", R * C)          // [R, C] residual stream
        let h = s.get("h", R * C)          // [R, C] normalised
        let q = s.get("q", R * qDim)       // [R, H·D]
        let k = s.get("k", R * kvDim)      // [R, KVH·D]
        let v = s.get("v", R * kvDim)      // [R, KVH·D]
        let att = s.get("att", R * qDim)   // [R, H·D]
        let gate = s.get("gate", R * I)    // [R, I]
        let up = s.get("up", R * I)        // [R, I]

        for (i, step) in batch.enumerated() {
            for (j, t) in step.tokens.enumerated() {
                precondition(t >= 0 && t < V, "token id \(t) outside the vocabulary of \(V)")
                embedding.row(t, into: x + (offsets[i] + j) * C)
            }
        }

        positions.withUnsafeBufferPointer { pos in
            for (l, layer) in layers.enumerated() {
                // Attention block.
                Ops.rmsnorm(x, layer.inputNorm.pointer, h, rows: R, dim: C, eps: config.rmsNormEps)
                project(h, ldx: C, .q, layer: l, bias: layer.qBias.pointer, out: q, ldy: qDim, rows: R, groups: groups, accumulate: false, s)
                project(h, ldx: C, .k, layer: l, bias: layer.kBias.pointer, out: k, ldy: kvDim, rows: R, groups: groups, accumulate: false, s)
                project(h, ldx: C, .v, layer: l, bias: layer.vBias.pointer, out: v, ldy: kvDim, rows: R, groups: groups, accumulate: false, s)
                Ops.rope(q, rows: R, ld: qDim, heads: H, headDim: D, positions: pos.baseAddress!, table: rope)
                Ops.rope(k, rows: R, ld: kvDim, heads: KVH, headDim: D, positions: pos.baseAddress!, table: rope)
                for (i, step) in batch.enumerated() {
                    let T = step.tokens.count, past = step.cache.length
                    let kc = step.cache.keys(l), vc = step.cache.values(l)
                    (kc + past * kvDim).update(from: k + offsets[i] * kvDim, count: T * kvDim)
                    (vc + past * kvDim).update(from: v + offsets[i] * kvDim, count: T * kvDim)
                    Attention.forward(q: q + offsets[i] * qDim, keys: kc, values: vc, past: past, newTokens: T,
                                      heads: H, kvHeads: KVH, headDim: D, out: att + offsets[i] * qDim, scratch: s)
                }
                project(att, ldx: qDim, .o, layer: l, bias: nil, out: x, ldy: C, rows: R, groups: groups, accumulate: true, s)
                // MLP block.
                Ops.rmsnorm(x, layer.postAttentionNorm.pointer, h, rows: R, dim: C, eps: config.rmsNormEps)
                project(h, ldx: C, .gate, layer: l, bias: nil, out: gate, ldy: I, rows: R, groups: groups, accumulate: false, s)
                project(h, ldx: C, .up, layer: l, bias: nil, out: up, ldy: I, rows: R, groups: groups, accumulate: false, s)
                Ops.siluMul(gate, up, gate, count: R * I)
                project(gate, ldx: I, .down, layer: l, bias: nil, out: x, ldy: C, rows: R, groups: groups, accumulate: true, s)
            }
        }
        for step in batch { step.cache.advance(by: step.tokens.count) }

        // Final norm and logits only for the rows asked for: at prefill the [T, V] product would dominate.
        var wanted: [(seq: Int, row: Int)] = []
        for (i, step) in batch.enumerated() {
            switch step.logits {
            case .none: break
            case .last: wanted.append((i, offsets[i] + step.tokens.count - 1))
            case .all: for j in 0..<step.tokens.count { wanted.append((i, offsets[i] + j)) }
            }
        }
        guard !wanted.isEmpty else { return }
        let W = wanted.count
        let hf = s.get("hfinal", W * C)
        for (j, w) in wanted.enumerated() {
            Ops.rmsnorm(x + w.row * C, finalNorm.pointer, hf + j * C, rows: 1, dim: C, eps: config.rmsNormEps)
        }
        let logits = s.get("logits", W * V)
        Linear.forward(x: hf, ldx: C, w: lmHead, bias: nil, y: logits, ldy: V, m: W, accumulate: false, scratch: s)
        for (j, w) in wanted.enumerated() {
            body(w.seq, UnsafeMutableBufferPointer(start: logits + j * V, count: V))
        }
    }

    private struct Group { let rows: Range<Int>; let adapter: LoRAAdapter? }

    private func adapterGroups(_ batch: [SequenceStep], offsets: [Int]) -> [Group] {
        var groups: [Group] = []
        for (i, step) in batch.enumerated() where !step.tokens.isEmpty {
            let rows = offsets[i]..<(offsets[i] + step.tokens.count)
            if let last = groups.last, last.adapter === step.adapter {
                groups[groups.count - 1] = Group(rows: last.rows.lowerBound..<rows.upperBound, adapter: last.adapter)
            } else {
                groups.append(Group(rows: rows, adapter: step.adapter))
            }
        }
        return groups
    }

    /// out = x · Wᵀ (+ bias) for the base weight, plus each row group's LoRA delta.
    private func project(_ x: UnsafePointer<Float>, ldx: Int, _ p: Projection, layer l: Int, bias: UnsafePointer<Float>?,
                         out: UnsafeMutablePointer<Float>, ldy: Int, rows: Int, groups: [Group], accumulate: Bool, _ s: Scratch) {
        Linear.forward(x: x, ldx: ldx, w: layers[l][p], bias: bias, y: out, ldy: ldy, m: rows, accumulate: accumulate, scratch: s)
        for g in groups {
            guard let adapter = g.adapter, let module = adapter.module(layer: l, p) else { continue }
            module.addDelta(x: x + g.rows.lowerBound * ldx, ldx: ldx, y: out + g.rows.lowerBound * ldy, ldy: ldy, rows: g.rows.count, scratch: s)
        }
    }
}

/// Causal grouped-query attention of new tokens against a sequence's cache.
package enum Attention {
    /// q: [T, H·D] for the T new tokens at positions past ..< past+T; keys/values: [past+T, KVH·D] (already holding the
    /// new tokens); out: [T, H·D].
    package static func forward(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, past: Int, newTokens T: Int,
                        heads H: Int, kvHeads KVH: Int, headDim D: Int, out: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let L = past + T
        let qDim = H * D, kvDim = KVH * D
        if T == 1 {
            // Decode: one query row against the whole cache, in the fused kernel.
            ck_attention_decode(q, keys, values, Int64(kvDim), Int64(L), Int64(H), Int64(KVH), Int64(D), out)
            return
        }
        let groupSize = H / KVH
        let scale = 1 / Float(D).squareRoot()
        let scores = scratch.get("scores", T * L)   // [T, L]
        for hd in 0..<H {
            let g = hd / groupSize
            // scores = q_h · K_gᵀ · scale
            cblasScores(T: T, L: L, D: D, q: q + hd * D, ldq: qDim, k: keys + g * D, ldk: kvDim, scale: scale, out: scores)
            for t in 0..<T {
                let row = scores + t * L
                let visible = past + t + 1
                for j in visible..<L { row[j] = -.infinity }
                Ops.softmax(row, count: visible)
                for j in visible..<L { row[j] = 0 }
            }
            // out_h = P · V_g
            Linear.sgemmNN(m: T, n: D, k: L, a: scores, lda: L, b: values + g * D, ldb: kvDim, c: out + hd * D, ldc: qDim, beta: 0)
        }
    }

    @inline(__always)
    static func cblasScores(T: Int, L: Int, D: Int, q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int, scale: Float,
                            out: UnsafeMutablePointer<Float>) {
        Linear.sgemm(m: T, n: L, k: D, a: q, lda: ldq, bT: k, ldb: ldk, c: out, ldc: L, beta: 0)
        for i in 0..<(T * L) { out[i] *= scale }
    }
}
