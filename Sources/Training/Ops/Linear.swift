import CKernels
import Foundation
import Scoring

/// A weight matrix in PyTorch `Linear` layout ([rows = out, cols = in]) as the trainable model reads it: an F32 tensor
/// in the parameter buffers (full-parameter mode), or a frozen base weight (F32, BF16 or 8-bit, never written).
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
            case .q8(let q):
                q.dequantize(rows: r0, count: count, into: scratch)
                return UnsafePointer(scratch)
            }
        }
    }

    /// With `matmul_precision` bf16 active: the weight as `ck_gemm_bf16`'s B operand (bf16 bits, or the F32 master
    /// values rounded while packing); nil otherwise (8-bit weights keep the dequantize + sgemm path).
    var bf16GemmOperand: (UnsafeRawPointer, f32: Bool)? {
        guard MatmulPrecision.bf16Active else { return nil }
        switch self {
        case .trainable(let value, _, _, _): return (UnsafeRawPointer(value), true)
        case .frozen(let w):
            switch w.storage {
            case .bf16(let b): return (UnsafeRawPointer(b.pointer), false)
            case .f32(let b): return (UnsafeRawPointer(b.pointer), true)
            case .q8: return nil
            }
        }
    }

    /// `bf16GemmOperand` from row `r0` on.
    func bf16GemmOperand(fromRow r0: Int) -> (UnsafeRawPointer, f32: Bool)? {
        guard let (b, f32) = bf16GemmOperand else { return nil }
        return (b + r0 * cols * (f32 ? MemoryLayout<Float>.size : MemoryLayout<UInt16>.size), f32)
    }

    var needsWidening: Bool {
        if case .frozen(let w) = self, w.format != .f32 { true } else { false }
    }
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
///
/// A frozen base weight is read in row blocks as F32 (BF16 widened, as `Linear.forward` does). When the batch has more
/// rows than the weight has columns, the LoRA delta is folded into that F32 block (W + scale·B·A, one rank-r product
/// per block) rather than added per row (scale·(x·Aᵀ)·Bᵀ, one rank-r product over R × out): same sum, fewer of the
/// memory-bound rank-r updates. Backward folds it likewise into dx = dy · (W + scale·B·A) when R > out. With
/// `matmul_precision` bf16 nothing is folded: the base product runs on the BF16 GEMM from the weight as stored.
struct LinearLayer {
    let weight: MatrixWeight
    let bias: VectorWeight?
    let lora: LoRAWeights?
    var inFeatures: Int { weight.cols }
    var outFeatures: Int { weight.rows }

    /// Floats of one widened (and possibly LoRA-merged) weight block: bounds the scratch to 64 MiB.
    static let widenBudget = 16 << 20

    /// Rows r0 ..< r0+count of W (+ scale·B·A when `merged` is given) as F32: the tensor itself when it is F32 and
    /// nothing is merged, else a copy in `tmp`.
    private func effectiveRows(_ r0: Int, _ count: Int, merged: LoRAWeights?, tmp: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let k = inFeatures
        guard let m = merged else { return weight.rowsF32(r0, count, scratch: tmp) }
        let w = weight.rowsF32(r0, count, scratch: tmp)
        if w != UnsafePointer(tmp) { tmp.update(from: w, count: count * k) }
        Blas.gemmNN(m: count, n: k, k: m.rank, alpha: m.scale, a: m.b + r0 * m.rank, lda: m.rank, b: m.a, ldb: k, beta: 1, c: tmp, ldc: k)
        return UnsafePointer(tmp)
    }

    /// Calls body(r0, rows, W_eff block) over row blocks of the weight.
    private func forEachBlock(merged: LoRAWeights?, scratch: TrainScratch, _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let n = outFeatures, k = inFeatures
        let needsCopy = merged != nil || weight.needsWidening
        let block = needsCopy ? max(1, min(n, Self.widenBudget / k)) : n
        let tmp = scratch.get(.widen, needsCopy ? block * k : 1)
        var r0 = 0
        while r0 < n {
            let rows = min(block, n - r0)
            body(r0, rows, effectiveRows(r0, rows, merged: merged, tmp: tmp))
            r0 += rows
        }
    }

