import Foundation
import Scoring
import Testing
@testable import Training

@Suite struct TmpMicroBench {
    @Test func microBench() {
        let R = 2560, inF = 896, outF = 4864, r = 16
        var rng = SplitMix64(seed: 1)
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> { let b = FloatBuffer(count: n); rng.fillNormal(b.pointer, count: n, std: 1); return UnsafeMutablePointer(b.pointer) }
        var keep: [FloatBuffer] = []
        func fb(_ n: Int) -> UnsafeMutablePointer<Float> { let b = FloatBuffer(count: n); rng.fillNormal(b.pointer, count: n, std: 1); keep.append(b); return b.pointer }
        let x = fb(R * inF), w = fb(outF * inF), a = fb(r * inF), b = fb(outF * r), y = fb(R * outF), u = fb(R * r), dy = fb(R * outF), dx = fb(R * inF), dA = fb(r * inF), dB = fb(outF * r), du = fb(R * r)
        func time(_ label: String, flops: Double, _ body: () -> Void) {
            body()
            let t0 = SFTTrainer.now()
            for _ in 0..<5 { body() }
            let dt = (SFTTrainer.now() - t0) / 5
            print(String(format: "%-34@ %8.2f ms  %6.1f GFLOP/s", label, dt * 1e3, flops / dt / 1e9))
        }
        time("main fwd y=x·Wᵀ", flops: 2.0 * Double(R * outF * inF)) { Blas.gemmNT(m: R, n: outF, k: inF, a: x, lda: inF, b: w, ldb: inF, beta: 0, c: y, ldc: outF) }
        time("main bwd dx=dy·W", flops: 2.0 * Double(R * outF * inF)) { Blas.gemmNN(m: R, n: inF, k: outF, a: dy, lda: outF, b: w, ldb: inF, beta: 0, c: dx, ldc: inF) }
        time("main dW=dyᵀ·x", flops: 2.0 * Double(R * outF * inF)) { Blas.gemmTN(m: outF, n: inF, k: R, a: dy, lda: outF, b: x, ldb: inF, beta: 1, c: w, ldc: inF) }
        time("u=x·Aᵀ (n=16)", flops: 2.0 * Double(R * r * inF)) { Blas.gemmNT(m: R, n: r, k: inF, a: x, lda: inF, b: a, ldb: inF, beta: 0, c: u, ldc: r) }
        time("y+=u·Bᵀ (k=16)", flops: 2.0 * Double(R * r * outF)) { Blas.gemmNT(m: R, n: outF, k: r, a: u, lda: r, b: b, ldb: r, beta: 1, c: y, ldc: outF) }
        time("du=dy·B (n=16)", flops: 2.0 * Double(R * r * outF)) { Blas.gemmNN(m: R, n: r, k: outF, a: dy, lda: outF, b: b, ldb: r, beta: 0, c: du, ldc: r) }
        time("dB=dyᵀ·u (n=16 TN)", flops: 2.0 * Double(R * r * outF)) { Blas.gemmTN(m: outF, n: r, k: R, a: dy, lda: outF, b: u, ldb: r, beta: 1, c: dB, ldc: r) }
        time("dA=duᵀ·x (m=16 TN)", flops: 2.0 * Double(R * r * inF)) { Blas.gemmTN(m: r, n: inF, k: R, a: du, lda: r, b: x, ldb: inF, beta: 1, c: dA, ldc: inF) }
        time("dx+=du·A (k=16)", flops: 2.0 * Double(R * r * inF)) { Blas.gemmNN(m: R, n: inF, k: r, a: du, lda: r, b: a, ldb: inF, beta: 1, c: dx, ldc: inF) }
        time("merge W+=B·A", flops: 2.0 * Double(outF * r * inF)) { Blas.gemmNN(m: outF, n: inF, k: r, a: b, lda: r, b: a, ldb: inF, beta: 1, c: w, ldc: inF) }
        time("dBᵀ=uᵀ·dy (TN m=16)", flops: 2.0 * Double(R * r * outF)) { Blas.gemmTN(m: r, n: outF, k: R, a: u, lda: r, b: dy, ldb: outF, beta: 1, c: dB, ldc: outF) }
        print(String(format: "sgemm roof: %.1f", EngineBenchmark.measureSgemm()))
    }
}
