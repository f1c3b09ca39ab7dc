import Foundation
import Scoring

/// Rotary position embedding, Hugging Face `rotate_half` convention (channel i pairs with i + D/2); each sequence's
/// rows take positions 0, 1, 2, …
enum RopeOp {
    /// Rotates x in place by +θ: [R, heads·D] with row stride ld; positions: [R].
    static func forward(_ x: UnsafeMutablePointer<Float>, rows R: Int, ld: Int, heads: Int, headDim D: Int,
                        positions: UnsafePointer<Int32>, table: RopeTable) {
        rotate(x, rows: R, ld: ld, heads: heads, headDim: D, positions: positions, table: table, sign: 1)
    }

    /// The rotation is orthogonal, so the gradient rotates back by −θ, in place: dx = Rᵀ · dy.
    static func backward(_ dx: UnsafeMutablePointer<Float>, rows R: Int, ld: Int, heads: Int, headDim D: Int,
                         positions: UnsafePointer<Int32>, table: RopeTable) {
        rotate(dx, rows: R, ld: ld, heads: heads, headDim: D, positions: positions, table: table, sign: -1)
    }

    private static func rotate(_ x: UnsafeMutablePointer<Float>, rows R: Int, ld: Int, heads: Int, headDim D: Int,
                               positions: UnsafePointer<Int32>, table: RopeTable, sign: Float) {
        let half = D / 2
        for r in 0..<R {
            let pos = Int(positions[r])
            let c = table.cos(pos), s = table.sin(pos)
            for h in 0..<heads {
                let v = x + r * ld + h * D
                for i in 0..<half {
                    let a = v[i], b = v[i + half], si = sign * s[i]
                    v[i] = a * c[i] - b * si
                    v[i + half] = b * c[i] + a * si
                }
            }
        }
    }
}
