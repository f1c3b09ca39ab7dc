import Foundation
import Scoring

/// Hands out consecutive 64-byte aligned sub-buffers of one allocation.
struct Carver {
    let base: UnsafeMutablePointer<Float>
    private(set) var used = 0
    init(_ base: UnsafeMutablePointer<Float>) { self.base = base }

    static func rounded(_ n: Int) -> Int { (n + 15) / 16 * 16 }

    mutating func take(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = base + used
        used += Self.rounded(n)
        return p
    }
}

/// What one decoder layer's forward keeps for its backward. Norm outputs, the SwiGLU product and attention
/// probabilities are recomputed in backward (cheap elementwise work, or one small product per head) rather than kept.
struct LayerActivations {
    let xIn: UnsafeMutablePointer<Float>    // [R, C] residual stream entering the layer
    let rstd1: UnsafeMutablePointer<Float>  // [R]
    let q: UnsafeMutablePointer<Float>      // [R, H·D] after RoPE
    let k: UnsafeMutablePointer<Float>      // [R, KVH·D] after RoPE
    let v: UnsafeMutablePointer<Float>      // [R, KVH·D]
    let att: UnsafeMutablePointer<Float>    // [R, H·D] attention output (o_proj input)
    let lse: UnsafeMutablePointer<Float>    // [R, H] attention log-sum-exp
    let xMid: UnsafeMutablePointer<Float>   // [R, C] residual stream after attention
    let rstd2: UnsafeMutablePointer<Float>  // [R]
    let gate: UnsafeMutablePointer<Float>   // [R, I]
    let up: UnsafeMutablePointer<Float>     // [R, I]
    let loraU: [UnsafeMutablePointer<Float>?] // per Projection.index: [R, r] = x · Aᵀ

    static func floats(rows R: Int, config c: Qwen2Config, ranks: [Int]) -> Int {
        let parts = [R * c.hiddenSize, R, R * c.qDim, R * c.kvDim, R * c.kvDim, R * c.qDim, R * c.numAttentionHeads,
                     R * c.hiddenSize, R, R * c.intermediateSize, R * c.intermediateSize] + ranks.map { R * $0 }
        return parts.reduce(0) { $0 + Carver.rounded($1) }
    }

    /// ranks: per Projection.index, 0 where the projection has no LoRA.
    init(carving carver: inout Carver, rows R: Int, config c: Qwen2Config, ranks: [Int]) {
        xIn = carver.take(R * c.hiddenSize); rstd1 = carver.take(R)
        q = carver.take(R * c.qDim); k = carver.take(R * c.kvDim); v = carver.take(R * c.kvDim)
        att = carver.take(R * c.qDim); lse = carver.take(R * c.numAttentionHeads)
        xMid = carver.take(R * c.hiddenSize); rstd2 = carver.take(R)
        gate = carver.take(R * c.intermediateSize); up = carver.take(R * c.intermediateSize)
        var u: [UnsafeMutablePointer<Float>?] = []
        for r in ranks { u.append(r > 0 ? carver.take(R * r) : nil) }
        loraU = u
    }
}

/// Everything a `ForwardPass` keeps, carved from one arena that returns to the model's pool when the pass is released.
final class PassState {
    let layout: BatchLayout
    let arena: FloatBuffer
    let pool: ArenaPool
    /// Keep mode: one set per layer. Recompute mode: empty.
    let layers: [LayerActivations]
    /// Recompute mode: each layer's input [R, C], from which backward re-runs the layer.
    let checkpoints: [UnsafeMutablePointer<Float>]
    let xSel: UnsafeMutablePointer<Float>     // [N, C] final residual at scored rows
    let finalRstd: UnsafeMutablePointer<Float> // [N]
    let hFinal: UnsafeMutablePointer<Float>   // [N, C] after the final norm
    let headLse: UnsafeMutablePointer<Float>  // [N]
    let logprobs: UnsafeMutablePointer<Float> // [N]
    /// Frozen head only: E_p[W] per scored row [N, C], from which backward gets dh without a second vocabulary pass.
    let headExpectation: UnsafeMutablePointer<Float>?
    let adapterEnabled: Bool
    var consumed = false

    static func floats(layout: BatchLayout, config c: Qwen2Config, ranks: [Int], recompute: Bool, frozenHead: Bool) -> Int {
        let R = layout.R, N = layout.N, C = c.hiddenSize
        let perLayer = recompute ? Carver.rounded(R * C) : LayerActivations.floats(rows: R, config: c, ranks: ranks)
        return c.numHiddenLayers * perLayer + (frozenHead ? 3 : 2) * Carver.rounded(N * C) + 3 * Carver.rounded(N)
    }

    init(layout: BatchLayout, config c: Qwen2Config, ranks: [Int], recompute: Bool, frozenHead: Bool, adapterEnabled: Bool, pool: ArenaPool) {
        self.layout = layout; self.pool = pool; self.adapterEnabled = adapterEnabled
        arena = pool.take(Self.floats(layout: layout, config: c, ranks: ranks, recompute: recompute, frozenHead: frozenHead))
        var carver = Carver(arena.pointer)
        let R = layout.R, N = layout.N, C = c.hiddenSize
        if recompute {
            layers = []
            checkpoints = (0..<c.numHiddenLayers).map { _ in carver.take(R * C) }
        } else {
            layers = (0..<c.numHiddenLayers).map { _ in LayerActivations(carving: &carver, rows: R, config: c, ranks: ranks) }
            checkpoints = []
        }
        xSel = carver.take(N * C); hFinal = carver.take(N * C)
        finalRstd = carver.take(N); headLse = carver.take(N); logprobs = carver.take(N)
        headExpectation = frozenHead ? carver.take(N * C) : nil
    }

    deinit { pool.give(arena) }
}

/// Recycles activation arenas between passes: fresh memory is slow to touch in these VMs (DESIGN §6), and a training
/// loop asks for the same sizes step after step.
final class ArenaPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [FloatBuffer] = []

    func take(_ count: Int) -> FloatBuffer {
        lock.lock(); defer { lock.unlock() }
        if let i = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
            return free.remove(at: i)
        }
        // Smaller arenas will not fit the batches to come either: let them go before allocating.
        free.removeAll { $0.count < count }
        return FloatBuffer(count: max(count, 16))
    }

    func give(_ buffer: FloatBuffer) {
        lock.lock(); defer { lock.unlock() }
        free.append(buffer)
        if free.count > 2 { free.sort { $0.count > $1.count }; free.removeLast(free.count - 2) }
    }

    /// Releases every idle arena.
    func drain() { lock.lock(); free.removeAll(); lock.unlock() }
}
