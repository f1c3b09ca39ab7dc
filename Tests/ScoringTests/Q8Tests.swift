import CKernels
import Foundation
import Testing
@testable import Scoring

/// 8-bit weights (`weight_format` q8): the quantizer against its definition, the kernel at every ISA level against the exact
/// product of 8-bit weights and 8-bit activations, and whole models against the Transformers F32 fixtures.
@Suite(.serialized) struct Q8Tests {
    /// Row-major q8 (ck_quantize_q8) in the packed layout the kernels read.
    static func packed(_ q: [Int8], _ s: [UInt16], n: Int, k: Int) -> (q: [Int8], s: [UInt16]) {
        var qp = [Int8](repeating: 99, count: max(1, Int(ck_q8_packed_quant_bytes(Int64(n), Int64(k)))))
        var sp = [UInt16](repeating: 99, count: max(1, Int(ck_q8_packed_scale_count(Int64(n), Int64(k)))))
        ck_pack_q8(q, s, Int64(n), Int64(k), &qp, &sp)
        return (qp, sp)
    }

    /// Quantizes with the kernel and checks every block against the definition: scale is max|w| / 127 rounded up to
    /// bf16 (the smallest bf16 not below it), every quant is round(w / scale) in -127...127, padding quants are 0,
    /// and so |w - q·scale| ≤ scale / 2.
    @Test(arguments: [(1, 1), (3, 31), (2, 32), (5, 33), (4, 100), (7, 257)])
    func quantizationFollowsItsDefinition(_ shape: (Int, Int)) {
        let (n, k) = shape
        var rng = SplitMix64(seed: UInt64(n * 1000 + k))
        var w = rng.floats(n * k, scale: 0.3)
        if k > 32 { w[17] = 0; for i in 32..<min(64, k) { w[i] = 0 } } // a block of zeros in row 0
        let kq = (k + 31) / 32 * 32
        var q = [Int8](repeating: 99, count: n * kq)
        var s = [UInt16](repeating: 0, count: n * kq / 32)
        ck_quantize_q8(w, Int64(n), Int64(k), &q, &s)
        for j in 0..<n {
            for b in 0..<(kq / 32) {
                let block = (b * 32..<min(b * 32 + 32, k)).map { Double(w[j * k + $0]) }
                let amax = block.map(abs).max() ?? 0
                let scale = bf16Value(s[j * (kq / 32) + b])
                #expect(scale * 127 >= amax * (1 - 1e-7), "scale too small")
                // Rounded up to bf16: the next bf16 down is below max|w| / 127.
                if amax > 0 {
                    let below = bf16Value(s[j * (kq / 32) + b] - 1)
                    #expect(below < amax / 127 * (1 + 1e-6))
                } else {
                    #expect(scale == 0)
                }
                for kk in b * 32..<(b * 32 + 32) {
                    let qv = Int(q[j * kq + kk])
                    if kk >= k { #expect(qv == 0, "padding quant"); continue }
                    #expect((-127...127).contains(qv))
                    let v = Double(w[j * k + kk])
                    if scale > 0 {
                        #expect(abs(Double(qv) - (v / scale)) <= 0.5 + 1e-5, "q = round(w / scale)")
                        #expect(abs(v - Double(qv) * scale) <= scale / 2 * (1 + 1e-5))
                    } else {
                        #expect(qv == 0)
                    }
                }
            }
        }
        // Quantizing straight to the packed layout gives the packed row-major quants; ck_dequantize_q8 reads it back
        // as exactly q · scale, for all rows and for any one row.
        let (qp, sp) = Self.packed(q, s, n: n, k: k)
        var qd = [Int8](repeating: 0, count: qp.count), sd = [UInt16](repeating: 0, count: sp.count)
        ck_quantize_q8_packed(w, Int64(n), Int64(k), &qd, &sd)
        #expect(qd == qp && sd == sp)
        #expect(qp.count == (n + 15) / 16 * 16 * kq && sp.count == (n + 15) / 16 * 16 * (kq / 32))
        var deq = [Float](repeating: .nan, count: n * k)
        ck_dequantize_q8(qp, sp, Int64(k), 0, Int64(n), &deq)
        for j in 0..<n { for kk in 0..<k {
            #expect(Double(deq[j * k + kk]) == Double(q[j * kq + kk]) * bf16Value(s[j * (kq / 32) + kk / 32]))
        } }
        var row = [Float](repeating: .nan, count: k)
        ck_dequantize_q8(qp, sp, Int64(k), Int64(n - 1), 1, &row)
        #expect(row == Array(deq[((n - 1) * k)...]))
    }

    @Test func nonFiniteWeightsDoNotPoisonTheirBlock() {
        var w = [Float](repeating: 0.01, count: 64)
        w[3] = .nan
        w[40] = .infinity
        var q = [Int8](repeating: 0, count: 64)
        var s = [UInt16](repeating: 0, count: 2)
        ck_quantize_q8(w, 1, 64, &q, &s)
        #expect(q[3] == 0)
        #expect(bf16Value(s[0]).isFinite && bf16Value(s[1]).isFinite)
        #expect(q[0] >= 126) // the block scale comes from the finite weights (the NaN is not its maximum)
    }

    /// x rounded to 8 bits by definition, per row and block of 32 (f32 arithmetic, as documented): dx = max|x| / 127,
    /// qx = round-half-even(x · 127 / max|x|); a block holding NaN or ±inf has dx NaN.
    static func quantizeX(_ x: [Float], ldx: Int, m: Int, k: Int) -> (q: [Int], d: [Float]) {
        let kq = (k + 31) / 32 * 32, nb = kq / 32
        var q = [Int](repeating: 0, count: m * kq), d = [Float](repeating: 0, count: m * nb)
        for i in 0..<m {
            for b in 0..<nb {
                let block = (b * 32..<min(b * 32 + 32, k)).map { x[i * ldx + $0] }
                if block.contains(where: { !$0.isFinite }) { d[i * nb + b] = .nan; continue }
                let amax = block.map(abs).max() ?? 0
                d[i * nb + b] = amax / 127
                let id: Float = amax > 0 ? 127 / amax : 0
                for (t, v) in block.enumerated() { q[i * kq + b * 32 + t] = max(-127, min(127, Int((v * id).rounded(.toNearestOrEven)))) }
            }
        }
        return (q, d)
    }

    /// The kernel at every ISA level (plain C, AVX2 maddubs, AVX-512 VNNI where present) against the exact product of
    /// the 8-bit weights and the 8-bit activations (integer block sums times dw · dx, in double), and every level gives
    /// the same bits.
    @Test(arguments: linearCases) func linearQ8MatchesTheExactEightBitProduct(_ c: LinearCase) {
        var rng = SplitMix64(seed: UInt64(c.m * 31 + c.n * 7 + c.k * 13 + 5))
        let ldx = c.k + c.ldxPad, ldy = c.n + c.ldyPad
        let x = rng.floats(c.m * ldx)
        let wf = rng.floats(c.n * c.k, scale: 0.5)
        let kq = (c.k + 31) / 32 * 32, nb = kq / 32
        var q = [Int8](repeating: 0, count: max(1, c.n * kq))
        var s = [UInt16](repeating: 0, count: max(1, c.n * nb))
        ck_quantize_q8(wf, Int64(c.n), Int64(c.k), &q, &s)
        let p = Self.packed(q, s, n: c.n, k: c.k)
        let bias = c.bias ? rng.floats(c.n) : nil
        let y0 = rng.floats(c.m * ldy)
        let (qx, dx) = Self.quantizeX(x, ldx: ldx, m: c.m, k: c.k)
        var ref = y0.map(Double.init), mag = [Double](repeating: 0, count: c.m * ldy)
        for i in 0..<c.m { for j in 0..<c.n {
            var sum = 0.0, abssum = 0.0
            for b in 0..<nb {
                var si = 0
                for t in 0..<32 { si += Int(q[j * kq + b * 32 + t]) * qx[i * kq + b * 32 + t] }
                let d = Double(Float(bf16Value(s[j * nb + b])) * dx[i * nb + b])
                sum += Double(si) * d; abssum += abs(Double(si) * d)
            }
            ref[i * ldy + j] = (c.accumulate ? ref[i * ldy + j] : 0) + sum + (bias.map { Double($0[j]) } ?? 0)
            mag[i * ldy + j] = abssum + abs(Double(y0[i * ldy + j])) + abs(Double(bias?[j] ?? 0))
        } }
        var first: [Float]?
        for level in isaLevels {
            var y = y0
            withISA(level) {
                ck_linear_q8(x, Int64(ldx), p.q, p.s, bias, &y, Int64(ldy), Int64(c.m), Int64(c.n), Int64(c.k), c.accumulate ? 1 : 0)
            }
            for i in 0..<c.m { for j in c.n..<ldy { #expect(y[i * ldy + j] == y0[i * ldy + j]) } }
            // f32 accumulation of exact block sums: a few roundings of the running sums, each ≤ 2⁻²⁴ of its magnitude.
            for i in 0..<c.m { for j in 0..<c.n {
                let err = abs(Double(y[i * ldy + j]) - ref[i * ldy + j])
                #expect(err <= 1e-6 * Double(nb + 4) * mag[i * ldy + j] + 1e-30, "isa \(level) \(c) [\(i), \(j)]: |err| \(err)")
            } }
            if let first { #expect(y == first, "isa \(level) gives other bits than isa \(isaLevels[0])") } else { first = y }
        }
    }

    /// What rounding x to 8 bits costs: against the product with f32 activations (the prefill path's), the difference
    /// stays within Σ_b Σ |w| · dx_b / 2 (each activation moves by at most half its block's step), and in practice far
    /// below: for random rows it is about 0.2% of Σ |w·x|.
    @Test func eightBitActivationsStayWithinTheirRoundingBound() {
        let m = 4, n = 64, k = 896
        var rng = SplitMix64(seed: 11)
        var x = rng.floats(m * k)
        for i in stride(from: 5, to: m * k, by: 97) { x[i] *= 20 } // outliers, as real activations have
        let w = rng.floats(n * k, scale: 0.1)
        let kq = (k + 31) / 32 * 32, nb = kq / 32
        var q = [Int8](repeating: 0, count: n * kq), s = [UInt16](repeating: 0, count: n * nb)
        ck_quantize_q8(w, Int64(n), Int64(k), &q, &s)
        var y = [Float](repeating: 0, count: m * n)
        let p = Self.packed(q, s, n: n, k: k)
        ck_linear_q8(x, Int64(k), p.q, p.s, nil, &y, Int64(n), Int64(m), Int64(n), Int64(k), 0)
        let (_, dx) = Self.quantizeX(x, ldx: k, m: m, k: k)
        var worst = 0.0
        for i in 0..<m { for j in 0..<n {
            var exact = 0.0, bound = 0.0, size = 0.0
            for kk in 0..<k {
                let wv = Double(q[j * kq + kk]) * bf16Value(s[j * nb + kk / 32])
                exact += wv * Double(x[i * k + kk]); size += abs(wv * Double(x[i * k + kk]))
                bound += abs(wv) * Double(dx[i * nb + kk / 32]) / 2
            }
            let diff = abs(Double(y[i * n + j]) - exact)
            #expect(diff <= bound * (1 + 1e-4) + 1e-6, "[\(i), \(j)] \(diff) > \(bound)")
            worst = max(worst, diff / size)
        } }
        #expect(worst < 0.02, "largest difference \(worst) of Σ|w·x|")
    }

    /// A NaN or an infinity in x makes the outputs NaN, as an f32 product would, at every ISA level; rows without one
    /// are unaffected.
    @Test func nonFiniteActivationsGiveNaN() {
        let n = 8, k = 64
        var rng = SplitMix64(seed: 3)
        var x = rng.floats(3 * k)
        x[40] = .nan
        x[k + 3] = .infinity
        let w = rng.floats(n * k, scale: 0.1)
        var q = [Int8](repeating: 0, count: n * k), s = [UInt16](repeating: 0, count: n * 2)
        ck_quantize_q8(w, Int64(n), Int64(k), &q, &s)
        let p = Self.packed(q, s, n: n, k: k)
        for level in isaLevels {
            var y = [Float](repeating: 0, count: 3 * n)
            withISA(level) { ck_linear_q8(x, Int64(k), p.q, p.s, nil, &y, Int64(n), 3, Int64(n), Int64(k), 0) }
            #expect(y[0..<(2 * n)].allSatisfy { $0.isNaN }, "isa \(level)")
            #expect(y[(2 * n)...].allSatisfy { $0.isFinite }, "isa \(level)")
        }
    }

    @Test func q8RowsDoNotDependOnBatchingOrThreads() {
        let m = 80, n = 200, k = 900  // m · k past CK_PAR_MIN_ELEMS: x is quantized on the pool
        var rng = SplitMix64(seed: 77)
        let x = rng.floats(m * k)
        let wm = WeightMatrix(rows: n, cols: k, values: rng.floats(n * k, scale: 0.2), format: .q8)
        guard case .q8(let q) = wm.storage else { Issue.record("not q8"); return }
        func run(_ threads: Int32) -> [Float] {
            withThreads(threads) {
                var all = [Float](repeating: 0, count: m * n)
                ck_linear_q8(x, Int64(k), q.quants, q.scales.pointer, nil, &all, Int64(n), Int64(m), Int64(n), Int64(k), 0)
                return all
            }
        }
        let a = run(1), b = run(2)
        #expect(a == b)
        for i in 0..<m {
            var one = [Float](repeating: 0, count: n)
            x.withUnsafeBufferPointer { xb in
                ck_linear_q8(xb.baseAddress! + i * k, Int64(k), q.quants, q.scales.pointer, nil, &one, Int64(n), 1, Int64(n), Int64(k), 0)
            }
            #expect(Array(a[i * n..<(i + 1) * n]) == one, "row \(i)")
        }
    }

    /// The prefill path and the decode kernel multiply the same weights. With AVX-512 VNNI every m runs on the q8 kernel
    /// (the same bits as decode); at the other levels prefill dequantizes for sgemm and keeps f32 activations, so it
    /// differs from decode by the rounding of x to 8 bits only.
    @Test(arguments: isaLevels) func prefillAndDecodePathsAgree(_ level: Int32) {
        let n = 96, k = 160, m = Linear.smallBatchRows + 8
        var rng = SplitMix64(seed: 5)
        let x = rng.floats(m * k)
        let w = WeightMatrix(rows: n, cols: k, values: rng.floats(n * k, scale: 0.2), format: .q8)
        let scratch = Scratch()
        let (big, small, vnni) = withISA(level) { () -> ([Float], [Float], Bool) in
            var big = [Float](repeating: 0, count: m * n), small = [Float](repeating: 0, count: 4 * n)
            x.withUnsafeBufferPointer { xb in
                big.withUnsafeMutableBufferPointer { yb in
                    Linear.forward(x: xb.baseAddress!, ldx: k, w: w, bias: nil, y: yb.baseAddress!, ldy: n, m: m, accumulate: false, scratch: scratch)
                }
                small.withUnsafeMutableBufferPointer { yb in
                    Linear.forward(x: xb.baseAddress!, ldx: k, w: w, bias: nil, y: yb.baseAddress!, ldy: n, m: 4, accumulate: false, scratch: scratch)
                }
            }
            return (big, small, ck_q8_path() == 2)
        }
        let d = relativeMaxDifference(small, Array(big[0..<(4 * n)]))
        if vnni {
            #expect(d == 0, "isa \(level): prefill and decode both on the q8 kernel: \(d)")
        } else {
            #expect(d < 0.02, "isa \(level): prefill vs decode: \(d)")
            #expect(d > 0, "isa \(level): decode rounds x to 8 bits, prefill does not")
        }
        #expect(w.byteCount == n * k + n * (k / 32) * 2)
    }
}
