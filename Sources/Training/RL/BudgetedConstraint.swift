import Scoring

/// Tells a constraint how many tokens are left before every step, as the `Scorer` does.
///
/// `Generator` only calls `budgetNearlyExhausted` in the last 24 steps, too late for `ScoreConstraint` to fit a forced
/// answer (about 90 Qwen2 tokens, up to `ScoreConstraint.guaranteedAnswerReserve`); wrapped in this, a sample that
/// is still reasoning when `answerReserve` tokens are left is steered into a complete answer.
public struct BudgetedConstraint: TokenConstraint {
    public private(set) var inner: any TokenConstraint
    public let maxTokens: Int
    public private(set) var generated = 0

    public init(_ inner: any TokenConstraint, maxTokens: Int) {
        self.inner = inner
        self.maxTokens = maxTokens
    }

    public mutating func allowedTokens() -> [Int]? {
        inner.budgetNearlyExhausted(remaining: maxTokens - generated)
        return inner.allowedTokens()
    }

    public func disallowedTokens() -> [Int] { inner.disallowedTokens() }

    public mutating func advance(token: Int, probability: Float) {
        inner.advance(token: token, probability: probability)
        generated += 1
    }

    public var isComplete: Bool { inner.isComplete }

    public mutating func budgetNearlyExhausted(remaining: Int) {
        inner.budgetNearlyExhausted(remaining: remaining)
    }
}
