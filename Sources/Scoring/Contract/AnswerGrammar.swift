/// Errors building an `AnswerGrammar` from a vocabulary.
public enum AnswerGrammarError: Error, CustomStringConvertible, Equatable {
    case emptyVocabulary
    case noEOSToken
    case tokenIDOutOfRange(id: Int, vocabularySize: Int)
    /// The answer format needs this byte and no token consists of it alone, so constrained decoding could get stuck.
    case missingByteToken(UInt8)

    public var description: String {
        switch self {
        case .emptyVocabulary: "the vocabulary is empty; pass the raw bytes of every token id"
        case .noEOSToken: "no EOS token id given; the answer grammar must be able to end a sequence"
        case let .tokenIDOutOfRange(id, n): "token id \(id) is outside the vocabulary (0..<\(n))"
        case let .missingByteToken(b):
            "no token is the single byte 0x\(String(b, radix: 16)); the answer format needs one (is this a byte-level BPE vocabulary?)"
        }
    }
}

/// The answer format compiled against one vocabulary: immutable, built once, shared by every sequence.
///
/// Holds the byte automaton of the format (`AnswerFormat`), a byte trie of all ordinary tokens, and, for each
/// reasoning state, the precomputed list of tokens to ban there. Per-sequence state lives in `AnswerConstraint`.
///
/// Special tokens (including EOS) are kept out of the trie: their text (`<|im_end|>`) is not what they mean, so they
/// are never allowed inside the constrained part; EOS is allowed only once `</answer>` is written.
public final class AnswerGrammar: Sendable {
    public let vocabularySize: Int
    public let eosTokenIDs: Set<Int>
    public let specialTokenIDs: Set<Int>

    let automaton: AnswerAutomaton
    let trie: TokenTrie
    /// [V + 1] token t's bytes are `tokenBytes[tokenOffsets[t] ..< tokenOffsets[t + 1]]`.
    let tokenOffsets: [Int32]
    let tokenBytes: [UInt8]
    /// [V] EOS or special: never part of the text the automaton reads.
    let isSpecial: [Bool]
    let sortedEOS: [Int]
    /// Tokens banned in each reasoning state (indexed by state id; empty for other states).
    let reasoningBans: [[Int]]
    /// Ordinary tokens whose bytes contain `“` (the ones a `QuoteGuard` may have to refuse outside a quote).
    let openQuoteTokens: [Int]

    /// - Parameters:
    ///   - tokenBytes: the raw bytes of each token id (special tokens: their text, which is ignored).
    ///   - eosTokenIDs: tokens that end a sequence (Qwen2: `<|endoftext|>`, `<|im_end|>`).
    ///   - specialTokenIDs: other control tokens (`<|im_start|>`, …), never allowed while the format is enforced.
    public init(tokenBytes: [[UInt8]], eosTokenIDs: Set<Int>, specialTokenIDs: Set<Int> = []) throws(AnswerGrammarError) {
        let v = tokenBytes.count
        guard v > 0 else { throw .emptyVocabulary }
        guard !eosTokenIDs.isEmpty else { throw .noEOSToken }
        for id in eosTokenIDs.union(specialTokenIDs) where !(0..<v).contains(id) {
            throw .tokenIDOutOfRange(id: id, vocabularySize: v)
        }
        var special = [Bool](repeating: false, count: v)
        for id in eosTokenIDs.union(specialTokenIDs) { special[id] = true }

        let automaton = AnswerAutomaton()
        var ordinary: [(id: Int, bytes: [UInt8])] = []
        ordinary.reserveCapacity(v)
        var offsets: [Int32] = [0]
        var flat: [UInt8] = []
        var singleByte = Set<UInt8>()
        for (id, bytes) in tokenBytes.enumerated() {
            flat += bytes
            offsets.append(Int32(flat.count))
            if special[id] { continue }
            ordinary.append((id, bytes))
            if bytes.count == 1 { singleByte.insert(bytes[0]) }
        }
        // Every byte the constrained phases can require must exist as a token, or decoding could get stuck.
        for s in 0..<automaton.stateCount where automaton.phase[s] != .reasoning {
            for b in automaton.allowedBytes[s] where !singleByte.contains(b) {
                if AnswerAutomaton.whitespace.contains(b) && automaton.allowedBytes[s].count > 1 { continue }
                throw .missingByteToken(b)
            }
        }

        self.vocabularySize = v
        self.eosTokenIDs = eosTokenIDs
        self.specialTokenIDs = specialTokenIDs
        self.automaton = automaton
        self.trie = TokenTrie(ordinary)
        self.tokenOffsets = offsets
        self.tokenBytes = flat
        self.isSpecial = special
        self.sortedEOS = eosTokenIDs.sorted()

        // In reasoning only a token containing '>' can complete a tag, so only those can be refused there; each is
        // run from every reasoning state. Special tokens are banned throughout the reasoning too: EOS there would
        // end the sequence without an answer (call `forceAnswer()` instead).
        let specials = special.indices.filter { special[$0] }
        let candidates = ordinary.filter { $0.bytes.contains(UInt8(ascii: ">")) }
        var bans = [[Int]](repeating: [], count: automaton.stateCount)
        for s in automaton.reasoningStates {
            bans[Int(s)] = specials + candidates.filter { automaton.run($0.bytes, from: s) == AnswerAutomaton.reject }.map(\.id)
        }
        self.reasoningBans = bans
        let open: [UInt8] = [0xE2, 0x80, 0x9C]
        self.openQuoteTokens = ordinary.filter { t in
            t.bytes.count >= 3 && (0...(t.bytes.count - 3)).contains { t.bytes[$0..<($0 + 3)].elementsEqual(open) }
        }.map(\.id)
    }

