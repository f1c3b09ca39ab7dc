/// Keeps a phrase out of the generated reasoning, across token boundaries: the reasoning of a text in which the
/// evidence stage found nothing may not claim evidence (`线索…`, the opening the model learned for texts that have
/// some). Nor may it begin with part of the phrase: a model barred from the whole of it after writing its first
/// character goes on with a mangled claim (`线售卖…`), so the first token may not be a beginning of the phrase. Built
/// once per vocabulary (`Table`); each sequence keeps the last bytes it wrote.
public struct PhraseBan: Sendable, Equatable {
    /// The tokens that could complete the phrase after some tail: those containing it, and those beginning with one
    /// of its proper suffixes (a tail may end with the rest).
    public final class Table: Sendable {
        let phrase: [UInt8]
        /// Tokens containing the whole phrase: banned whatever came before.
        let containing: [Int]
        /// [k] for 1 ≤ k < phrase length: tokens beginning with `phrase[k...]`, banned when the tail ends with
        /// `phrase[..<k]` (index 0 unused).
        let completing: [[Int]]
        /// Tokens that are a proper beginning of the phrase (`线`, or a lone lead byte of it): banned as the first
        /// token.
        let opening: [Int]

        public init(phrase: String, grammar: AnswerGrammar) {
            let p = Array(phrase.utf8)
            self.phrase = p
            var containing: [Int] = []
            var completing = [[Int]](repeating: [], count: max(1, p.count))
            var opening: [Int] = []
            for t in 0..<grammar.vocabularySize where !grammar.isSpecial[t] {
                let b = Array(grammar.bytes(of: t))
                if b.isEmpty { continue }
                if Self.contains(b, p) { containing.append(t); continue }
                if b.count < p.count && p.starts(with: b) { opening.append(t) }
                for k in 1..<max(1, p.count) where b.starts(with: p[k...]) { completing[k].append(t) }
            }
            self.containing = containing
            self.completing = completing
            self.opening = opening
        }

        static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
            guard !needle.isEmpty, hay.count >= needle.count else { return needle.isEmpty }
            for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
            return false
        }
    }

    let table: Table
    /// The last `phrase.count − 1` bytes written.
    private var tail: [UInt8] = []
    /// Nothing written yet.
    private var atStart = true

    public static func == (a: PhraseBan, b: PhraseBan) -> Bool { a.table === b.table && a.tail == b.tail && a.atStart == b.atStart }

    public init(_ table: Table) { self.table = table }

    /// Whether writing `bytes` next would complete the phrase.
    public func completes<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        Table.contains(tail + Array(bytes), table.phrase)
    }

    /// The tokens that would complete the phrase now: those containing it, and for each proper prefix of the phrase the
    /// tail ends with, those beginning with the rest (no token is checked byte by byte); first of all, also those that
    /// would begin it.
    public func banned(_ grammar: AnswerGrammar) -> [Int] {
        var out = table.containing
        if atStart { out += table.opening }
        let p = table.phrase
        for k in 1..<max(1, p.count) where tail.count >= k && tail[(tail.count - k)...].elementsEqual(p[..<k]) {
            out += table.completing[k]
        }
        return out
    }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if !bytes.isEmpty { atStart = false }
        tail += bytes
        let keep = max(0, table.phrase.count - 1)
        if tail.count > keep { tail.removeFirst(tail.count - keep) }
    }
}
