/// Per-sequence state of format enforcement during decoding (a value: copy it to fork a sequence).
///
/// Use per decode step:
///
///     if let allowed = c.allowedTokens(grammar) { keep only `allowed` }
///     else { mask c.disallowedTokens(grammar) }      // reasoning: free apart from a few tokens
///     sample token t with renormalised probability p
///     c.advance(token: t, probability: p, grammar: grammar)
///     if tokens left are just enough for the answer { c.forceAnswer() }
///
/// The reasoning is free text, except that the four tags may not appear inside it and EOS/special tokens are held
/// back (an EOS there would end the sequence with no answer). From `</reasoning>` on, only the canonical answer is
/// possible: optional whitespace, `<answer>`, `{"商业违规": <int>, …}` with the fixed separators and integers 0–100,
/// `</answer>`, then EOS. Call `forceAnswer()` when `AnswerFormat.maxForcedAnswerBytes + 1` tokens of the budget are
/// left and the answer is guaranteed to fit.
public struct AnswerConstraint: Sendable, Equatable {
    public private(set) var phase: AnswerPhase
    /// Bytes or tokens that were advanced although not allowed (the sampler ignored a mask). An illegal byte is
    /// skipped by the automaton, so the constraint stays usable; the parser will see the text as it is.
    public private(set) var violations = 0
    /// An EOS token was advanced after the answer was complete.
    public private(set) var endedWithEOS = false
    /// `forceAnswer()` was called.
    public private(set) var isForced = false

    private var state: Int32
    /// Score digits read so far per dimension (canonical index), −1 before the first digit.
    private var values: [Int]
    private var confidences: [Float]

    public init(_ grammar: AnswerGrammar) {
        state = grammar.automaton.start
        phase = grammar.automaton.phase[Int(state)]
        values = Array(repeating: -1, count: Dimension.allCases.count)
        confidences = Array(repeating: 1, count: Dimension.allCases.count)
    }

    /// `</answer>` has been written; only EOS may follow.
    public var isComplete: Bool { phase == .complete }

    /// The scores the constrained answer contains, once it is complete.
    public var scores: DimensionScores? {
        isComplete ? try? DimensionScores(values: values) : nil
    }

    /// Ends the reasoning now (the token budget is nearly spent): from here on `</reasoning>` is required — its rest,
    /// when the text already ends with part of it — then the answer. Before `<reasoning>` has been written, it is
    /// still required first. No effect once the reasoning is closed.
    public mutating func forceAnswer() {
        isForced = true
        if phase == .reasoning { phase = .closingReasoning }
    }

    /// The state including a pending `forceAnswer()`.
    private func current(_ g: AnswerGrammar) -> Int32 {
        isForced ? g.automaton.forced[Int(state)] : state
    }

    /// The tokens that may come next, or nil in the free reasoning phase (then mask `disallowedTokens`).
    public func allowedTokens(_ grammar: AnswerGrammar) -> [Int]? {
        let s = current(grammar)
        switch grammar.automaton.phase[Int(s)] {
        case .reasoning: return nil
        case .complete: return grammar.sortedEOS
        default: return grammar.acceptedTokens(from: s)
        }
    }

    /// Tokens to mask while `allowedTokens` is nil: EOS and special tokens, and those that would write a tag inside
    /// the reasoning or close it and go on with something other than the answer. Empty in the other phases.
    public func disallowedTokens(_ grammar: AnswerGrammar) -> [Int] {
        let s = current(grammar)
        return grammar.automaton.phase[Int(s)] == .reasoning ? grammar.reasoningBans[Int(s)] : []
    }

    /// In the free reasoning, while `quotes` constrains (inside a quote, or mid-character): every token whose bytes both
    /// the format and the quote guard accept; nil otherwise (then use `allowedTokens` / `disallowedTokens`).
    public func groundedTokens(_ grammar: AnswerGrammar, quotes: QuoteGuard) -> [Int]? {
        let s = current(grammar)
        guard !isForced, grammar.automaton.phase[Int(s)] == .reasoning, quotes.isConstraining else { return nil }
        return grammar.acceptedTokens(from: s, quotes: quotes)
    }

    /// Whether `token` may come next (for samplers that draw first and check after).
    public func isAllowed(token: Int, grammar: AnswerGrammar) -> Bool {
        let s = current(grammar)
        let a = grammar.automaton
        if grammar.isSpecial[token] { return a.phase[Int(s)] == .complete && grammar.eosTokenIDs.contains(token) }
        let bytes = grammar.bytes(of: token)
        if bytes.isEmpty { return false }
        var t = s
        for b in bytes {
            t = a.step(t, b)
            if t == AnswerAutomaton.reject { return false }
            if isForced { t = a.forced[Int(t)] }
        }
        return true
    }

    /// Feeds the sampled token. `probability` is its probability under the distribution actually sampled from
    /// (renormalised over the allowed tokens); the product over a score's digit tokens is that score's confidence.
    public mutating func advance(token: Int, probability: Float, grammar: AnswerGrammar) {
        let a = grammar.automaton
        var s = current(grammar)
        // A model whose embedding is padded past the tokenizer (Qwen2: 151,936 rows, 151,665 tokens) could emit an id
        // the grammar has no bytes for; count it as a violation rather than index out of range.
        guard token >= 0 && token < grammar.vocabularySize else {
            violations += 1
            return
        }
        if grammar.isSpecial[token] {
            if a.phase[Int(s)] == .complete && grammar.eosTokenIDs.contains(token) {
                endedWithEOS = true
            } else {
                violations += 1
            }
            return
        }
        var touched: UInt16 = 0
        for b in grammar.bytes(of: token) {
            let t = a.step(s, b)
            if t == AnswerAutomaton.reject {
                violations += 1
                continue
            }
            let d = Int(a.digitDimension[Int(s)])
            if d >= 0, b >= 48, b <= 57 {
                values[d] = max(values[d], 0) * 10 + Int(b - 48)
                touched |= 1 << d
            }
            s = isForced ? a.forced[Int(t)] : t
        }
        state = s
        phase = a.phase[Int(s)]
        while touched != 0 {
            let d = touched.trailingZeroBitCount
            confidences[d] *= probability
            touched &= touched - 1
        }
    }

    /// Per dimension whose score has begun, the product of the probabilities of the tokens that wrote its digits.
    public func confidence() -> [Dimension: Float] {
        var out: [Dimension: Float] = [:]
        for (i, d) in Dimension.allCases.enumerated() where values[i] >= 0 { out[d] = confidences[i] }
        return out
    }
}
