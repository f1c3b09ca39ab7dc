import Foundation
import Scoring

/// Token embedding lookup: x[r] = E[tokens[r]].
enum EmbeddingOp {
    /// x: [R, C]; table: [V, C].
    static func forward(tokens: [Int], table: MatrixWeight, x: UnsafeMutablePointer<Float>) {
        let C = table.cols
        for (r, t) in tokens.enumerated() {
            precondition(t >= 0 && t < table.rows, "token id \(t) outside the vocabulary of \(table.rows)")
            table.row(t, into: x + r * C)
        }
    }

    /// dTable[tokens[r]] += dx[r]. dx: [R, C]; dTable: [V, C].
    static func backward(tokens: [Int], dx: UnsafePointer<Float>, dTable: UnsafeMutablePointer<Float>, channels C: Int) {
        for (r, t) in tokens.enumerated() { Blas.add(dx + r * C, into: dTable + t * C, count: C) }
    }
}
