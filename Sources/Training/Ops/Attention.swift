import Foundation
import Scoring
import TrainingKernels

/// Causal grouped-query attention of one sequence over itself (no KV cache): query head h reads key/value head
/// h / (H / KVH). Forward keeps only each row's log-sum-exp; backward recomputes the probabilities from q, k and it
/// (as FlashAttention does), so no [H, T, T] tensor outlives a head.
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

    /// q: [T, H·D]; k, v: [T, KVH·D]; out: [T, H·D]; lse: [T, H] (log Σ_j exp(score), kept for backward).
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        lse: UnsafeMutablePointer<Float>?, shape s: Shape, scratch: TrainScratch) {
        scratch.times.time("attention") { forwardHeads(q: q, k: k, v: v, out: out, lse: lse, shape: s, scratch: scratch) }
    }

    private static func forwardHeads(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                     lse: UnsafeMutablePointer<Float>?, shape s: Shape, scratch: TrainScratch) {
        let T = s.T
        let p = scratch.get(.scores, T * T) // [T, T]
        for h in 0..<s.H {
            let g = h / s.groupSize
            // p = q_h · k_gᵀ · scale
            Blas.gemmNT(m: T, n: T, k: s.D, alpha: s.scale, a: q + h * s.D, lda: s.qDim, b: k + g * s.D, ldb: s.kvDim, beta: 0, c: p, ldc: T)
            tk_causal_softmax(p, Int64(T), Int64(T), Int64(T), 1, lse.map { $0 + h }, Int64(s.H))
            // out_h = p · v_g
            Blas.gemmNN(m: T, n: s.D, k: T, a: p, lda: T, b: v + g * s.D, ldb: s.kvDim, beta: 0, c: out + h * s.D, ldc: s.qDim)
        }
    }

    /// With P = softmax(q·kᵀ·scale) recomputed from lse: dv_g += Pᵀ · dout_h; dP = dout_h · v_gᵀ;
    /// dS = P ⊙ (dP − rowsum(dout_h ⊙ out_h)); dq_h = scale · dS · k_g (written); dk_g += scale · dSᵀ · q_h.
    /// dk and dv must be zeroed (or hold other contributions) before the call.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                         lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, shape s: Shape, scratch: TrainScratch) {
        scratch.times.time("attention") {
            backwardHeads(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: dq, dk: dk, dv: dv, shape: s, scratch: scratch)
        }
    }

    private static func backwardHeads(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafePointer<Float>,
                                      lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                                      dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, shape s: Shape, scratch: TrainScratch) {
        let T = s.T
        let p = scratch.get(.scores, T * T)     // [T, T]
        let dp = scratch.get(.dScores, T * T)   // [T, T]
        let delta = scratch.get(.delta, T)      // [T]
        for h in 0..<s.H {
            let g = h / s.groupSize
            let qh = q + h * s.D, kg = k + g * s.D, vg = v + g * s.D
            let doh = dOut + h * s.D
            Blas.gemmNT(m: T, n: T, k: s.D, alpha: s.scale, a: qh, lda: s.qDim, b: kg, ldb: s.kvDim, beta: 0, c: p, ldc: T)
            tk_causal_exp(p, Int64(T), Int64(T), Int64(T), 1, lse + h, Int64(s.H))
            for t in 0..<T { delta[t] = Blas.dot(doh + t * s.qDim, out + h * s.D + t * s.qDim, count: s.D) }
            // dv_g += Pᵀ · dout_h
            Blas.gemmTN(m: T, n: s.D, k: T, a: p, lda: T, b: doh, ldb: s.qDim, beta: 1, c: dv + g * s.D, ldc: s.kvDim)
            // dP = dout_h · v_gᵀ, then dS in place (zero above the diagonal, where P is zero).
            Blas.gemmNT(m: T, n: T, k: s.D, a: doh, lda: s.qDim, b: vg, ldb: s.kvDim, beta: 0, c: dp, ldc: T)
            tk_causal_softmax_backward(p, dp, Int64(T), Int64(T), Int64(T), 1, delta)
            // dq_h = scale · dS · k_g; dk_g += scale · dSᵀ · q_h
            Blas.gemmNN(m: T, n: s.D, k: T, alpha: s.scale, a: dp, lda: T, b: kg, ldb: s.kvDim, beta: 0, c: dq + h * s.D, ldc: s.qDim)
            Blas.gemmTN(m: T, n: s.D, k: T, alpha: s.scale, a: dp, lda: T, b: qh, ldb: s.qDim, beta: 1, c: dk + g * s.D, ldc: s.kvDim)
        }
    }
}
