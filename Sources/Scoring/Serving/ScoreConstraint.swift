import Foundation

/// Binds the answer grammar to the generator's `TokenConstraint` interface, and steers to the answer in time: when
/// the tokens left are only just enough to write a full answer, the reasoning is closed and the answer is forced.
/// With `quotes`, the reasoning's quotes are held to the text and evidence the model was shown (`QuoteGuard`): inside
/// `“…”` only tokens that continue a run of a source are allowed, and outside one a token that would open a quote
/// with something else is masked. With `claims`, a phrase is kept out of the reasoning (`PhraseBan`); with
/// `evidenceClaim`, a claim of evidence must name the kinds found (`ClaimGuard`).
public struct ScoreConstraint: TokenConstraint {
    public let grammar: AnswerGrammar
    public private(set) var state: AnswerConstraint
    public private(set) var quotes: QuoteGuard?
    /// With `claims`, the reasoning may not write its phrase (a claim of evidence where the evidence stage found none).
    public private(set) var claims: PhraseBan?
    /// With `evidenceClaim`, a reasoning that claims evidence names exactly the kinds the evidence stage found.
    public private(set) var evidenceClaim: ClaimGuard?
    /// Tokens needed to write `</reasoning>`, the answer with nine three-digit scores and `</answer>`, plus a margin.
    public let answerReserve: Int

    /// Outside a quote (and not mid-character) the guard's verdict on a token depends on the sources only: the
    /// open-quote tokens it refuses there, found once per sequence.
    private let freeQuoteBans: [Int]

    public init(grammar: AnswerGrammar, answerReserve: Int, quotes: QuoteGuard? = nil, claims: PhraseBan? = nil,
                evidenceClaim: ClaimGuard? = nil) {
        self.grammar = grammar
        state = AnswerConstraint(grammar)
        self.answerReserve = answerReserve
        self.quotes = quotes
        self.claims = claims
        self.evidenceClaim = evidenceClaim
        freeQuoteBans = quotes.map { q in grammar.openQuoteTokens.filter { !q.allows(grammar.bytes(of: $0)) } } ?? []
    }

    /// Enough tokens for the longest forced answer even if every token carried a single byte, so a well-formed
    /// answer is guaranteed whatever the model prefers.
    public static let guaranteedAnswerReserve = AnswerFormat.maxForcedAnswerBytes + 1

    /// Tokens a sampled completion needs for a reasoning before `guaranteedAnswerReserve` forces its answer.
    public static let minimumReasoningTokens = 64

    /// The smallest completion budget (`max_completion_length`) that leaves a sampled answer `minimumReasoningTokens` to
    /// reason in. With a budget under the reserve, the constraint forces the answer as soon as `<reasoning>` is written:
    /// every sample is the same answer with no reasoning, whatever the policy, so rejection sampling and GRPO learn
    /// nothing (or learn to skip the reasoning).
    public static let minimumSampledCompletion = guaranteedAnswerReserve + minimumReasoningTokens

    public mutating func allowedTokens() -> [Int]? {
        if let quotes, let grounded = state.groundedTokens(grammar, quotes: quotes), !grounded.isEmpty {
            // Mid-character or inside a quote the list replaces the free phase's masks, so the phrase ban and the
            // claim guard filter it here (unless that would leave nothing, which the free phase's masks never do).
            var kept = grounded
            if let claims {
                let banned = Set(claims.banned(grammar))
                if !banned.isEmpty { kept = kept.filter { !banned.contains($0) } }
            }
            if let evidenceClaim, !evidenceClaim.settled { kept = kept.filter { evidenceClaim.allows(grammar.bytes(of: $0)) } }
            return kept.isEmpty ? grounded : kept
        }
        return state.allowedTokens(grammar)
    }

    public func disallowedTokens() -> [Int] {
        var banned = state.disallowedTokens(grammar)
        // Free reasoning: a token that opens a quote must go on with what a source holds (or end right after `“`).
        if let quotes, !quotes.isConstraining, state.phase == .reasoning, !state.isForced { banned += freeQuoteBans }
        if let claims, state.phase == .reasoning, !state.isForced { banned += claims.banned(grammar) }
        if let evidenceClaim, state.phase == .reasoning, !state.isForced { banned += evidenceClaim.banned(grammar) }
        return banned
    }

    public mutating func advance(token: Int, probability: Float) {
        let reasoning = state.phase == .reasoning && !state.isForced
        state.advance(token: token, probability: probability, grammar: grammar)
        if reasoning, token >= 0, token < grammar.vocabularySize, !grammar.isSpecial[token] {
            quotes?.feed(grammar.bytes(of: token))
            claims?.feed(grammar.bytes(of: token))
            evidenceClaim?.feed(grammar.bytes(of: token))
        }
    }

    public var isComplete: Bool { state.isComplete }

    public var vocabularyLimit: Int? { grammar.vocabularySize }

    public mutating func budgetNearlyExhausted(remaining: Int) {
        if remaining <= answerReserve && !state.isForced && state.phase == .reasoning { state.forceAnswer() }
    }

    public func confidence() -> [Dimension: Float] { state.confidence() }
    public var scores: DimensionScores? { state.scores }
}
