import CKernels
import Foundation
import Testing
@testable import Scoring

// SplitMix64 (deterministic, so failures reproduce) comes from Scoring.
extension SplitMix64 {
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale...scale, using: &self) }
    }
}

func bf16Value(_ bits: UInt16) -> Double { Double(Float(bitPattern: UInt32(bits) << 16)) }

func bf16Bits(_ values: [Float]) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: values.count)
    ck_f32_to_bf16(values, &out, values.count)
    return out
}

/// Every instruction-set level this machine supports, lowest first.
let isaLevels: [Int32] = Array(0...ck_isa_supported())

/// Runs `body` with kernels on this thread using `level`, then restores the default.
func withISA<T>(_ level: Int32, _ body: () throws -> T) rethrows -> T {
    ck_set_isa_level(level)
    defer { ck_set_isa_level(-1) }
    return try body()
}

/// Runs `body` with the pool at `n` threads, then restores the default.
func withThreads<T>(_ n: Int32, _ body: () throws -> T) rethrows -> T {
    ck_set_num_threads(n)
    defer { ck_set_num_threads(0) }
    return try body()
}

// MARK: - references (double precision)

func linearReference(x: [Float], ldx: Int, w: (Int) -> Double, bias: [Float]?, y0: [Float], ldy: Int,
                     m: Int, n: Int, k: Int, accumulate: Bool) -> [Double] {
    var y = y0.map(Double.init)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for kk in 0..<k { s += Double(x[i * ldx + kk]) * w(j * k + kk) }
            if let bias { s += Double(bias[j]) }
            y[i * ldy + j] = (accumulate ? y[i * ldy + j] : 0) + s
        }
    }
    return y
}

func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

struct LinearCase: CustomStringConvertible {
    var m, n, k: Int
    var ldxPad = 0, ldyPad = 0
    var bias = false, accumulate = false
    var description: String { "m=\(m) n=\(n) k=\(k) ldx+\(ldxPad) ldy+\(ldyPad) bias=\(bias) acc=\(accumulate)" }
}

let linearCases: [LinearCase] = [
    .init(m: 1, n: 1, k: 1),
    .init(m: 1, n: 5, k: 15, bias: true),
    .init(m: 1, n: 33, k: 47, accumulate: true),
    .init(m: 3, n: 45, k: 100, ldxPad: 3, ldyPad: 5, bias: true),
    .init(m: 17, n: 37, k: 65, bias: true, accumulate: true),
    .init(m: 4, n: 8, k: 32),
    .init(m: 5, n: 11, k: 31, ldxPad: 1, accumulate: true),
    .init(m: 8, n: 130, k: 257, bias: true),
    .init(m: 9, n: 7, k: 16),
    .init(m: 32, n: 21, k: 200, ldyPad: 2, bias: true, accumulate: true),
    .init(m: 1, n: 300, k: 1000, bias: true),   // large enough to run on the pool
    .init(m: 1, n: 70, k: 2100, bias: true),    // batch 1 with rows past SINGLE_STREAM_K: blocks of 4 rows
    .init(m: 2, n: 257, k: 515),
    .init(m: 6, n: 3, k: 0, bias: true, accumulate: true),
    .init(m: 3, n: 70, k: 5000, ldxPad: 7, bias: true),          // k split into ranges (x rows exceed L1)
    .init(m: 9, n: 67, k: 2100, ldyPad: 1, accumulate: true),
]

@Suite(.serialized) struct KernelTests {
    // MARK: linear

