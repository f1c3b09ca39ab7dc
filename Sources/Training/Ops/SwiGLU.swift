import Foundation

/// Qwen2's MLP activation: act = silu(gate) · up, silu(g) = g · σ(g).
enum SwiGLUOp {
    /// act: [n]; sigmoid (optional): σ(gate), which backward reuses. act may alias neither input.
    static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, act: UnsafeMutablePointer<Float>,
                        sigmoid: UnsafeMutablePointer<Float>?, count n: Int) {
        var i = 0
        while i < n {
            let m = min(16, n - i)
            var g = SIMD16<Float>(repeating: 0), u = SIMD16<Float>(repeating: 0)
            if m == 16 {
                g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD16<Float>.self)
                u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD16<Float>.self)
            } else {
                for j in 0..<m { g[j] = gate[i + j]; u[j] = up[i + j] }
            }
            let s = 1 / (1 + FastMath.exp(-g))
            let a = g * s * u
            if m == 16 {
                UnsafeMutableRawPointer(act + i).storeBytes(of: a, as: SIMD16<Float>.self)
                if let sigmoid { UnsafeMutableRawPointer(sigmoid + i).storeBytes(of: s, as: SIMD16<Float>.self) }
            } else {
                for j in 0..<m { act[i + j] = a[j]; sigmoid?[i + j] = s[j] }
            }
            i += 16
        }
    }

    /// dgate = dact · up · σ(g)·(1 + g·(1 − σ(g))); dup = dact · g·σ(g). Written (not added); dgate may alias dact and
    /// dup may alias sigmoid (each element is read before it is written).
    static func backward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, sigmoid: UnsafePointer<Float>, dAct: UnsafePointer<Float>,
                         dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let g = gate[i], s = sigmoid[i], d = dAct[i]
            let silu = g * s
            dGate[i] = d * up[i] * s * (1 + g * (1 - s))
            dUp[i] = d * silu
        }
    }
}
