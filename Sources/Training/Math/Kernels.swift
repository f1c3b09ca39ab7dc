import CBLAS
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

/// A vectorised exp (Cephes `expf`'s range reduction and polynomial, about 1 ulp on the range used here), because
/// attention, SwiGLU and the vocabulary log-softmax evaluate hundreds of millions of exponentials per training step and
/// libm's scalar `expf` would dominate them.
enum FastMath {
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let xc = x.clamped(lowerBound: SIMD16(repeating: -87.0), upperBound: SIMD16(repeating: 88.0))
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: the sum's low mantissa bits hold n.
        let t = xc * 1.442_695_04 + 12_582_912.0
        let n = t - 12_582_912.0
        var r = xc - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * (r * r) + r + 1
        let e = (unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(e, to: SIMD16<Float>.self)
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(SIMD16(repeating: x))[0] }

    /// y[i] = exp(x[i] − shift), returning Σ y[i]. x and y may alias.
    @inline(__always)
    static func expShifted(_ x: UnsafePointer<Float>, shift: Float, into y: UnsafeMutablePointer<Float>, count n: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        let s = SIMD16<Float>(repeating: shift)
        var i = 0
        while i + 16 <= n {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - s)
            UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: SIMD16<Float>.self)
            acc += e
            i += 16
        }
        var total = acc.sum()
        if i < n {
            var tail = SIMD16<Float>(repeating: -.infinity)
            for j in i..<n { tail[j - i] = x[j] - shift }
            let e = exp(tail)
            for j in i..<n { y[j] = e[j - i]; total += e[j - i] }
        }
        return total
    }

    /// max of n > 0 values.
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            m = pointwiseMax(m, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var r = m.max()
        while i < n { r = Swift.max(r, x[i]); i += 1 }
        return r
    }
}
