/// Where a sequence is in the answer format.
public enum AnswerPhase: Sendable, Equatable {
    /// Before `<reasoning>`: only optional whitespace and the tag.
    case opening
    /// Free text; the constraint only watches for `</reasoning>` (and bans the tags that would break the format).
    case reasoning
    /// After `forceAnswer()`: the rest of `</reasoning>` is required.
    case closingReasoning
    /// Optional whitespace and `<answer>`.
    case bridge
    /// The JSON object `{"商业违规": <int>, …}` with fixed separators.
    case json
    /// Optional whitespace and `</answer>`.
    case closingAnswer
    /// `</answer>` written: only an EOS token may follow.
    case complete
}

/// The byte-level DFA of the whole answer language, built once from `AnswerFormat`.
///
/// One table drives everything: decoding walks it over the token trie, `advance` steps it byte by byte, and the
/// reasoning phase is part of it (an Aho–Corasick matcher over the four tags) so that a token which closes the
/// reasoning and goes on into the answer in one piece (`ing>\n<`) is judged as a whole.
struct AnswerAutomaton: Sendable {
    static let reject: Int32 = -1
    static let whitespace: [UInt8] = [0x20, 0x0A, 0x09, 0x0D]

    /// [S × 256] next state, or `reject`.
    let next: [Int32]
    /// [S]
    let phase: [AnswerPhase]
    /// [S] the dimension (canonical index) whose score a digit read in this state belongs to, or −1.
    let digitDimension: [Int8]
    /// [S] the bytes that have a transition, ascending.
    let allowedBytes: [[UInt8]]
    /// [S] the state `forceAnswer()` moves to: reasoning states jump into the `</reasoning>` chain (keeping a partial
    /// match, so `…</reas` continues with `oning>`), opening states into an opening that ends in that chain;
    /// identity elsewhere, and idempotent.
    let forced: [Int32]
    let start: Int32
    let complete: Int32
    /// The reasoning states (Aho–Corasick states over the tags), root first.
    let reasoningStates: [Int32]

    var stateCount: Int { phase.count }

    @inline(__always) func step(_ s: Int32, _ b: UInt8) -> Int32 {
        next[Int(s) &* 256 &+ Int(b)]
    }

    /// Runs `bytes` from `s`; `reject` as soon as one byte is refused.
    func run(_ bytes: some Sequence<UInt8>, from s: Int32) -> Int32 {
        var s = s
        for b in bytes {
            s = step(s, b)
            if s == Self.reject { return s }
        }
        return s
    }

