import CBLAS
import CKernels
import Foundation
import Scoring

/// Dense products the backward passes need beyond `Linear`'s, and vectorised elementwise helpers.
/// Every matrix is row-major Float32; `ld*` are row strides.
enum Blas {
    /// C[m, n] = beta·C + alpha · A[m, k] · B[n, k]ᵀ.
    @inline(__always)
    static func gemmNT(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m, n] = beta·C + alpha · A[m, k] · B[k, n].
    @inline(__always)
    static func gemmNN(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m, n] = beta·C + alpha · A[k, m]ᵀ · B[k, n] — the weight-gradient product dW = dYᵀ · X.
    @inline(__always)
    static func gemmTN(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta != 1 { for i in 0..<m { scale(c + i * ldc, by: beta, count: n) } }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[n] += Σ_rows x[row, n] (bias gradient: column sums of dY).
    static func addColumnSums(_ x: UnsafePointer<Float>, ldx: Int, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { add(x + r * ldx, into: y, count: cols) }
    }

    /// y[i] += x[i].
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// x[i] *= s.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count n: Int) {
        for i in 0..<n { x[i] *= s }
    }

    /// Σ x[i]·y[i], accumulated in Float32 lanes of 16.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }
}

/// Vectorised exp-based loops live in the CKernels C target (AVX-512, AVX2 and plain C paths):
/// attention, SwiGLU and the vocabulary log-softmax evaluate hundreds of millions of exponentials per training step,
/// and neither libm's scalar `expf` nor Swift's generic SIMD types keep up with them.
enum FastMath {
    /// y[i] = exp(x[i] − shift), returning Σ y[i]. x and y may alias.
    @inline(__always)
    static func expShifted(_ x: UnsafePointer<Float>, shift: Float, into y: UnsafeMutablePointer<Float>, count n: Int) -> Float {
        ck_exp_sum(x, shift, y, Int64(n))
    }

    /// max of n > 0 values.
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float { ck_max(x, Int64(n)) }
}
