import Foundation
import Scoring

/// One sequence of a training batch. Positions t in targetStart ..< tokens.count − 1 are scored:
/// log p(tokens[t + 1] | tokens[...t]).
public struct TrainingSequence: Sendable, Equatable {
    public var tokens: [Int]
    public var targetStart: Int

    public init(tokens: [Int], targetStart: Int) {
        precondition(targetStart >= 0, "targetStart must be non-negative, found \(targetStart)")
        self.tokens = tokens; self.targetStart = targetStart
    }

    /// Number of scored tokens: tokens.count − 1 − targetStart (never negative).
    public var scoredCount: Int { max(0, tokens.count - 1 - targetStart) }
}

/// The result of `TrainableQwen2.forward`: the scored tokens' log-probs, and the activations backward needs.
/// Activations return to the model's pool when the pass is released, so keep a pass only until its backward.
public struct ForwardPass {
    /// Per sequence, the log-prob of every scored target token (count = tokens.count − 1 − targetStart).
    public let logprobs: [[Float]]
    let state: PassState

    /// Tokens run through the model (all rows of the batch).
    public var tokenCount: Int { state.layout.R }
    /// Scored tokens over the whole batch.
    public var scoredCount: Int { state.layout.N }
}

/// Where each sequence's rows sit when a batch runs as one [R, C] matrix (sequence i owns rows offsets[i] ..< + T_i),
/// and which rows are scored (row selected[n] predicts targets[n]).
struct BatchLayout {
    let tokens: [Int]            // [R]
    let positions: [Int32]       // [R] position within its sequence
    let offsets: [Int]
    let lengths: [Int]
    let selected: [Int]          // [N] rows whose logits are scored
    let targets: [Int32]         // [N]
    let scoredCounts: [Int]      // per sequence
    var R: Int { tokens.count }
    var N: Int { selected.count }

    init(_ batch: [TrainingSequence], vocabSize V: Int) {
        var tokens: [Int] = [], positions: [Int32] = [], offsets: [Int] = [], lengths: [Int] = []
        var selected: [Int] = [], targets: [Int32] = [], counts: [Int] = []
        for s in batch {
            let o = tokens.count
            offsets.append(o); lengths.append(s.tokens.count)
            for (t, id) in s.tokens.enumerated() {
                precondition(id >= 0 && id < V, "token id \(id) outside the vocabulary of \(V)")
                tokens.append(id); positions.append(Int32(t))
            }
            counts.append(s.scoredCount)
            if s.scoredCount > 0 {
                for t in s.targetStart..<(s.tokens.count - 1) { selected.append(o + t); targets.append(Int32(s.tokens[t + 1])) }
            }
        }
        self.tokens = tokens; self.positions = positions; self.offsets = offsets; self.lengths = lengths
        self.selected = selected; self.targets = targets; scoredCounts = counts
    }

    /// Splits a flat [N] vector into per-sequence arrays.
    func split(_ flat: UnsafePointer<Float>) -> [[Float]] {
        var out: [[Float]] = []
        var n = 0
        for c in scoredCounts {
            out.append(Array(UnsafeBufferPointer(start: flat + n, count: c)))
            n += c
        }
        return out
    }
}