    /// y[R, out] (+)= x[R, in] · Wᵀ + bias (+ LoRA). With LoRA and `loraU` given, also u = x · Aᵀ, kept for backward.
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows R: Int, accumulate: Bool,
                 loraU: UnsafeMutablePointer<Float>?, useLoRA: Bool, scratch: TrainScratch) {
        let n = outFeatures, k = inFeatures, t = scratch.times
        let lora = useLoRA ? self.lora : nil
        // On the BF16 GEMM the base product runs at about twice sgemm's rate from the weight as stored, so the LoRA
        // delta is added per row instead of folded into a widened F32 copy of the weight (which would need sgemm).
        let merged = (lora != nil && scratch.foldLoRA && R > k && weight.bf16GemmOperand == nil) ? lora : nil
        t.time("linear") {
            if merged == nil, let (b, f32) = weight.bf16GemmOperand {
                ck_gemm_bf16(x, Int64(k), b, Int64(k), Int32(CK_B_ROWS_N), f32 ? 1 : 0, y, Int64(n), Int64(R), Int64(n), Int64(k), accumulate ? 1 : 0)
            } else {
                forEachBlock(merged: merged, scratch: scratch) { r0, rows, w in
                    Blas.gemmNT(m: R, n: rows, k: k, a: x, lda: k, b: w, ldb: k, beta: accumulate ? 1 : 0, c: y + r0, ldc: n)
                }
            }
            if let bias {
                for r in 0..<R { Blas.add(bias.value, into: y + r * n, count: n) }
            }
        }
        guard let lora, loraU != nil || merged == nil else { return }
        t.time("lora") {
            let u = loraU ?? scratch.get(.loraU, R * lora.rank)   // [R, r]
            Blas.gemmNT(m: R, n: lora.rank, k: k, a: x, lda: k, b: lora.a, ldb: k, beta: 0, c: u, ldc: lora.rank)
            if merged == nil {
                Blas.gemmNT(m: R, n: n, k: lora.rank, alpha: lora.scale, a: u, lda: lora.rank, b: lora.b, ldb: lora.rank, beta: 1, c: y, ldc: n)
            }
        }
    }

    /// Given dy[R, out]: dW += dyᵀ · x and dbias += Σ_r dy (trainable weights); dB += scale · dyᵀ · u,
    /// dA += (scale · dy · B)ᵀ · x (LoRA); and dx[R, in] (+)= dy · W + (scale · dy · B) · A when dx is given.
    func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, rows R: Int, accumulate: Bool,
                  loraU: UnsafePointer<Float>?, scratch: TrainScratch) {
        let n = outFeatures, k = inFeatures, t = scratch.times
        let merged = (lora != nil && scratch.foldLoRA && dx != nil && R > n && weight.bf16GemmOperand == nil) ? lora : nil
        t.time("linear") {
            if let dW = weight.grad {
                Blas.gemmTN(m: n, n: k, k: R, a: dy, lda: n, b: x, ldb: k, beta: 1, c: dW, ldc: k)
            }
            if let dBias = bias?.grad { Blas.addColumnSums(dy, ldx: n, rows: R, cols: n, into: dBias) }
            if let dx {
                if merged == nil, let (b, f32) = weight.bf16GemmOperand {
                    ck_gemm_bf16(dy, Int64(n), b, Int64(k), Int32(CK_B_ROWS_K), f32 ? 1 : 0, dx, Int64(k), Int64(R), Int64(k), Int64(n), accumulate ? 1 : 0)
                } else {
                    forEachBlock(merged: merged, scratch: scratch) { r0, rows, w in
                        Blas.gemmNN(m: R, n: k, k: rows, a: dy + r0, lda: n, b: w, ldb: k, beta: (r0 == 0 && !accumulate) ? 0 : 1, c: dx, ldc: k)
                    }
                }
            }
        }
        guard let lora else { return }
        guard let loraU else { preconditionFailure("LoRA backward needs the u = x·Aᵀ kept by forward") }
        t.time("lora") {
            let r = lora.rank
            Blas.gemmTN(m: n, n: r, k: R, alpha: lora.scale, a: dy, lda: n, b: loraU, ldb: r, beta: 1, c: lora.dB, ldc: r)
            let du = scratch.get(.loraDU, R * r) // [R, r]
            Blas.gemmNN(m: R, n: r, k: n, alpha: lora.scale, a: dy, lda: n, b: lora.b, ldb: r, beta: 0, c: du, ldc: r)
            Blas.gemmTN(m: r, n: k, k: R, a: du, lda: r, b: x, ldb: k, beta: 1, c: lora.dA, ldc: k)
            if let dx, merged == nil { Blas.gemmNN(m: R, n: k, k: r, a: du, lda: r, b: lora.a, ldb: k, beta: 1, c: dx, ldc: k) }
        }
    }
}
