import CKernels
import Foundation
import Scoring

/// Causal grouped-query attention of one sequence over itself (no KV cache): query head h reads key/value head
/// h / (H / KVH). Forward keeps only each row's log-sum-exp; backward recomputes the probabilities from q, k and it
/// (as FlashAttention does), so no [H, T, T] tensor outlives a block.
///
/// Work is done per key/value head and per block of query rows: the G = H / KVH query heads sharing a key/value head
/// are stacked into one [G·rows, D] matrix (one product instead of G), and a block of rows t0 ..< t1 only meets keys
/// 0 ..< t1 (causality skips the rest: ≈ 60% of the square at T = 640 with blocks of 128).
enum AttentionOp {
    struct Shape {
        let T: Int       // tokens of the sequence
        let H: Int       // query heads
        let KVH: Int     // key/value heads
        let D: Int       // head dim
        var qDim: Int { H * D }
        var kvDim: Int { KVH * D }
        var groupSize: Int { H / KVH }
        var scale: Float { 1 / Float(D).squareRoot() }
    }

    /// Query rows per block.
    static let rowBlock = 128

    /// Copies rows t0 ..< t0+rows of the G heads of group g out of x ([T, H·D]) into a stacked [G·rows, D] matrix, or back.
    private static func gather(_ x: UnsafePointer<Float>, into stacked: UnsafeMutablePointer<Float>, group g: Int, t0: Int, rows: Int, _ s: Shape) {
        for j in 0..<s.groupSize {
            let head = g * s.groupSize + j
            for r in 0..<rows { (stacked + (j * rows + r) * s.D).update(from: x + (t0 + r) * s.qDim + head * s.D, count: s.D) }
        }
    }

    private static func scatter(_ stacked: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, group g: Int, t0: Int, rows: Int, _ s: Shape) {
        for j in 0..<s.groupSize {
            let head = g * s.groupSize + j
            for r in 0..<rows { (x + (t0 + r) * s.qDim + head * s.D).update(from: stacked + (j * rows + r) * s.D, count: s.D) }
        }
    }

    /// q: [T, H·D]; k, v: [T, KVH·D]; out: [T, H·D]; lse: [T, H] (log Σ_j exp(score), kept for backward).
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        lse: UnsafeMutablePointer<Float>?, shape s: Shape, scratch: TrainScratch, rowBlock: Int = rowBlock) {
        scratch.times.time("attention") {
            let T = s.T, G = s.groupSize, D = s.D, bs = min(rowBlock, T)
            let qs = scratch.get(.qStack, G * bs * D)      // [G·rows, D]
            let os = scratch.get(.oStack, G * bs * D)      // [G·rows, D]
            let p = scratch.get(.scores, G * bs * T)       // [G·rows, t1]
            for g in 0..<s.KVH {
                let kg = k + g * D, vg = v + g * D
                for t0 in stride(from: 0, to: T, by: bs) {
                    let rows = min(bs, T - t0), t1 = t0 + rows, m = G * rows
                    gather(q, into: qs, group: g, t0: t0, rows: rows, s)
                    // p = q · k[0 ..< t1]ᵀ · scale, then causal softmax per head
                    Blas.gemmNT(m: m, n: t1, k: D, alpha: s.scale, a: qs, lda: D, b: kg, ldb: s.kvDim, beta: 0, c: p, ldc: t1)
                    for j in 0..<G {
                        ck_causal_softmax(p + j * rows * t1, Int64(rows), Int64(t1), Int64(t1), Int64(t0 + 1),
                                          lse.map { $0 + t0 * s.H + g * G + j }, Int64(s.H))
                    }
                    // out = p · v[0 ..< t1]
                    Blas.gemmNN(m: m, n: D, k: t1, a: p, lda: t1, b: vg, ldb: s.kvDim, beta: 0, c: os, ldc: D)
                    scatter(os, into: out, group: g, t0: t0, rows: rows, s)
                }
            }
        }
    }

    /// With P = softmax(q·kᵀ·scale) recomputed from lse: dv += Pᵀ · dout; dP = dout · vᵀ;
    /// dS = P ⊙ (dP − rowsum(dout ⊙ out)); dq = scale · dS · k (written); dk += scale · dSᵀ · q.
    /// dk and dv must be zeroed (or hold other contributions) before the call.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                         lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, shape s: Shape, scratch: TrainScratch,
                         rowBlock: Int = rowBlock) {
        scratch.times.time("attention") {
            let T = s.T, G = s.groupSize, D = s.D, bs = min(rowBlock, T)
            let qs = scratch.get(.qStack, G * bs * D)      // [G·rows, D] q, then dq
            let os = scratch.get(.oStack, G * bs * D)      // [G·rows, D] out
            let dos = scratch.get(.dOStack, G * bs * D)    // [G·rows, D] dout
            let p = scratch.get(.scores, G * bs * T)       // [G·rows, t1]
            let dp = scratch.get(.dScores, G * bs * T)     // [G·rows, t1]
            let delta = scratch.get(.delta, G * bs)        // [G·rows]
            for g in 0..<s.KVH {
                let kg = k + g * D, vg = v + g * D
                for t0 in stride(from: 0, to: T, by: bs) {
                    let rows = min(bs, T - t0), t1 = t0 + rows, m = G * rows
                    gather(q, into: qs, group: g, t0: t0, rows: rows, s)
                    gather(out, into: os, group: g, t0: t0, rows: rows, s)
                    gather(dOut, into: dos, group: g, t0: t0, rows: rows, s)
                    for i in 0..<m { delta[i] = Blas.dot(dos + i * D, os + i * D, count: D) }
                    Blas.gemmNT(m: m, n: t1, k: D, alpha: s.scale, a: qs, lda: D, b: kg, ldb: s.kvDim, beta: 0, c: p, ldc: t1)
                    for j in 0..<G {
                        ck_causal_exp(p + j * rows * t1, Int64(rows), Int64(t1), Int64(t1), Int64(t0 + 1), lse + t0 * s.H + g * G + j, Int64(s.H))
                    }
                    // dv[0 ..< t1] += Pᵀ · dout
                    Blas.gemmTN(m: t1, n: D, k: m, a: p, lda: t1, b: dos, ldb: D, beta: 1, c: dv + g * D, ldc: s.kvDim)
                    // dP = dout · v[0 ..< t1]ᵀ, then dS in place
                    Blas.gemmNT(m: m, n: t1, k: D, a: dos, lda: D, b: vg, ldb: s.kvDim, beta: 0, c: dp, ldc: t1)
                    for j in 0..<G {
                        ck_causal_softmax_backward(p + j * rows * t1, dp + j * rows * t1, Int64(rows), Int64(t1), Int64(t1), Int64(t0 + 1), delta + j * rows)
                    }
                    // dk[0 ..< t1] += scale · dSᵀ · q (before qs is overwritten with dq)
                    Blas.gemmTN(m: t1, n: D, k: m, alpha: s.scale, a: dp, lda: t1, b: qs, ldb: D, beta: 1, c: dk + g * D, ldc: s.kvDim)
                    // dq = scale · dS · k[0 ..< t1]
                    Blas.gemmNN(m: m, n: D, k: t1, alpha: s.scale, a: dp, lda: t1, b: kg, ldb: s.kvDim, beta: 0, c: qs, ldc: D)
                    scatter(qs, into: dq, group: g, t0: t0, rows: rows, s)
                }
            }
        }
    }
}