    init() {
        var b = Builder()
        let bytes = { (s: String) in Array(s.utf8) }

        // Built back to front so each piece knows where it leads.
        let complete = b.add(.complete)
        let closeEntry = b.spaced(bytes(AnswerFormat.answerClose), to: complete, phase: .closingAnswer)

        // The object: numbers for dimension i end on the first byte of what follows them.
        let keys = Dimension.allCases.map { bytes("\"" + $0.key + "\"" + AnswerFormat.keyValueSeparator) }
        var following = bytes("}")
        var followingTarget = closeEntry
        var jsonEntry: Int32 = 0
        for i in stride(from: keys.count - 1, through: 0, by: -1) {
            let afterFirst = following.count == 1 ? followingTarget : b.add(.json)
            if following.count > 1 { b.literal(from: afterFirst, following.dropFirst(), to: followingTarget, phase: .json) }
            let end = following[0]
            let dim = Int8(i)
            let entry = b.add(.json, digit: dim), zero = b.add(.json, digit: dim), one = b.add(.json, digit: dim)
            let ten = b.add(.json, digit: dim), hundred = b.add(.json, digit: dim)
            let oneDigit = b.add(.json, digit: dim), twoDigits = b.add(.json, digit: dim)
            let digit = { (d: Int) in UInt8(48 + d) }
            // 0 | 1 | 10 | 100 | 1[1-9] | [2-9] | [2-9][0-9]: integers 0…100 without leading zeros.
            b.set(entry, digit(0), zero)
            b.set(entry, digit(1), one)
            for d in 2...9 { b.set(entry, digit(d), oneDigit) }
            b.set(one, digit(0), ten)
            for d in 1...9 { b.set(one, digit(d), twoDigits) }
            b.set(ten, digit(0), hundred)
            for d in 0...9 { b.set(oneDigit, digit(d), twoDigits) }
            for s in [zero, one, ten, hundred, oneDigit, twoDigits] { b.set(s, end, afterFirst) }
            if i > 0 {
                following = bytes(AnswerFormat.pairSeparator) + keys[i]
                followingTarget = entry
            } else {
                jsonEntry = b.spaced(bytes("{") + keys[0], to: entry, phase: .json)
            }
        }
        let bridgeEntry = b.spaced(bytes(AnswerFormat.answerOpen), to: jsonEntry, phase: .bridge)

        // Forced close: F[j] expects byte j of </reasoning>.
        let close = bytes(AnswerFormat.reasoningClose)
        let forcedClose = close.indices.map { _ in b.add(.closingReasoning) }
        for j in close.indices { b.set(forcedClose[j], close[j], j + 1 < close.count ? forcedClose[j + 1] : bridgeEntry) }

        // Reasoning: Aho–Corasick over the tags. A state is a proper prefix of some tag (the longest suffix of the
        // text that is one); completing </reasoning> enters the bridge, completing any other tag is refused.
        let tags = AnswerFormat.tags.map(bytes)
        var prefixes: [[UInt8]] = [[]]
        for t in tags { for n in 1..<t.count where !prefixes.contains(Array(t[..<n])) { prefixes.append(Array(t[..<n])) } }
        let reasoningStates = prefixes.map { _ in b.add(.reasoning) }
        func stateOf(_ w: [UInt8]) -> Int32 {
            if w == close { return bridgeEntry }
            if tags.contains(w) { return AnswerAutomaton.reject }
            for k in 0...w.count {
                if let i = prefixes.firstIndex(of: Array(w[k...])) { return reasoningStates[i] }
            }
            fatalError("the empty prefix always matches")
        }
        var forced = [Int32]()
        for (i, u) in prefixes.enumerated() {
            for byte in 0...255 { b.set(reasoningStates[i], UInt8(byte), stateOf(u + [UInt8(byte)])) }
        }
        var forcedOf: [Int32: Int32] = [:]
        for (i, u) in prefixes.enumerated() {
            let j = (0...min(u.count, close.count - 1)).reversed().first { n in u.suffix(n).elementsEqual(close.prefix(n)) }!
            forcedOf[reasoningStates[i]] = forcedClose[j]
        }

        // Opening, twice: the normal one leads into the reasoning, the forced one straight into </reasoning>.
        let firstOpening = Int32(b.phase.count)
        let start = b.spaced(bytes(AnswerFormat.reasoningOpen), to: reasoningStates[0], phase: .opening)
        let firstForcedOpening = Int32(b.phase.count)
        _ = b.spaced(bytes(AnswerFormat.reasoningOpen), to: forcedClose[0], phase: .opening)
        let openingCount = firstForcedOpening - firstOpening
        precondition(Int32(b.phase.count) - firstForcedOpening == openingCount, "both openings have the same shape")
        for k in 0..<openingCount { forcedOf[firstOpening + k] = firstForcedOpening + k }

        forced = (0..<Int32(b.phase.count)).map { forcedOf[$0] ?? $0 }
        self.next = b.next
        self.phase = b.phase
        self.digitDimension = b.digit
        self.allowedBytes = (0..<b.phase.count).map { s in (0...255).compactMap { b.next[s * 256 + $0] >= 0 ? UInt8($0) : nil } }
        self.forced = forced
        self.start = start
        self.complete = complete
        self.reasoningStates = reasoningStates
    }

    private struct Builder {
        var next: [Int32] = []
        var phase: [AnswerPhase] = []
        var digit: [Int8] = []

        mutating func add(_ p: AnswerPhase, digit d: Int8 = -1) -> Int32 {
            next += repeatElement(AnswerAutomaton.reject, count: 256)
            phase.append(p)
            digit.append(d)
            return Int32(phase.count - 1)
        }

        mutating func set(_ s: Int32, _ byte: UInt8, _ t: Int32) {
            next[Int(s) * 256 + Int(byte)] = t
        }

        /// A chain from `s` reading `bytes`, its last byte leading to `end`.
        mutating func literal(from s: Int32, _ bytes: some Collection<UInt8>, to end: Int32, phase p: AnswerPhase) {
            var cur = s
            for (k, byte) in bytes.enumerated() {
                let t = k == bytes.count - 1 ? end : add(p)
                set(cur, byte, t)
                cur = t
            }
        }

        /// Up to `maxWhitespaceRun` whitespace bytes, then `bytes`; returns the entry state. The whitespace states
        /// are allocated first and contiguously, so two calls with the same `bytes` have the same shape.
        mutating func spaced(_ bytes: [UInt8], to end: Int32, phase p: AnswerPhase) -> Int32 {
            let cap = AnswerFormat.maxWhitespaceRun
            let ws = (0...cap).map { _ in add(p) }
            let afterFirst = bytes.count == 1 ? end : add(p)
            if bytes.count > 1 { literal(from: afterFirst, bytes.dropFirst(), to: end, phase: p) }
            for (k, w) in ws.enumerated() {
                if k < cap { for byte in AnswerAutomaton.whitespace { set(w, byte, ws[k + 1]) } }
                set(w, bytes[0], afterFirst)
            }
            return ws[0]
        }
    }
}
