import Foundation
import Scoring

/// Rotary position embedding, Hugging Face `rotate_half` convention (channel i pairs with i + D/2); each sequence's
/// rows take positions 0, 1, 2, …
enum RopeOp {
    /// Rotates x in place by +θ: [R, heads·D] with row stride ld; positions: [R].
    static func forward(_ x: UnsafeMutablePointer<Float>, rows R: Int, ld: Int, heads: Int, headDim D: Int,
                        positions: UnsafePointer<Int32>, table: RopeTable) {
        Ops.rope(x, rows: R, ld: ld, heads: heads, headDim: D, positions: positions, table: table)
    }

    /// The rotation is orthogonal, so the gradient rotates back by −θ, in place: dx = Rᵀ · dy.
    static func backward(_ dx: UnsafeMutablePointer<Float>, rows R: Int, ld: Int, heads: Int, headDim D: Int,
                         positions: UnsafePointer<Int32>, table: RopeTable) {
        Ops.rope(dx, rows: R, ld: ld, heads: heads, headDim: D, positions: positions, table: table, inverse: true)
    }
}
