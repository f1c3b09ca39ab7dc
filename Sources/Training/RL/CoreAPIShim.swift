// Stand-in for the type the train-core branch defines (Sources/Training/…/TrainingSequence). Deleted when train-core is
// merged into this branch; the signature is the agreed one.

/// One sequence for a training forward pass. Scored positions are `t` in `targetStart ..< tokens.count - 1`:
/// log p(tokens[t + 1] | tokens[...t]).
public struct TrainingSequence: Sendable {
    public var tokens: [Int]
    public var targetStart: Int

    public init(tokens: [Int], targetStart: Int) {
        self.tokens = tokens
        self.targetStart = targetStart
    }
}
