import CKernels
import Foundation
import Testing
@testable import Scoring

/// `ck_gemm_bf16` against a double-precision product of the bf16-rounded operands, at the vdpbf16ps path where the
/// CPU has AVX512-BF16 and at the plain C path everywhere.
@Suite(.serialized) struct GemmBF16Tests {
    struct Case: CustomStringConvertible, Sendable {
        var m: Int, n: Int, k: Int
        var rowsK = false, f32B = false, accumulate = false, pad = 0
        var description: String { "m=\(m) n=\(n) k=\(k) rowsK=\(rowsK) f32B=\(f32B) acc=\(accumulate) pad=\(pad)" }
    }

    static let cases: [Case] = [
        .init(m: 1, n: 1, k: 1),
        .init(m: 12, n: 32, k: 64),
        .init(m: 13, n: 33, k: 65, accumulate: true),
        .init(m: 7, n: 5, k: 3, rowsK: true),
        .init(m: 40, n: 100, k: 257, rowsK: true, accumulate: true, pad: 3),
        .init(m: 25, n: 70, k: 96, f32B: true, pad: 1),
        .init(m: 64, n: 96, k: 200, rowsK: true, f32B: true),
        .init(m: 3, n: 4, k: 0, accumulate: true),
        .init(m: 130, n: 257, k: 300),   // large enough for the pool
    ]

    func bf16Round(_ v: Float) -> Double { bf16Value(bf16Bits([v])[0]) }

