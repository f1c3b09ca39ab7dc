import CKernels
import Foundation

/// Elementwise and attention operations of the Qwen2 forward pass, on row-major Float32 data.
/// Shapes: R rows (tokens of all sequences in a batch), C channels, H query heads, KVH key/value heads, D head dim.
package enum Ops {
    /// Qwen2RMSNorm: y = x / sqrt(mean(x²) + eps) · weight, per row. x, y: [R, C].
    package static func rmsnorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, dim: Int, eps: Float) {
        ck_rmsnorm(x, weight, y, Int64(rows), Int64(dim), eps)
    }

    /// out = silu(gate) · up, elementwise over n values (SwiGLU forward; out may alias gate or up).
    package static func siluMul(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
        ck_swiglu_forward(gate, up, out, nil, Int64(n))
    }

    /// Numerically stable softmax of n values in place.
    package static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        ck_softmax_inplace(x, Int64(n))
    }

    /// Rotary position embedding (Hugging Face `rotate_half` convention: channel i pairs with i + D/2).
    /// x: [R, heads, D] with row stride `ld`; positions: [R]. `inverse` rotates by −θ: the rotation is orthogonal, so
    /// that is also its backward pass (dx = Rᵀ · dy).
    package static func rope(_ x: UnsafeMutablePointer<Float>, rows: Int, ld: Int, heads: Int, headDim D: Int, positions: UnsafePointer<Int32>,
                             table: RopeTable, inverse: Bool = false) {
        let half = D / 2
        let sign: Float = inverse ? -1 : 1
        for r in 0..<rows {
            let pos = Int(positions[r])
            let cosRow = table.cos(pos), sinRow = table.sin(pos)
            for h in 0..<heads {
                let v = x + r * ld + h * D
                for i in 0..<half {
                    let a = v[i], b = v[i + half], si = sign * sinRow[i]
                    v[i] = a * cosRow[i] - b * si
                    v[i + half] = b * cosRow[i] + a * si
                }
            }
        }
    }
}

/// cos/sin of position · inv_freq for every position the model accepts, computed as Transformers does in float32
/// (inv_freq = 1 / base^(arange(0, D, 2) / D); freqs = position · inv_freq). Immutable after creation, so it is shared
/// freely between threads.
package final class RopeTable: Sendable {
    package let headDim: Int
    package let capacity: Int
    private let cosValues: FloatBuffer // [capacity, D/2]
    private let sinValues: FloatBuffer // [capacity, D/2]

    package init(headDim: Int, theta: Double, positions: Int) {
        self.headDim = headDim
        capacity = positions
        let half = headDim / 2
        let invFreq = (0..<half).map { i in Float(1) / powf(Float(theta), Float(2 * i) / Float(headDim)) }
        cosValues = FloatBuffer(count: positions * half)
        sinValues = FloatBuffer(count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let f = Float(p) * invFreq[i]
                cosValues.pointer[p * half + i] = Foundation.cos(f)
                sinValues.pointer[p * half + i] = Foundation.sin(f)
            }
        }
    }

    package func cos(_ pos: Int) -> UnsafePointer<Float> { UnsafePointer(cosValues.pointer + pos * (headDim / 2)) }
    package func sin(_ pos: Int) -> UnsafePointer<Float> { UnsafePointer(sinValues.pointer + pos * (headDim / 2)) }
}
