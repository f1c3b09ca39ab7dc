import Foundation

/// Qwen2RMSNorm: y = (x · rstd) · w with rstd = 1 / √(mean(x²) + eps), per row.
enum RMSNormOp {
    /// x, y: [R, C]; weight: [C]; rstd: [R] (kept for backward).
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        rstd: UnsafeMutablePointer<Float>, rows R: Int, channels C: Int, eps: Float) {
        for r in 0..<R {
            let xr = x + r * C, yr = y + r * C
            let inv = 1 / (Blas.dot(xr, xr, count: C) / Float(C) + eps).squareRoot()
            rstd[r] = inv
            for i in 0..<C { yr[i] = xr[i] * inv * weight[i] }
        }
    }

    /// y from x and the kept rstd (activation recomputation): the same values forward wrote.
    static func reapply(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        rows R: Int, channels C: Int) {
        for r in 0..<R {
            let xr = x + r * C, yr = y + r * C, inv = rstd[r]
            for i in 0..<C { yr[i] = xr[i] * inv * weight[i] }
        }
    }

    /// With x̂ = x·rstd: dweight += Σ_r dy·x̂ (when trainable); dx += rstd · (dy·w − x̂ · mean(dy·w·x̂)).
    /// dy, dx: [R, C].
    static func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, rows R: Int, channels C: Int) {
        for r in 0..<R {
            let xr = x + r * C, dyr = dy + r * C, inv = rstd[r]
            if let dWeight {
                for i in 0..<C { dWeight[i] += dyr[i] * xr[i] * inv }
            }
            guard let dx else { continue }
            // mean(dy·w·x̂) = rstd · Σ dy·w·x / C
            var s: Float = 0
            for i in 0..<C { s += dyr[i] * weight[i] * xr[i] }
            let k = s * inv * inv / Float(C)
            let dxr = dx + r * C
            for i in 0..<C { dxr[i] += inv * (dyr[i] * weight[i] - xr[i] * k) }
        }
    }
}
