import Foundation
import Scoring
import TrainingKernels

/// The LM head and log-softmax over the vocabulary at selected positions only:
/// logprob[n] = (h[n] · Wᵀ)[target[n]] − logsumexp(h[n] · Wᵀ).
/// The [N, V] logits are never materialised: the vocabulary is walked in blocks (each BF16 block widened once per pass)
/// with an online log-sum-exp, and backward recomputes each block's logits from the kept log-sum-exp.
enum LogSoftmaxOp {
    /// Logits held at once: [positions, vocabulary block] ≤ this many floats (64 MiB).
    static let blockBudget = 16 << 20

    static func blocks(N: Int, V: Int, budget: Int) -> (positions: Int, vocab: Int) {
        let positions = max(1, min(N, 4096))
        let vocab = max(1, min(V, budget / positions))
        return (positions, vocab)
    }

    /// h: [N, C]; head: [V, C]; targets: [N]; logprobs, lse: [N].
    static func forward(h: UnsafePointer<Float>, head: MatrixWeight, targets: [Int32], logprobs: UnsafeMutablePointer<Float>,
                        lse: UnsafeMutablePointer<Float>, scratch: TrainScratch, blockBudget: Int = blockBudget) {
        let N = targets.count, V = head.rows, C = head.cols
        guard N > 0 else { return }
        let (P, VB) = blocks(N: N, V: V, budget: blockBudget)
        let logits = scratch.get(.logits, P * VB)          // [P, VB]
        let wide = scratch.get(.headWiden, head.needsWidening ? VB * C : 1)
        let runMax = scratch.get(.runMax, N)               // [N]
        let runSum = scratch.get(.runSum, N)               // [N]
        runMax.update(repeating: -.infinity, count: N)
        runSum.update(repeating: 0, count: N)
        var v0 = 0
        while v0 < V {
            let vb = min(VB, V - v0)
            let w = head.rowsF32(v0, vb, scratch: wide)     // [vb, C]
            var n0 = 0
            while n0 < N {
                let np = min(P, N - n0)
                Blas.gemmNT(m: np, n: vb, k: C, a: h + n0 * C, lda: C, b: w, ldb: C, beta: 0, c: logits, ldc: vb)
                targets.withUnsafeBufferPointer { tg in
                    tk_lse_block(logits, Int64(np), Int64(vb), Int64(v0), tg.baseAddress! + n0, runMax + n0, runSum + n0, logprobs + n0)
                }
                n0 += np
            }
            v0 += vb
        }
        for n in 0..<N {
            lse[n] = runMax[n] + log(runSum[n])
            logprobs[n] -= lse[n]
        }
    }

    /// d logprob[n] / d logit[n, j] = δ(j, target) − softmax_j, so dlogits = dlogprob · (onehot − p).
    /// dh[N, C] += dlogits · W; dW[V, C] += dlogitsᵀ · h when the head is trainable.
    static func backward(h: UnsafePointer<Float>, head: MatrixWeight, targets: [Int32], lse: UnsafePointer<Float>,
                         dLogprobs: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>?, scratch: TrainScratch,
                         blockBudget: Int = blockBudget) {
        let N = targets.count, V = head.rows, C = head.cols
        guard N > 0 else { return }
        let (P, VB) = blocks(N: N, V: V, budget: blockBudget)
        let dLogits = scratch.get(.logits, P * VB)         // [P, VB]
        let wide = scratch.get(.headWiden, head.needsWidening ? VB * C : 1)
        var v0 = 0
        while v0 < V {
            let vb = min(VB, V - v0)
            let w = head.rowsF32(v0, vb, scratch: wide)     // [vb, C]
            var n0 = 0
            while n0 < N {
                let np = min(P, N - n0)
                Blas.gemmNT(m: np, n: vb, k: C, a: h + n0 * C, lda: C, b: w, ldb: C, beta: 0, c: dLogits, ldc: vb)
                targets.withUnsafeBufferPointer { tg in
                    tk_logsoftmax_block_backward(dLogits, Int64(np), Int64(vb), Int64(v0), tg.baseAddress! + n0, lse + n0, dLogprobs + n0)
                }
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
