import Scoring

/// Tells a constraint how many tokens are left before every step, as the `Scorer` does.
///
/// Wrapped in this, a sample that is still reasoning when `answerReserve` tokens are left is steered into a complete
/// answer whatever generator drives it.
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

    public var vocabularyLimit: Int? { inner.vocabularyLimit }

    public mutating func budgetNearlyExhausted(remaining: Int) {
        inner.budgetNearlyExhausted(remaining: remaining)
    }
}