    @Test(arguments: cases) func productMatchesDoubleReference(_ c: Case) {
        var rng = SplitMix64(seed: UInt64(c.m * 131 + c.n * 17 + c.k))
        let lda = c.k + c.pad, ldc = c.n + c.pad
        let a = rng.floats(c.m * lda)
        // W is [n, k] (rows n) or [k, n] (rows k), stride ldb.
        let wRows = c.rowsK ? c.k : c.n, wCols = c.rowsK ? c.n : c.k, ldb = wCols + c.pad
        let wf = rng.floats(max(1, wRows * ldb), scale: 0.5)
        let wb = bf16Bits(wf)
        let c0 = rng.floats(c.m * ldc)
        var ref = c0.map(Double.init)
        for i in 0..<c.m {
            for j in 0..<c.n {
                var s = 0.0
                for kk in 0..<c.k {
                    let w = c.rowsK ? wb[kk * ldb + j] : wb[j * ldb + kk]
                    s += bf16Round(a[i * lda + kk]) * bf16Value(w)
                }
                ref[i * ldc + j] = (c.accumulate ? ref[i * ldc + j] : 0) + s
            }
        }
        let tol = 1e-5 * Double(max(c.k, 1)) * 0.5 + 1e-6
        var paths: [Int32] = [Int32(CK_ISA_SCALAR)]
        if ck_isa_supported() == Int32(CK_ISA_AVX512) { paths.append(Int32(CK_ISA_AVX512)) }
        for level in paths {
            var out = c0
            let simd = withISA(level) { () -> Int32 in
                if c.f32B {
                    ck_gemm_bf16(a, Int64(lda), wf, Int64(ldb), Int32(c.rowsK ? CK_B_ROWS_K : CK_B_ROWS_N), 1, &out, Int64(ldc),
                                 Int64(c.m), Int64(c.n), Int64(c.k), c.accumulate ? 1 : 0)
                } else {
                    ck_gemm_bf16(a, Int64(lda), wb, Int64(ldb), Int32(c.rowsK ? CK_B_ROWS_K : CK_B_ROWS_N), 0, &out, Int64(ldc),
                                 Int64(c.m), Int64(c.n), Int64(c.k), c.accumulate ? 1 : 0)
                }
                return ck_bf16_dot_supported()
            }
            if level == Int32(CK_ISA_SCALAR) { #expect(simd == 0) }
            for i in 0..<c.m { for j in c.n..<ldc { #expect(out[i * ldc + j] == c0[i * ldc + j], "padding written") } }
            let err = maxAbsDiff(out, ref)
            #expect(err <= tol, "isa \(level) (vdpbf16ps: \(simd)) \(c): max |err| \(err) > \(tol)")
        }
    }

    @Test func resultsDoNotDependOnThreadCount() {
        let m = 50, n = 300, k = 128
        var rng = SplitMix64(seed: 9)
        let a = rng.floats(m * k), w = bf16Bits(rng.floats(n * k))
        func run(_ t: Int32) -> [Float] {
            withThreads(t) {
                var out = [Float](repeating: 0, count: m * n)
                ck_gemm_bf16(a, Int64(k), w, Int64(k), Int32(CK_B_ROWS_N), 0, &out, Int64(n), Int64(m), Int64(n), Int64(k), 0)
                return out
            }
        }
        #expect(run(1) == run(2))
    }

    /// `ck_linear_bf16_dot` (batched decode on vdpbf16ps) against the same double reference, with bias and
    /// accumulation, at both paths; a row's result does not depend on the batch around it or on the thread count.
    /// Rows of up to 2048 values at batch 1 and 5–8 take one weight row at a time, longer ones blocks of 4: both sides.
    @Test(arguments: [(1, 8, 32), (3, 9, 33), (8, 64, 896), (5, 130, 31), (12, 40, 100), (32, 300, 257), (2, 4, 0),
                      (1, 20, 2100), (8, 20, 2100)])
    func linearDotMatchesDoubleReferenceAndIsBatchInvariant(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var rng = SplitMix64(seed: UInt64(m * 7 + n * 3 + k))
        let ldx = k + 2, ldy = n + 1
        let x = rng.floats(m * ldx), wb = bf16Bits(rng.floats(max(1, n * k), scale: 0.5)), bias = rng.floats(n)
        let y0 = rng.floats(m * ldy)
        for accumulate in [false, true] {
            var ref = y0.map(Double.init)
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for kk in 0..<k { s += bf16Round(x[i * ldx + kk]) * bf16Value(wb[j * k + kk]) }
                    ref[i * ldy + j] = (accumulate ? ref[i * ldy + j] : 0) + s + Double(bias[j])
                }
            }
            let tol = 1e-5 * Double(max(k, 1)) * 0.5 + 1e-5
            var paths: [Int32] = [Int32(CK_ISA_SCALAR)]
            if ck_isa_supported() == Int32(CK_ISA_AVX512) { paths.append(Int32(CK_ISA_AVX512)) }
            for level in paths {
                let (out, simd) = withISA(level) { () -> ([Float], Int32) in
                    var out = y0
                    ck_linear_bf16_dot(x, Int64(ldx), wb, bias, &out, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
                    return (out, ck_bf16_dot_supported())
                }
                for i in 0..<m { #expect(out[i * ldy + n] == y0[i * ldy + n], "padding written") }
                let err = maxAbsDiff(out, ref)
                #expect(err <= tol, "isa \(level) (vdpbf16ps: \(simd)) m=\(m) n=\(n) k=\(k) acc=\(accumulate): max |err| \(err) > \(tol)")
                // Each row alone gives bit-for-bit the row of the batch, on one thread or two.
                for i in 0..<m {
                    for threads in [Int32(1), 2] {
                        let alone = withISA(level) {
                            withThreads(threads) { () -> [Float] in
                                var row = Array(y0[(i * ldy)..<(i * ldy + n)])
                                ck_linear_bf16_dot(Array(x[(i * ldx)..<(i * ldx + ldx)]), Int64(ldx), wb, bias, &row, Int64(n), 1, Int64(n), Int64(k),
                                                   accumulate ? 1 : 0)
                                return row
                            }
                        }
                        #expect(alone == Array(out[(i * ldy)..<(i * ldy + n)]), "row \(i) of m=\(m) at isa \(level), \(threads) thread(s)")
                    }
                }
            }
        }
    }
}