    /// The raw bytes of a token.
    public func bytes(of token: Int) -> ArraySlice<UInt8> {
        tokenBytes[Int(tokenOffsets[token])..<Int(tokenOffsets[token + 1])]
    }

    /// Every ordinary token whose whole byte string the automaton accepts from `state`.
    ///
    /// Depth-first over the trie, following only bytes the automaton accepts: the cost is the number of accepted
    /// (state, prefix) pairs, independent of the vocabulary size.
    func acceptedTokens(from state: Int32) -> [Int] {
        var out: [Int] = []
        let a = automaton
        let t = trie
        withUnsafeTemporaryAllocation(of: (node: Int32, state: Int32).self, capacity: 4096) { stack in
            var top = 0
            stack[0] = (0, state)
            top = 1
            while top > 0 {
                top -= 1
                let (node, s) = stack[top]
                let lo = Int(t.firstToken[Int(node)]), hi = Int(t.firstToken[Int(node) + 1])
                if lo < hi { for k in lo..<hi { out.append(Int(t.tokenIDs[k])) } }
                if t.firstChild[Int(node)] == t.firstChild[Int(node) + 1] { continue }
                for b in a.allowedBytes[Int(s)] {
                    let c = t.child(node, b)
                    if c < 0 { continue }
                    if top == stack.count { visitRecursively(c, a.step(s, b), into: &out); continue }
                    stack[top] = (c, a.step(s, b))
                    top += 1
                }
            }
        }
        return out
    }

    /// Every ordinary token whose whole byte string both the automaton (from `state`) and `quotes` accept: a
    /// depth-first walk over the trie that prunes a branch at the first byte either refuses. Call it only while
    /// `quotes.isConstraining` (inside a quote few branches survive; outside one the walk would visit the whole trie).
    func acceptedTokens(from state: Int32, quotes: QuoteGuard) -> [Int] {
        var out: [Int] = []
        let a = automaton
        let t = trie
        var stack: [(node: Int32, state: Int32, quotes: QuoteGuard)] = [(0, state, quotes)]
        while let (node, s, q) = stack.popLast() {
            let lo = Int(t.firstToken[Int(node)]), hi = Int(t.firstToken[Int(node) + 1])
            if node != 0, lo < hi { for k in lo..<hi { out.append(Int(t.tokenIDs[k])) } }
            for c in Int(t.firstChild[Int(node)])..<Int(t.firstChild[Int(node) + 1]) {
                let b = t.edgeByte[c]
                let next = a.step(s, b)
                if next == AnswerAutomaton.reject { continue }
                var g = q
                guard g.feed(b) else { continue }
                stack.append((Int32(c), next, g))
            }
        }
        return out
    }

    /// Fallback when the explicit stack is full (not reached with real vocabularies: constrained states accept at
    /// most a dozen bytes and tokens are at most a few hundred bytes long).
    private func visitRecursively(_ node: Int32, _ s: Int32, into out: inout [Int]) {
        let lo = Int(trie.firstToken[Int(node)]), hi = Int(trie.firstToken[Int(node) + 1])
        if lo < hi { for k in lo..<hi { out.append(Int(trie.tokenIDs[k])) } }
        for b in automaton.allowedBytes[Int(s)] {
            let c = trie.child(node, b)
            if c >= 0 { visitRecursively(c, automaton.step(s, b), into: &out) }
        }
    }
}
