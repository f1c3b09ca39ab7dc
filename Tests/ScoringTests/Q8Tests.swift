import CKernels
import Foundation
import Testing
@testable import Scoring

/// 8-bit weights (`weight_format` q8): the quantizer against its definition, the kernel at every ISA level against a
/// double-precision product with the dequantized weights, and whole models against the Transformers F32 fixtures.
@Suite(.serialized) struct Q8Tests {
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
        // ck_dequantize_q8 gives exactly q · scale.
        var deq = [Float](repeating: .nan, count: n * k)
        ck_dequantize_q8(q, s, Int64(n), Int64(k), &deq)
        for j in 0..<n { for kk in 0..<k {
            #expect(Double(deq[j * k + kk]) == Double(q[j * kq + kk]) * bf16Value(s[j * (kq / 32) + kk / 32]))
        } }
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

    @Test(arguments: linearCases) func linearQ8MatchesDoubleReference(_ c: LinearCase) {
        var rng = SplitMix64(seed: UInt64(c.m * 31 + c.n * 7 + c.k * 13 + 5))
        let ldx = c.k + c.ldxPad, ldy = c.n + c.ldyPad
        let x = rng.floats(c.m * ldx)
        let wf = rng.floats(c.n * c.k, scale: 0.5)
        let kq = (c.k + 31) / 32 * 32
        var q = [Int8](repeating: 0, count: max(1, c.n * kq))
        var s = [UInt16](repeating: 0, count: max(1, c.n * kq / 32))
        ck_quantize_q8(wf, Int64(c.n), Int64(c.k), &q, &s)
        let bias = c.bias ? rng.floats(c.n) : nil
        let y0 = rng.floats(c.m * ldy)
        let ref = linearReference(x: x, ldx: ldx, w: { i in
            let j = i / max(c.k, 1), kk = i % max(c.k, 1)
            return Double(q[j * kq + kk]) * bf16Value(s[j * (kq / 32) + kk / 32])
        }, bias: bias, y0: y0, ldy: ldy, m: c.m, n: c.n, k: c.k, accumulate: c.accumulate)
        let maxX = Double(x.map { abs($0) }.max() ?? 0), maxW = Double(wf.map { abs($0) }.max() ?? 0)
        let tol = 1e-5 * Double(max(c.k, 1)) * maxX * maxW + 1e-6
        for level in isaLevels {
            var y = y0
            withISA(level) {
                ck_linear_q8(x, Int64(ldx), q, s, bias, &y, Int64(ldy), Int64(c.m), Int64(c.n), Int64(c.k), c.accumulate ? 1 : 0)
            }
            for i in 0..<c.m { for j in c.n..<ldy { #expect(y[i * ldy + j] == y0[i * ldy + j]) } }
            let err = maxAbsDiff(y, ref)
            #expect(err <= tol, "isa \(level) \(c): max |err| \(err) > \(tol)")
        }
    }

    @Test func q8RowsDoNotDependOnBatchingOrThreads() {
        let m = 6, n = 200, k = 300
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

    /// The prefill path (dequantize + sgemm) and the decode kernel multiply the same weights.
    @Test func prefillAndDecodePathsAgree() {
        let n = 96, k = 160, m = Linear.smallBatchRows + 8
        var rng = SplitMix64(seed: 5)
        let x = rng.floats(m * k)
        let w = WeightMatrix(rows: n, cols: k, values: rng.floats(n * k, scale: 0.2), format: .q8)
        var big = [Float](repeating: 0, count: m * n)
        let scratch = Scratch()
        x.withUnsafeBufferPointer { xb in
            big.withUnsafeMutableBufferPointer { yb in
                Linear.forward(x: xb.baseAddress!, ldx: k, w: w, bias: nil, y: yb.baseAddress!, ldy: n, m: m, accumulate: false, scratch: scratch)
            }
        }
        var small = [Float](repeating: 0, count: 4 * n)
        x.withUnsafeBufferPointer { xb in
            small.withUnsafeMutableBufferPointer { yb in
                Linear.forward(x: xb.baseAddress!, ldx: k, w: w, bias: nil, y: yb.baseAddress!, ldy: n, m: 4, accumulate: false, scratch: scratch)
            }
        }
        let d = relativeMaxDifference(small, Array(big[0..<(4 * n)]))
        #expect(d < 1e-5, "prefill vs decode: \(d)")
        #expect(w.byteCount == n * k + n * (k / 32) * 2)
    }
}
