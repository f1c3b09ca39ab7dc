import CKernels
import Foundation
import Scoring

/// A weight matrix in PyTorch `Linear` layout ([rows = out, cols = in]) as the trainable model reads it: an F32 tensor
/// in the parameter buffers (full-parameter mode), or a frozen base weight (F32 or BF16, never written).
enum MatrixWeight {
    case trainable(value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int, cols: Int)
    case frozen(WeightMatrix)

    var rows: Int { switch self { case .trainable(_, _, let r, _): r; case .frozen(let w): w.rows } }
    var cols: Int { switch self { case .trainable(_, _, _, let c): c; case .frozen(let w): w.cols } }
    var grad: UnsafeMutablePointer<Float>? { if case .trainable(_, let g, _, _) = self { g } else { nil } }

    func row(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case let .trainable(value, _, _, cols): out.update(from: value + r * cols, count: cols)
        case .frozen(let w): w.row(r, into: out)
        }
    }

    /// Rows r0 ..< r0+count as Float32: the tensor itself when it is F32, else widened into `scratch`.
    func rowsF32(_ r0: Int, _ count: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        switch self {
        case let .trainable(value, _, _, cols): return UnsafePointer(value + r0 * cols)
        case .frozen(let w):
            switch w.storage {
            case .f32(let b): return UnsafePointer(b.pointer + r0 * w.cols)
            case .bf16(let b):
                ck_bf16_to_f32(b.pointer + r0 * w.cols, scratch, count * w.cols)
                return UnsafePointer(scratch)
            }
        }
    }

    var needsWidening: Bool { if case .frozen(let w) = self { w.isBF16 } else { false } }
}

/// A vector parameter (norm weight, bias): trainable, or frozen with no gradient.
struct VectorWeight {
    let value: UnsafeMutablePointer<Float>
    let grad: UnsafeMutablePointer<Float>?
}

/// The trainable low-rank pair of one projection (PEFT LoRA): Δy = scale · (x · Aᵀ) · Bᵀ.
struct LoRAWeights {
    let a: UnsafeMutablePointer<Float>   // [r, in]
    let dA: UnsafeMutablePointer<Float>  // [r, in]
    let b: UnsafeMutablePointer<Float>   // [out, r]
    let dB: UnsafeMutablePointer<Float>  // [out, r]
    let rank: Int
    let scale: Float
}

/// One projection of a decoder layer: y = x · Wᵀ (+ bias) (+ LoRA delta).
struct LinearLayer {
    let weight: MatrixWeight
    let bias: VectorWeight?
    let lora: LoRAWeights?
    var inFeatures: Int { weight.cols }
    var outFeatures: Int { weight.rows }

    /// Rows of a BF16 weight widened per product: bounds the scratch to 64 MiB.
    static let widenBudget = 16 << 20

    /// y[R, out] (+)= x[R, in] · Wᵀ + bias; with LoRA also u = x · Aᵀ (kept for backward) and y += scale · u · Bᵀ.
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows R: Int, accumulate: Bool,
                 loraU: UnsafeMutablePointer<Float>?, useLoRA: Bool, scratch: TrainScratch) {
        let n = outFeatures, k = inFeatures
        switch weight {
        case let .trainable(value, _, _, _):
            Blas.gemmNT(m: R, n: n, k: k, a: x, lda: k, b: value, ldb: k, beta: accumulate ? 1 : 0, c: y, ldc: n)
        case .frozen(let w):
            Linear.forward(x: x, ldx: k, w: w, bias: nil, y: y, ldy: n, m: R, accumulate: accumulate, scratch: scratch.engine)
        }
        if let bias {
            for r in 0..<R { Blas.add(bias.value, into: y + r * n, count: n) }
        }
        if useLoRA, let lora {
            let u = loraU ?? scratch.get(.loraU, R * lora.rank)   // [R, r]
            Blas.gemmNT(m: R, n: lora.rank, k: k, a: x, lda: k, b: lora.a, ldb: k, beta: 0, c: u, ldc: lora.rank)
            Blas.gemmNT(m: R, n: n, k: lora.rank, alpha: lora.scale, a: u, lda: lora.rank, b: lora.b, ldb: lora.rank, beta: 1, c: y, ldc: n)
        }
    }

    /// Given dy[R, out]: dW += dyᵀ · x and dbias += Σ_r dy (trainable weights); dB += scale · dyᵀ · u,
    /// dA += (scale · dy · B)ᵀ · x (LoRA); and dx[R, in] (+)= dy · W + (scale · dy · B) · A when dx is given.
    func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, rows R: Int, accumulate: Bool,
                  loraU: UnsafePointer<Float>?, scratch: TrainScratch) {
        let n = outFeatures, k = inFeatures
        if let dW = weight.grad {
            Blas.gemmTN(m: n, n: k, k: R, a: dy, lda: n, b: x, ldb: k, beta: 1, c: dW, ldc: k)
        }
        if let dBias = bias?.grad { Blas.addColumnSums(dy, ldx: n, rows: R, cols: n, into: dBias) }
        if let dx {
            let block = max(1, min(n, Self.widenBudget / k))
            let tmp = weight.needsWidening ? scratch.get(.widen, block * k) : scratch.get(.widen, 1)
            var r0 = 0
            while r0 < n {
                let rows = min(block, n - r0)
                let w = weight.rowsF32(r0, rows, scratch: tmp)
                Blas.gemmNN(m: R, n: k, k: rows, a: dy + r0, lda: n, b: w, ldb: k, beta: (r0 == 0 && !accumulate) ? 0 : 1, c: dx, ldc: k)
                r0 += rows
            }
        }
        if let lora, let loraU {
            let r = lora.rank
            Blas.gemmTN(m: n, n: r, k: R, alpha: lora.scale, a: dy, lda: n, b: loraU, ldb: r, beta: 1, c: lora.dB, ldc: r)
            let du = scratch.get(.loraDU, R * r) // [R, r]
            Blas.gemmNN(m: R, n: r, k: n, alpha: lora.scale, a: dy, lda: n, b: lora.b, ldb: r, beta: 0, c: du, ldc: r)
            Blas.gemmTN(m: r, n: k, k: R, a: du, lda: r, b: x, ldb: k, beta: 1, c: lora.dA, ldc: k)
            if let dx { Blas.gemmNN(m: R, n: k, k: r, a: du, lda: r, b: lora.a, ldb: k, beta: 1, c: dx, ldc: k) }
        }
    }
}
