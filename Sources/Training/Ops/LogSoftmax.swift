import CKernels
import Foundation
import Scoring

/// The LM head and log-softmax over the vocabulary at selected positions only:
/// logprob[n] = (h[n] · Wᵀ)[target[n]] − logsumexp(h[n] · Wᵀ).
/// The [N, V] logits are never materialised: the vocabulary is walked in blocks (each BF16 block widened once per pass)
/// with an online log-sum-exp.
///
/// Gradient: d logprob[n] / d h[n] = W[target] − Σ_j p_j·W[j] = W[target] − E_p[W]. The expectation does not depend on
/// dlogprob, so with a frozen head forward accumulates it block by block (rescaled as the running max moves, as
/// FlashAttention does with its output) and backward is a row difference — no second pass over the vocabulary.
/// A trainable head needs dW = dlogitsᵀ · h, so its backward recomputes each block's logits from the kept log-sum-exp.
enum LogSoftmaxOp {
    /// Logits held at once: [positions, vocabulary block] ≤ this many floats (64 MiB).
    static let blockBudget = 16 << 20

    static func blocks(N: Int, V: Int, budget: Int) -> (positions: Int, vocab: Int) {
        let positions = max(1, min(N, 4096))
        let vocab = max(1, min(V, budget / positions))
        return (positions, vocab)
    }

    /// h: [N, C]; head: [V, C]; targets: [N]; logprobs, lse: [N]; expectation (optional): [N, C] receives E_p[W].
    static func forward(h: UnsafePointer<Float>, head: MatrixWeight, targets: [Int32], logprobs: UnsafeMutablePointer<Float>,
                        lse: UnsafeMutablePointer<Float>, expectation: UnsafeMutablePointer<Float>? = nil, scratch: TrainScratch,
                        blockBudget: Int = blockBudget) {
        let N = targets.count, V = head.rows, C = head.cols
        guard N > 0 else { return }
        let (P, VB) = blocks(N: N, V: V, budget: blockBudget)
        let probs = scratch.get(.logits, P * VB)           // [P, VB] logits, then exp(logit − running max)
        let wide = scratch.get(.headWiden, head.needsWidening && head.bf16GemmOperand == nil ? VB * C : 1)
        let runMax = scratch.get(.runMax, N)               // [N]
        let runSum = scratch.get(.runSum, N)               // [N]
        let rescale = scratch.get(.rescale, N)             // [N]
        runMax.update(repeating: -.infinity, count: N)
        runSum.update(repeating: 0, count: N)
        expectation?.update(repeating: 0, count: N * C)
        targets.withUnsafeBufferPointer { tg in
            var v0 = 0
            while v0 < V {
                let vb = min(VB, V - v0)
                // With `matmul_precision` bf16 both products read the head as stored on the BF16 GEMM (no widening).
                let bf16 = head.bf16GemmOperand(fromRow: v0)
                let w = bf16 == nil ? head.rowsF32(v0, vb, scratch: wide) : UnsafePointer(wide)    // [vb, C]
                var n0 = 0
                while n0 < N {
                    let np = min(P, N - n0)
                    if let (b, f32) = bf16 {
                        ck_gemm_bf16(h + n0 * C, Int64(C), b, Int64(C), Int32(CK_B_ROWS_N), f32 ? 1 : 0, probs, Int64(vb), Int64(np), Int64(vb), Int64(C), 0)
                    } else {
                        Blas.gemmNT(m: np, n: vb, k: C, a: h + n0 * C, lda: C, b: w, ldb: C, beta: 0, c: probs, ldc: vb)
                    }
                    ck_logsoftmax_block_forward(probs, Int64(np), Int64(vb), Int64(v0), tg.baseAddress! + n0, runMax + n0, runSum + n0, logprobs + n0,
                                 expectation == nil ? nil : rescale + n0)
                    if let e = expectation {
                        // e ← e · rescale + exp(logits − max) · W_block
                        for i in 0..<np where rescale[n0 + i] != 1 { Blas.scale(e + (n0 + i) * C, by: rescale[n0 + i], count: C) }
                        if let (b, f32) = bf16 {
                            ck_gemm_bf16(probs, Int64(vb), b, Int64(C), Int32(CK_B_ROWS_K), f32 ? 1 : 0, e + n0 * C, Int64(C), Int64(np), Int64(C), Int64(vb), 1)
                        } else {
                            Blas.gemmNN(m: np, n: C, k: vb, a: probs, lda: vb, b: w, ldb: C, beta: 1, c: e + n0 * C, ldc: C)
                        }
                    }
                    n0 += np
                }
                v0 += vb
            }
        }
        for n in 0..<N {
            lse[n] = runMax[n] + log(runSum[n])
            logprobs[n] -= lse[n]
            if let e = expectation { Blas.scale(e + n * C, by: 1 / runSum[n], count: C) }
        }
    }

    /// Frozen head: dh[n] += dlogprob[n] · (W[target[n]] − E_p[W]).
    static func backward(head: MatrixWeight, targets: [Int32], expectation: UnsafePointer<Float>, dLogprobs: UnsafePointer<Float>,
                         dh: UnsafeMutablePointer<Float>, scratch: TrainScratch) {
        let C = head.cols
        let row = scratch.get(.headRow, C)                 // [C]
        for (n, t) in targets.enumerated() {
            let d = dLogprobs[n]
            guard d != 0 else { continue }
            head.row(Int(t), into: row)
            let e = expectation + n * C, out = dh + n * C
            for c in 0..<C { out[c] += d * (row[c] - e[c]) }
        }
    }

    /// Trainable head: d logprob[n] / d logit[n, j] = δ(j, target) − softmax_j, so dlogits = dlogprob · (onehot − p)
    /// (recomputed per block from the kept lse); dh[N, C] += dlogits · W and dW[V, C] += dlogitsᵀ · h.
    static func backward(h: UnsafePointer<Float>, head: MatrixWeight, targets: [Int32], lse: UnsafePointer<Float>,
                         dLogprobs: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>?, scratch: TrainScratch,
                         blockBudget: Int = blockBudget) {
        let N = targets.count, V = head.rows, C = head.cols
        guard N > 0 else { return }
        let (P, VB) = blocks(N: N, V: V, budget: blockBudget)
        let dLogits = scratch.get(.logits, P * VB)         // [P, VB]
        let wide = scratch.get(.headWiden, head.needsWidening ? VB * C : 1)
        targets.withUnsafeBufferPointer { tg in
            var v0 = 0
            while v0 < V {
                let vb = min(VB, V - v0)
                let w = head.rowsF32(v0, vb, scratch: wide)     // [vb, C]
                var n0 = 0
                while n0 < N {
                    let np = min(P, N - n0)
                    Blas.gemmNT(m: np, n: vb, k: C, a: h + n0 * C, lda: C, b: w, ldb: C, beta: 0, c: dLogits, ldc: vb)
                    ck_logsoftmax_block_backward(dLogits, Int64(np), Int64(vb), Int64(v0), tg.baseAddress! + n0, lse + n0, dLogprobs + n0)
                    if let dh {
                        Blas.gemmNN(m: np, n: C, k: vb, a: dLogits, lda: vb, b: w, ldb: C, beta: 1, c: dh + n0 * C, ldc: C)
                    }
                    if let dW = head.grad {
                        Blas.gemmTN(m: vb, n: C, k: np, a: dLogits, lda: vb, b: h + n0 * C, ldb: C, beta: 1, c: dW + v0 * C, ldc: C)
                    }
                    n0 += np
                }
                v0 += vb
            }
        }
    }
}
