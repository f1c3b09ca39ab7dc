import Foundation

/// Binds the answer grammar to the generator's `TokenConstraint` interface, and steers to the answer in time: when
/// the tokens left are only just enough to write a full answer, the reasoning is closed and the answer is forced.
public struct ScoreConstraint: TokenConstraint {
    public let grammar: AnswerGrammar
    public private(set) var state: AnswerConstraint
    /// Tokens needed to write `</reasoning>`, the answer with nine three-digit scores and `</answer>`, plus a margin.
    public let answerReserve: Int

    public init(grammar: AnswerGrammar, answerReserve: Int) {
        self.grammar = grammar
        state = AnswerConstraint(grammar)
        self.answerReserve = answerReserve
    }

    /// Enough tokens for the longest forced answer even if every token carried a single byte, so a well-formed
    /// answer is guaranteed whatever the model prefers.
    public static let guaranteedAnswerReserve = AnswerFormat.maxForcedAnswerBytes + 1

    public mutating func allowedTokens() -> [Int]? { state.allowedTokens(grammar) }

    public func disallowedTokens() -> [Int] { state.disallowedTokens(grammar) }

    public mutating func advance(token: Int, probability: Float) {
        state.advance(token: token, probability: probability, grammar: grammar)
    }

    public var isComplete: Bool { state.isComplete }

    public var vocabularyLimit: Int? { grammar.vocabularySize }

    public mutating func budgetNearlyExhausted(remaining: Int) {
        if remaining <= answerReserve && !state.isForced && state.phase == .reasoning { state.forceAnswer() }
    }

    public func confidence() -> [Dimension: Float] { state.confidence() }
    public var scores: DimensionScores? { state.scores }
}
