import Foundation
import Scoring
import Testing
@testable import Training

/// Each op's backward against central differences of its forward on tiny shapes. The scalar probed is
/// L = Σ wᵢ·yᵢ with fixed random weights w (so dL/dy = w), accumulated in Float64; the forward itself runs in Float32,
/// so the step is 1e-2 and the tolerance 1e-3 of the largest gradient entry (plus 1e-4).
@Suite struct FiniteDifferenceTests {
    /// A Float32 buffer with a stable address for the duration of a test.
    final class Tensor {
        let buffer: FloatBuffer
        var count: Int { buffer.count }
        var p: UnsafeMutablePointer<Float> { buffer.pointer }
        init(_ n: Int) { buffer = FloatBuffer(count: n) }
        init(random n: Int, std: Float = 1, seed: UInt64) {
            buffer = FloatBuffer(count: n)
            var rng = SplitMix64(seed: seed)
            rng.fillNormal(buffer.pointer, count: n, std: std)
        }
        var array: [Float] { buffer.array }
        func zero() { p.update(repeating: 0, count: count) }
    }

    static func weightedSum(_ y: Tensor, _ w: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y.p[i]) * Double(w.p[i]) }
        return s
    }

    /// Compares `analytic` (dL/dx for every element of x) with central differences of `loss` around x.
    static func check(_ label: String, x: Tensor, analytic: [Float], step: Float = 1e-2, loss: () -> Double) {
        precondition(analytic.count == x.count)
        var worst: Float = 0
        let scale = analytic.map(abs).max() ?? 0
        for i in 0..<x.count {
            let saved = x.p[i]
            x.p[i] = saved + step
            let plus = loss()
            x.p[i] = saved - step
            let minus = loss()
            x.p[i] = saved
            let fd = Float((plus - minus) / (2 * Double(step)))
            let d = abs(fd - analytic[i])
            worst = max(worst, d)
            #expect(d <= 1e-3 * scale + 1e-4, "\(label)[\(i)]: analytic \(analytic[i]) vs finite difference \(fd)")
        }
        print(String(format: "finite differences %-28@ %4d values, max|Δ| %.2e, max|g| %.2e", label, x.count, worst, scale))
    }

    @Test func rmsnormBackwardMatchesFiniteDifferences() {
        let R = 3, C = 8
        let x = Tensor(random: R * C, seed: 1), w = Tensor(random: C, seed: 2), dy = Tensor(random: R * C, seed: 3)
        for i in 0..<C { w.p[i] += 1 }
        let y = Tensor(R * C), rstd = Tensor(R)
        func loss() -> Double {
            RMSNormOp.forward(x: x.p, weight: w.p, y: y.p, rstd: rstd.p, rows: R, channels: C, eps: 1e-5)
            return Self.weightedSum(y, dy)
        }
        _ = loss()
        let dx = Tensor(R * C), dw = Tensor(C)
        RMSNormOp.backward(x: x.p, weight: w.p, rstd: rstd.p, dy: dy.p, dx: dx.p, dWeight: dw.p, rows: R, channels: C)
        Self.check("rmsnorm dx", x: x, analytic: dx.array, loss: loss)
        Self.check("rmsnorm dweight", x: w, analytic: dw.array, loss: loss)
    }

    @Test func ropeBackwardMatchesFiniteDifferences() {
        let R = 4, heads = 2, D = 8
        let table = RopeTable(headDim: D, theta: 10000, positions: 64)
        let positions: [Int32] = [0, 3, 17, 40]
        let x = Tensor(random: R * heads * D, seed: 4), dy = Tensor(random: R * heads * D, seed: 5)
        let y = Tensor(R * heads * D)
        func loss() -> Double {
            y.p.update(from: x.p, count: x.count)
            positions.withUnsafeBufferPointer { RopeOp.forward(y.p, rows: R, ld: heads * D, heads: heads, headDim: D, positions: $0.baseAddress!, table: table) }
            return Self.weightedSum(y, dy)
        }
        let dx = Tensor(R * heads * D)
        dx.p.update(from: dy.p, count: dy.count)
        positions.withUnsafeBufferPointer { RopeOp.backward(dx.p, rows: R, ld: heads * D, heads: heads, headDim: D, positions: $0.baseAddress!, table: table) }
        Self.check("rope dx", x: x, analytic: dx.array, loss: loss)
    }

    /// Row blocks of 2 split the 5 positions into three causal blocks; 128 keeps them in one.
    @Test(arguments: [2, 128])
    func groupedQueryCausalAttentionBackwardMatchesFiniteDifferences(rowBlock: Int) {
        let shape = AttentionOp.Shape(T: 5, H: 4, KVH: 2, D: 4)
        let T = shape.T
        let q = Tensor(random: T * shape.qDim, seed: 6), k = Tensor(random: T * shape.kvDim, seed: 7), v = Tensor(random: T * shape.kvDim, seed: 8)
        let dOut = Tensor(random: T * shape.qDim, seed: 9)
        let out = Tensor(T * shape.qDim), lse = Tensor(T * shape.H)
        let scratch = TrainScratch()
        func loss() -> Double {
            AttentionOp.forward(q: q.p, k: k.p, v: v.p, out: out.p, lse: lse.p, shape: shape, scratch: scratch, rowBlock: rowBlock)
            return Self.weightedSum(out, dOut)
        }
        _ = loss()
        let dq = Tensor(T * shape.qDim), dk = Tensor(T * shape.kvDim), dv = Tensor(T * shape.kvDim)
        AttentionOp.backward(q: q.p, k: k.p, v: v.p, out: out.p, lse: lse.p, dOut: dOut.p, dq: dq.p, dk: dk.p, dv: dv.p, shape: shape,
                             scratch: scratch, rowBlock: rowBlock)
        Self.check("attention dq (block \(rowBlock))", x: q, analytic: dq.array, loss: loss)
        Self.check("attention dk (block \(rowBlock))", x: k, analytic: dk.array, loss: loss)
        Self.check("attention dv (block \(rowBlock))", x: v, analytic: dv.array, loss: loss)
        // Against a direct softmax(q·kᵀ/√D)·v per head in Float64.
        _ = loss()
        var worst = 0.0
        for h in 0..<shape.H {
            let g = h / shape.groupSize
            for t in 0..<T {
                let scores = (0...t).map { j in (0..<shape.D).reduce(0.0) { $0 + Double(q.p[t * shape.qDim + h * shape.D + $1]) * Double(k.p[j * shape.kvDim + g * shape.D + $1]) } / Double(shape.D).squareRoot() }
                let m = scores.max()!, e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                for d in 0..<shape.D {
                    let o = (0...t).reduce(0.0) { $0 + e[$1] / z * Double(v.p[$1 * shape.kvDim + g * shape.D + d]) }
                    worst = max(worst, abs(o - Double(out.p[t * shape.qDim + h * shape.D + d])))
                }
            }
        }
        #expect(worst < 1e-5, "attention output differs from the direct formula by \(worst)")
        // Causality: the first row's output depends on nothing after position 0.
        let before = out.array
        k.p[(T - 1) * shape.kvDim] += 1
        _ = loss()
        #expect(Array(out.array.prefix(shape.qDim)) == Array(before.prefix(shape.qDim)))
    }

    @Test func swigluBackwardMatchesFiniteDifferences() {
        let n = 40
        let gate = Tensor(random: n, std: 2, seed: 10), up = Tensor(random: n, seed: 11), dAct = Tensor(random: n, seed: 12)
        let act = Tensor(n), sig = Tensor(n)
        func loss() -> Double {
            SwiGLUOp.forward(gate: gate.p, up: up.p, act: act.p, sigmoid: sig.p, count: n)
            return Self.weightedSum(act, dAct)
        }
        _ = loss()
        let dGate = Tensor(n), dUp = Tensor(n)
        SwiGLUOp.backward(gate: gate.p, up: up.p, sigmoid: sig.p, dAct: dAct.p, dGate: dGate.p, dUp: dUp.p, count: n)
        Self.check("swiglu dgate", x: gate, analytic: dGate.array, loss: loss)
        Self.check("swiglu dup", x: up, analytic: dUp.array, loss: loss)
    }

    /// R = 3 adds the LoRA delta per row; R = 9 (more rows than the weight's sides) folds it into the weight.
    @Test(arguments: [3, 9])
    func linearWithLoRABackwardMatchesFiniteDifferences(rows R: Int) {
        let inF = 6, outF = 5, r = 2
        let x = Tensor(random: R * inF, seed: 13), w = Tensor(random: outF * inF, std: 0.5, seed: 14), b = Tensor(random: outF, seed: 15)
        let a = Tensor(random: r * inF, std: 0.5, seed: 16), bl = Tensor(random: outF * r, std: 0.5, seed: 17)
        let dy = Tensor(random: R * outF, seed: 18)
        let dW = Tensor(outF * inF), db = Tensor(outF), dA = Tensor(r * inF), dB = Tensor(outF * r)
        var rng = SplitMix64(seed: 27)
        let frozen = WeightMatrix(rows: outF, cols: inF, values: (0..<(outF * inF)).map { _ in rng.nextFloat() - 0.5 }, format: .bf16)
        // Full-parameter weights never carry LoRA; a frozen BF16 base with LoRA is the case that folds.
        let layer = LinearLayer(weight: .frozen(frozen), bias: VectorWeight(value: b.p, grad: nil),
                                lora: LoRAWeights(a: a.p, dA: dA.p, b: bl.p, dB: dB.p, rank: r, scale: 2))
        let plain = LinearLayer(weight: .trainable(value: w.p, grad: dW.p, rows: outF, cols: inF), bias: VectorWeight(value: b.p, grad: db.p),
                                lora: nil)
        let y = Tensor(R * outF), u = Tensor(R * r)
        let scratch = TrainScratch()
        func loss() -> Double {
            layer.forward(x: x.p, y: y.p, rows: R, accumulate: false, loraU: u.p, useLoRA: true, scratch: scratch)
            return Self.weightedSum(y, dy)
        }
        _ = loss()
        let dx = Tensor(R * inF)
        layer.backward(x: x.p, dy: dy.p, dx: dx.p, rows: R, accumulate: false, loraU: u.p, scratch: scratch)
        Self.check("linear+lora dx (R=\(R))", x: x, analytic: dx.array, loss: loss)
        Self.check("lora dA (R=\(R))", x: a, analytic: dA.array, loss: loss)
        Self.check("lora dB (R=\(R))", x: bl, analytic: dB.array, loss: loss)
        func plainLoss() -> Double {
            plain.forward(x: x.p, y: y.p, rows: R, accumulate: false, loraU: nil, useLoRA: false, scratch: scratch)
            return Self.weightedSum(y, dy)
        }
        let dxPlain = Tensor(R * inF)
        plain.backward(x: x.p, dy: dy.p, dx: dxPlain.p, rows: R, accumulate: false, loraU: nil, scratch: scratch)
        Self.check("linear dx (R=\(R))", x: x, analytic: dxPlain.array, loss: plainLoss)
        Self.check("linear dW (R=\(R))", x: w, analytic: dW.array, loss: plainLoss)
        Self.check("linear dbias (R=\(R))", x: b, analytic: db.array, loss: plainLoss)
    }

    @Test func frozenBF16LinearInputGradientMatchesFiniteDifferences() {
        let R = 3, inF = 6, outF = 5
        var rng = SplitMix64(seed: 19)
        let values = (0..<(outF * inF)).map { _ in rng.nextFloat() - 0.5 }
        let frozen = WeightMatrix(rows: outF, cols: inF, values: values, format: .bf16)
        let x = Tensor(random: R * inF, seed: 20), dy = Tensor(random: R * outF, seed: 21)
        let layer = LinearLayer(weight: .frozen(frozen), bias: nil, lora: nil)
        let y = Tensor(R * outF)
        let scratch = TrainScratch()
        func loss() -> Double {
            layer.forward(x: x.p, y: y.p, rows: R, accumulate: false, loraU: nil, useLoRA: false, scratch: scratch)
            return Self.weightedSum(y, dy)
        }
        let dx = Tensor(R * inF)
        layer.backward(x: x.p, dy: dy.p, dx: dx.p, rows: R, accumulate: false, loraU: nil, scratch: scratch)
        Self.check("frozen bf16 linear dx", x: x, analytic: dx.array, loss: loss)
    }

    @Test func embeddingBackwardMatchesFiniteDifferences() {
        let V = 4, C = 5
        let tokens = [1, 3, 1, 0]
        let table = Tensor(random: V * C, seed: 22), dTable = Tensor(V * C)
        let dx = Tensor(random: tokens.count * C, seed: 23)
        let x = Tensor(tokens.count * C)
        let weight = MatrixWeight.trainable(value: table.p, grad: dTable.p, rows: V, cols: C)
        func loss() -> Double {
            EmbeddingOp.forward(tokens: tokens, table: weight, x: x.p)
            return Self.weightedSum(x, dx)
        }
        EmbeddingOp.backward(tokens: tokens, dx: dx.p, dTable: dTable.p, channels: C)
        Self.check("embedding dtable", x: table, analytic: dTable.array, loss: loss)
    }

    /// The LM head + log-softmax over vocabulary blocks (a tiny block budget forces the online log-sum-exp across
    /// three blocks) against finite differences and against a direct log-softmax.
    @Test func logSoftmaxOverVocabularyBlocksMatchesFiniteDifferences() {
        let N = 3, C = 6, V = 11
        let targets: [Int32] = [2, 10, 5]
        let h = Tensor(random: N * C, seed: 24), w = Tensor(random: V * C, seed: 25), dW = Tensor(V * C)
        let dLp = Tensor(random: N, seed: 26)
        let head = MatrixWeight.trainable(value: w.p, grad: dW.p, rows: V, cols: C)
        let lp = Tensor(N), lse = Tensor(N)
        let scratch = TrainScratch()
        func loss() -> Double {
            LogSoftmaxOp.forward(h: h.p, head: head, targets: targets, logprobs: lp.p, lse: lse.p, scratch: scratch, blockBudget: 12)
            return Self.weightedSum(lp, dLp)
        }
        _ = loss()
        // Direct log-softmax in Float64.
        for n in 0..<N {
            let logits = (0..<V).map { j in (0..<C).reduce(0.0) { $0 + Double(h.p[n * C + $1]) * Double(w.p[j * C + $1]) } }
            let m = logits.max()!
            let direct = logits[Int(targets[n])] - m - log(logits.reduce(0) { $0 + exp($1 - m) })
            #expect(abs(Double(lp.p[n]) - direct) < 1e-5, "row \(n): \(lp.p[n]) vs \(direct)")
        }
        let dh = Tensor(N * C)
        LogSoftmaxOp.backward(h: h.p, head: head, targets: targets, lse: lse.p, dLogprobs: dLp.p, dh: dh.p, scratch: scratch, blockBudget: 12)
        Self.check("log-softmax dh", x: h, analytic: dh.array, loss: loss)
        Self.check("log-softmax dW_head", x: w, analytic: dW.array, loss: loss)
        // Frozen head: dh from the expectation E_p[W] accumulated during forward.
        let frozen = MatrixWeight.frozen(WeightMatrix(rows: V, cols: C, values: w.array))
        let e = Tensor(N * C), dhFrozen = Tensor(N * C)
        LogSoftmaxOp.forward(h: h.p, head: frozen, targets: targets, logprobs: lp.p, lse: lse.p, expectation: e.p, scratch: scratch, blockBudget: 12)
        LogSoftmaxOp.backward(head: frozen, targets: targets, expectation: e.p, dLogprobs: dLp.p, dh: dhFrozen.p, scratch: scratch)
        Self.check("log-softmax dh (frozen)", x: h, analytic: dhFrozen.array, loss: loss)
    }

    @Test func vectorisedExpIsAccurate() {
        var xs: [Float] = []
        var x: Float = -87
        while x < 88 { xs.append(x); x += 0.0137 }
        var ys = [Float](repeating: 0, count: xs.count)
        _ = FastMath.expShifted(xs, shift: 0, into: &ys, count: xs.count)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) { worst = max(worst, abs(y - Foundation.exp(x)) / Foundation.exp(x)) }
        print("vectorised exp: worst relative error \(worst) on [-87, 88]")
        #expect(worst < 5e-7)
    }
}