    func checkLinear(bf16: Bool, _ c: LinearCase, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let ldx = c.k + c.ldxPad, ldy = c.n + c.ldyPad
        let x = rng.floats(c.m * ldx)
        let wf = rng.floats(c.n * c.k, scale: 0.5)
        let wb = bf16Bits(wf)
        let bias = c.bias ? rng.floats(c.n) : nil
        let y0 = rng.floats(c.m * ldy)
        let wRef: (Int) -> Double = bf16 ? { bf16Value(wb[$0]) } : { Double(wf[$0]) }
        let ref = linearReference(x: x, ldx: ldx, w: wRef, bias: bias, y0: y0, ldy: ldy, m: c.m, n: c.n,
                                  k: c.k, accumulate: c.accumulate)
        let maxX = Double(x.map { abs($0) }.max() ?? 0), maxW = Double(wf.map { abs($0) }.max() ?? 0)
        let tol = 1e-5 * Double(max(c.k, 1)) * maxX * maxW + 1e-6
        for level in isaLevels {
            var y = y0
            withISA(level) {
                if bf16 {
                    ck_linear_bf16(x, Int64(ldx), wb, bias, &y, Int64(ldy), Int64(c.m), Int64(c.n), Int64(c.k),
                                   c.accumulate ? 1 : 0)
                } else {
                    ck_linear_f32(x, Int64(ldx), wf, bias, &y, Int64(ldy), Int64(c.m), Int64(c.n), Int64(c.k),
                                  c.accumulate ? 1 : 0)
                }
            }
            // Padding columns of y must be untouched.
            for i in 0..<c.m { for j in c.n..<ldy { #expect(y[i * ldy + j] == y0[i * ldy + j]) } }
            let err = maxAbsDiff(y, ref)
            #expect(err <= tol, "isa \(level) \(c): max |err| \(err) > \(tol)")
        }
    }

    @Test(arguments: linearCases) func linearBF16MatchesDoubleReference(_ c: LinearCase) {
        checkLinear(bf16: true, c, seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
    }

    @Test(arguments: linearCases) func linearF32MatchesDoubleReference(_ c: LinearCase) {
        checkLinear(bf16: false, c, seed: UInt64(c.m * 7919 + c.n * 104_729 + c.k))
    }

    @Test func linearRowsDoNotDependOnBatching() {
        // Row i of a batched call equals the same row computed alone (same summation order).
        var rng = SplitMix64(seed: 11)
        for (m, n, k) in [(13, 70, 333), (13, 70, 3000)] {
        let x = rng.floats(m * k), w = bf16Bits(rng.floats(n * k))
        for level in isaLevels {
            withISA(level) {
                var all = [Float](repeating: 0, count: m * n)
                ck_linear_bf16(x, Int64(k), w, nil, &all, Int64(n), Int64(m), Int64(n), Int64(k), 0)
                for i in [0, 5, 12] {
                    var one = [Float](repeating: 0, count: n)
                    Array(x[(i * k)..<((i + 1) * k)]).withUnsafeBufferPointer { xi in
                        ck_linear_bf16(xi.baseAddress, Int64(k), w, nil, &one, Int64(n), 1, Int64(n), Int64(k), 0)
                    }
                    #expect(Array(all[(i * n)..<((i + 1) * n)]) == one, "isa \(level) k \(k) row \(i)")
                }
            }
        }
        }
    }

    // MARK: elementwise

    @Test func rmsnormMatchesDoubleReference() {
        var rng = SplitMix64(seed: 3)
        for (rows, dim) in [(1, 1), (1, 896), (3, 17), (5, 100), (200, 896), (2, 4864)] {
            let x = rng.floats(rows * dim, scale: 3), w = rng.floats(dim, scale: 2)
            let eps: Float = 1e-6
            for level in isaLevels {
                var y = [Float](repeating: 0, count: rows * dim)
                withISA(level) { ck_rmsnorm(x, w, &y, Int64(rows), Int64(dim), eps) }
                for r in 0..<rows {
                    let row = x[(r * dim)..<((r + 1) * dim)].map(Double.init)
                    let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(dim) + Double(eps)).squareRoot()
                    for i in 0..<dim {
                        let ref = row[i] * inv * Double(w[i])
                        let err = abs(Double(y[r * dim + i]) - ref)
                        #expect(err <= 2e-6 * abs(ref) + 1e-7, "isa \(level) rows \(rows) dim \(dim) [\(r), \(i)]")
                    }
                }
            }
        }
    }

    @Test func rmsnormWorksInPlace() {
        var rng = SplitMix64(seed: 4)
        let x = rng.floats(3 * 50), w = rng.floats(50)
        var y = [Float](repeating: 0, count: x.count)
        ck_rmsnorm(x, w, &y, 3, 50, 1e-6)
        var z = x
        z.withUnsafeMutableBufferPointer { ck_rmsnorm($0.baseAddress, w, $0.baseAddress, 3, 50, 1e-6) }
        #expect(z == y)
    }

    @Test func siluMulMatchesDoubleReference() {
        var rng = SplitMix64(seed: 5)
        for n in [1, 7, 16, 33, 4864, 100_003] {
            var g = rng.floats(n, scale: 12)
            if n > 10 { g[0] = -120; g[1] = 95; g[2] = 0; g[3] = -88.5; g[4] = 88.5 }
            let u = rng.floats(n, scale: 2)
            for level in isaLevels {
                var out = [Float](repeating: 0, count: n)
                withISA(level) { ck_swiglu_forward(g, u, &out, nil, Int64(n)) }
                for i in 0..<n {
                    let gd = Double(g[i]), ref = gd / (1 + exp(-gd)) * Double(u[i])
                    #expect(abs(Double(out[i]) - ref) <= 2e-6 * abs(ref) + 1e-30, "isa \(level) n \(n) i \(i) g \(g[i])")
                }
            }
        }
    }

    @Test func softmaxSumsToOneAndMatchesReference() {
        var rng = SplitMix64(seed: 6)
        for n in [1, 2, 15, 16, 17, 100, 1000, 151_936] {
            var x = rng.floats(n, scale: 20)
            if n > 3 { x[1] = -.infinity; x[2] = 80 }
            let mx = Double(x.max()!)
            let e = x.map { exp(Double($0) - mx) }
            let sum = e.reduce(0, +)
            for level in isaLevels {
                var p = x
                withISA(level) { ck_softmax_inplace(&p, Int64(n)) }
                let total = p.reduce(0.0) { $0 + Double($1) }
                #expect(abs(total - 1) <= 1e-5, "isa \(level) n \(n): sum \(total)")
                for i in 0..<n {
                    // Float32 x - max is rounded (half an ulp of |x - max|), which exp turns into relative
                    // error; results below the normal range (1.2e-38) may be flushed or lose precision.
                    let ref = e[i] / sum, argErr = ref > 0 ? 6e-8 * abs(Double(x[i]) - mx) : 0
                    #expect(abs(Double(p[i]) - ref) <= (2e-6 + argErr) * ref + 1e-37, "isa \(level) n \(n) i \(i)")
                }
                if n > 3 { #expect(p[1] == 0) }
            }
        }
    }

    /// The training engine's kernels (exp-sum, max, SwiGLU keeping σ, causal softmax rows, the vocabulary
    /// log-softmax's blocks) against double-precision references at every ISA level.
    @Test func trainingKernelsMatchDoubleReferencesAtEveryISALevel() {
        var rng = SplitMix64(seed: 11)
        for n in [1, 7, 16, 33, 1000] {
            let x = rng.floats(n, scale: 30)
            let mx = x.max()!
            for level in isaLevels {
                var y = [Float](repeating: 0, count: n)
                let (m, sum) = withISA(level) { (ck_max(x, Int64(n)), ck_exp_sum(x, mx, &y, Int64(n))) }
                #expect(m == mx, "isa \(level) n \(n)")
                let ref = x.map { exp(Double($0) - Double(mx)) }
                #expect(abs(Double(sum) - ref.reduce(0, +)) <= 1e-5 * ref.reduce(0, +), "isa \(level) n \(n)")
                for i in 0..<n {
                    // As in the softmax test: rounding x - shift to Float32 becomes relative error in exp.
                    let argErr = 6e-8 * abs(Double(x[i]) - Double(mx))
                    #expect(abs(Double(y[i]) - ref[i]) <= (2e-6 + argErr) * ref[i] + 1e-37, "isa \(level) n \(n) i \(i)")
                }
            }
        }
        // SwiGLU forward with σ kept, then backward.
        let n = 333
        let g = rng.floats(n, scale: 12), u = rng.floats(n, scale: 2), dact = rng.floats(n)
        for level in isaLevels {
            var act = [Float](repeating: 0, count: n), sig = act, dg = act, du = act
            withISA(level) {
                ck_swiglu_forward(g, u, &act, &sig, Int64(n))
                ck_swiglu_backward(g, u, sig, dact, &dg, &du, Int64(n))
            }
            for i in 0..<n {
                let gd = Double(g[i]), s = 1 / (1 + exp(-gd)), ud = Double(u[i]), d = Double(dact[i])
                #expect(abs(Double(sig[i]) - s) <= 1e-6 * s + 1e-30, "isa \(level) σ \(i)")
                #expect(abs(Double(act[i]) - gd * s * ud) <= 2e-6 * abs(gd * s * ud) + 1e-30, "isa \(level) act \(i)")
                let dgRef = d * ud * s * (1 + gd * (1 - s)), duRef = d * gd * s
                #expect(abs(Double(dg[i]) - dgRef) <= 1e-5 * (abs(d * ud) + 1e-6), "isa \(level) dgate \(i)")
                #expect(abs(Double(du[i]) - duRef) <= 1e-5 * (abs(d * gd) + 1e-6), "isa \(level) dup \(i)")
            }
        }
        // Causal softmax rows: row r sees first_visible + r columns; the log-sum-exp is kept.
        let rows = 5, cols = 21, ld = 24, firstVisible = 17
        let scores = rng.floats(rows * ld, scale: 8)
        for level in isaLevels {
            var p = scores, lse = [Float](repeating: 0, count: rows * 2)
            withISA(level) { ck_causal_softmax(&p, Int64(rows), Int64(cols), Int64(ld), Int64(firstVisible), &lse, 2) }
            var again = scores
            withISA(level) { ck_causal_exp(&again, Int64(rows), Int64(cols), Int64(ld), Int64(firstVisible), lse, 2) }
            for r in 0..<rows {
                let visible = min(firstVisible + r, cols)
                let row = (0..<visible).map { Double(scores[r * ld + $0]) }
                let m = row.max()!, z = row.map { exp($0 - m) }.reduce(0, +)
                #expect(abs(Double(lse[r * 2]) - (m + log(z))) <= 1e-5 * abs(m + log(z)) + 1e-6, "isa \(level) lse row \(r)")
                for j in 0..<cols {
                    let ref = j < visible ? exp(row[j] - m) / z : 0
                    #expect(abs(Double(p[r * ld + j]) - ref) <= 2e-6 * ref + 1e-30, "isa \(level) p[\(r), \(j)]")
                    #expect(abs(Double(again[r * ld + j]) - ref) <= 1e-5 * ref + 1e-30, "isa \(level) recomputed p[\(r), \(j)]")
                }
            }
        }
        // Log-softmax over a vocabulary walked in two blocks: the online log-sum-exp, the target logits, and the
        // backward's dlp · (onehot − p).
        let vRows = 3, v = 50, split = 23
        let logits = rng.floats(vRows * v, scale: 10)
        let targets: [Int32] = [0, 22, 49]
        let dlp: [Float] = [1, -0.5, 2]
        for level in isaLevels {
            var runMax = [Float](repeating: -.infinity, count: vRows), runSum = [Float](repeating: 0, count: vRows)
            var target = [Float](repeating: 0, count: vRows), rescale = target
            for (v0, width) in [(0, split), (split, v - split)] {
                var block = (0..<vRows).flatMap { r in logits[(r * v + v0)..<(r * v + v0 + width)] }
                withISA(level) {
                    ck_logsoftmax_block_forward(&block, Int64(vRows), Int64(width), Int64(v0), targets, &runMax, &runSum, &target, &rescale)
                }
            }
            for r in 0..<vRows {
                let row = (0..<v).map { Double(logits[r * v + $0]) }
                let m = row.max()!, lseRef = m + log(row.map { exp($0 - m) }.reduce(0, +))
                let lse = Double(runMax[r]) + log(Double(runSum[r]))
                #expect(abs(lse - lseRef) <= 1e-5 * abs(lseRef) + 1e-6, "isa \(level) lse row \(r)")
                #expect(target[r] == logits[r * v + Int(targets[r])], "isa \(level) target row \(r)")
                var grad = Array(logits[(r * v)..<(r * v + v)])
                let lseF = [Float(lseRef)]
                withISA(level) { ck_logsoftmax_block_backward(&grad, 1, Int64(v), 0, [targets[r]], lseF, [dlp[r]]) }
                for j in 0..<v {
                    let ref = Double(dlp[r]) * ((j == Int(targets[r]) ? 1 : 0) - exp(row[j] - lseRef))
                    #expect(abs(Double(grad[j]) - ref) <= 1e-5 * abs(Double(dlp[r])), "isa \(level) dlogits[\(r), \(j)]")
                }
            }
        }
    }

    /// Hugging Face's rotary embedding written out by hand in Float, the way the PyTorch code computes it.
    func ropeReference(_ x: [Float], ntok: Int, heads: Int, d: Int, positions: [Int32], theta: Float) -> [Float] {
        let half = d / 2
        let invFreq: [Float] = (0..<half).map { i in 1 / Float(pow(Double(theta), Double(Float(2 * i) / Float(d)))) }
        var out = x
        for t in 0..<ntok {
            let pos = Float(positions[t])
            for h in 0..<heads {
                let base = (t * heads + h) * d
                for i in 0..<half {
                    let a = pos * invFreq[i]
                    let c = Float(cos(Double(a))), s = Float(sin(Double(a)))
                    let x1 = x[base + i], x2 = x[base + i + half]
                    out[base + i] = x1 * c + (-x2) * s
                    out[base + i + half] = x2 * c + x1 * s
                }
            }
        }
        return out
    }

    @Test func ropeMatchesHandWrittenReference() {
        var rng = SplitMix64(seed: 7)
        for (ntok, heads, d) in [(1, 1, 2), (3, 2, 64), (5, 14, 64), (2, 3, 10), (300, 2, 128)] {
            let x = rng.floats(ntok * heads * d, scale: 2)
            let positions: [Int32] = (0..<ntok).map { Int32($0 * 37 % 5000) + ($0 == 1 ? 31_000 : 0) }
            let ref = ropeReference(x, ntok: ntok, heads: heads, d: d, positions: positions, theta: 1_000_000)
            for level in isaLevels {
                var y = x
                withISA(level) { ck_rope(&y, Int64(ntok), Int64(heads), Int64(d), positions, 1_000_000) }
                for i in 0..<y.count {
                    #expect(abs(y[i] - ref[i]) <= 1e-6 * max(1, abs(ref[i])), "isa \(level) i \(i)")
                }
            }
        }
    }

    @Test func ropeRotatesPairsHalfAHeadApart() {
        // Position 1, head_dim 4, theta 10000: pair (0, 2) turns by 1 rad, pair (1, 3) by 1/100 rad.
        var x: [Float] = [1, 1, 0, 0]
        ck_rope(&x, 1, 1, 4, [1], 10_000)
        let expected: [Double] = [cos(1), cos(0.01), sin(1), sin(0.01)]
        for i in 0..<4 { #expect(abs(Double(x[i]) - expected[i]) <= 1e-6) }
        var zero: [Float] = [0.5, -2, 3, 4]
        ck_rope(&zero, 1, 1, 4, [0], 10_000)
        #expect(zero == [0.5, -2, 3, 4])
    }

    // MARK: attention

    func attentionReference(q: [Float], k: [Float], v: [Float], stride: Int, t: Int, h: Int, kvh: Int, d: Int) -> [Double] {
        var out = [Double](repeating: 0, count: h * d)
        let group = h / kvh
        for head in 0..<h {
            let kv = head / group
            var s = [Double](repeating: 0, count: t)
            for tt in 0..<t {
                var dot = 0.0
                for i in 0..<d { dot += Double(q[head * d + i]) * Double(k[tt * stride + kv * d + i]) }
                s[tt] = dot / Double(d).squareRoot()
            }
            let mx = s.max() ?? 0
            let e = s.map { exp($0 - mx) }
            let sum = e.reduce(0, +)
            for tt in 0..<t {
                for i in 0..<d { out[head * d + i] += e[tt] / sum * Double(v[tt * stride + kv * d + i]) }
            }
        }
        return out
    }

    @Test func attentionDecodeMatchesDoubleReference() {
        var rng = SplitMix64(seed: 8)
        for (t, h, kvh, d, pad) in [(1, 1, 1, 1, 0), (5, 4, 2, 16, 0), (17, 14, 2, 64, 0), (33, 6, 3, 20, 3),
                                   (100, 2, 1, 130, 0), (700, 14, 2, 64, 8), (40, 12, 2, 128, 0)] {
            let stride = kvh * d + pad
            let q = rng.floats(h * d, scale: 2), k = rng.floats(t * stride, scale: 2), v = rng.floats(t * stride)
            let ref = attentionReference(q: q, k: k, v: v, stride: stride, t: t, h: h, kvh: kvh, d: d)
            for level in isaLevels {
                var out = [Float](repeating: .nan, count: h * d)
                withISA(level) {
                    ck_attention_decode(q, k, v, Int64(stride), Int64(t), Int64(h), Int64(kvh), Int64(d), &out)
                }
                let err = maxAbsDiff(out, ref)
                #expect(err <= 1e-5, "isa \(level) T \(t) H \(h) KVH \(kvh) D \(d): \(err)")
            }
        }
    }

    @Test func attentionBatchMatchesSingleCalls() {
        var rng = SplitMix64(seed: 9)
        let h = 14, kvh = 2, d = 64, stride = kvh * d
        let lengths: [Int64] = [3, 0, 250, 64]
        // Separate allocations, as a real per-sequence KV cache would be.
        let kBufs = lengths.map { len in UnsafeMutablePointer<Float>.allocate(capacity: max(1, Int(len) * stride)) }
        let vBufs = lengths.map { len in UnsafeMutablePointer<Float>.allocate(capacity: max(1, Int(len) * stride)) }
        defer { (kBufs + vBufs).forEach { $0.deallocate() } }
        for (b, len) in lengths.enumerated() {
            for i in 0..<(Int(len) * stride) {
                kBufs[b][i] = Float.random(in: -2...2, using: &rng)
                vBufs[b][i] = Float.random(in: -1...1, using: &rng)
            }
        }
        let kPtrs = kBufs.map { UnsafePointer<Float>?($0) }, vPtrs = vBufs.map { UnsafePointer<Float>?($0) }
        let q = rng.floats(lengths.count * h * d)
        var batched = [Float](repeating: .nan, count: q.count)
        ck_attention_decode_batch(Int64(lengths.count), q, kPtrs, vPtrs, Int64(stride), lengths, Int64(h),
                                  Int64(kvh), Int64(d), &batched)
        for (b, len) in lengths.enumerated() {
            var one = [Float](repeating: .nan, count: h * d)
            Array(q[(b * h * d)..<((b + 1) * h * d)]).withUnsafeBufferPointer { qb in
                ck_attention_decode(qb.baseAddress, kPtrs[b], vPtrs[b], Int64(stride), len, Int64(h),
                                    Int64(kvh), Int64(d), &one)
            }
            #expect(Array(batched[(b * h * d)..<((b + 1) * h * d)]) == one, "sequence \(b)")
            if len == 0 { #expect(one.allSatisfy { $0 == 0 }) }
        }
    }

    // MARK: threads

    @Test func resultsDoNotDependOnThreadCount() {
        var rng = SplitMix64(seed: 10)
        let m = 5, n = 1003, k = 900
        let x = rng.floats(m * k), wf = rng.floats(n * k), wb = bf16Bits(wf), bias = rng.floats(n)
        let rows = 300, dim = 896
        let xr = rng.floats(rows * dim), wr = rng.floats(dim)
        let g = rng.floats(100_000, scale: 8), u = rng.floats(100_000)
        let ntok = 200, heads = 14, hd = 64
        let xq = rng.floats(ntok * heads * hd)
        let pos: [Int32] = (0..<ntok).map { Int32($0) }
        let t = 900, kvh = 2
        let kc = rng.floats(t * kvh * hd), vc = rng.floats(t * kvh * hd), q = rng.floats(heads * hd)

        func runAll() -> [[Float]] {
            var yb = [Float](repeating: 0, count: m * n), yf = yb
            ck_linear_bf16(x, Int64(k), wb, bias, &yb, Int64(n), Int64(m), Int64(n), Int64(k), 0)
            ck_linear_f32(x, Int64(k), wf, bias, &yf, Int64(n), Int64(m), Int64(n), Int64(k), 0)
            var yr = [Float](repeating: 0, count: rows * dim)
            ck_rmsnorm(xr, wr, &yr, Int64(rows), Int64(dim), 1e-6)
            var ys = [Float](repeating: 0, count: g.count)
            ck_swiglu_forward(g, u, &ys, nil, Int64(g.count))
            var yq = xq
            ck_rope(&yq, Int64(ntok), Int64(heads), Int64(hd), pos, 1_000_000)
            var ya = [Float](repeating: 0, count: heads * hd)
            ck_attention_decode(q, kc, vc, Int64(kvh * hd), Int64(t), Int64(heads), Int64(kvh), Int64(hd), &ya)
            return [yb, yf, yr, ys, yq, ya]
        }
        for level in isaLevels {
            withISA(level) {
                let one = withThreads(1) { runAll() }
                let two = withThreads(2) { runAll() }
                let three = withThreads(3) { runAll() }
                for i in 0..<one.count {
                    #expect(one[i] == two[i], "isa \(level) result \(i): 1 vs 2 threads")
                    #expect(one[i] == three[i], "isa \(level) result \(i): 1 vs 3 threads")
                }
            }
        }
    }

    @Test func kernelsCanBeCalledFromManyThreadsAtOnce() async {
        var rng = SplitMix64(seed: 12)
        let n = 2000, k = 512
        let x = rng.floats(k), w = bf16Bits(rng.floats(n * k))
        let expected: [Float] = {
            var e = [Float](repeating: 0, count: n)
            ck_linear_bf16(x, Int64(k), w, nil, &e, Int64(n), 1, Int64(n), Int64(k), 0)
            return e
        }()
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = true
                    for _ in 0..<50 {
                        var y = [Float](repeating: 0, count: n)
                        ck_linear_bf16(x, Int64(k), w, nil, &y, Int64(n), 1, Int64(n), Int64(k), 0)
                        ok = ok && y == expected
                    }
                    return ok
                }
            }
            var all: [Bool] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0 })
    }

    @Test func threadCountCanBeSetAndRestored() {
        withThreads(1) { #expect(ck_get_num_threads() == 1) }
        withThreads(3) { #expect(ck_get_num_threads() == 3) }
        #expect(ck_get_num_threads() >= 1)
    }

    @Test func readBandwidthIsPositive() {
        let buf = [Float](repeating: 1, count: 1 << 20)
        #expect(ck_read_bandwidth(buf, buf.count, 2) > 0)
    }
}
