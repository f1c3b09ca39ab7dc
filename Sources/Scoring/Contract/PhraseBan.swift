/// Keeps a phrase out of the generated reasoning, across token boundaries: the reasoning of a text in which the
/// evidence stage found nothing may not claim evidence (`线索提示…`, the opening the model learned for texts that have
/// some). Built once per vocabulary (`Table`); each sequence keeps the last bytes it wrote.
public struct PhraseBan: Sendable, Equatable {
    /// The tokens that could complete the phrase after some tail: those containing it, and those beginning with one
    /// of its proper suffixes (a tail may end with the rest).
    public final class Table: Sendable {
        let phrase: [UInt8]
        let candidates: [Int]

        public init(phrase: String, grammar: AnswerGrammar) {
            let p = Array(phrase.utf8)
            self.phrase = p
            var out: [Int] = []
            for t in 0..<grammar.vocabularySize where !grammar.isSpecial[t] {
                let b = Array(grammar.bytes(of: t))
                if b.isEmpty { continue }
                if Self.contains(b, p) || (1..<p.count).contains(where: { b.starts(with: p[$0...]) }) {
                    out.append(t)
                }
            }
            candidates = out
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

    public static func == (a: PhraseBan, b: PhraseBan) -> Bool { a.table === b.table && a.tail == b.tail }

    public init(_ table: Table) { self.table = table }

    /// Whether writing `bytes` next would complete the phrase.
    public func completes<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        Table.contains(tail + Array(bytes), table.phrase)
    }

    /// The candidate tokens that would complete the phrase now.
    public func banned(_ grammar: AnswerGrammar) -> [Int] {
        table.candidates.filter { completes(grammar.bytes(of: $0)) }
    }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        tail += bytes
        let keep = max(0, table.phrase.count - 1)
        if tail.count > keep { tail.removeFirst(tail.count - keep) }
    }
}
