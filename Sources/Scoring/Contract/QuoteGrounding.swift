import Foundation

/// Whether the spans a reasoning quotes occur in what the model was given: the text or its evidence line. A quote
/// found in neither is something the model made up about the text.
public enum QuoteGrounding {
    /// Spans between “ ” 「 」 『 』 or straight double quotes, trimmed, non-empty, at most 60 characters.
    public static func quotes(in reasoning: String) -> [String] {
        let pairs: [(Character, Character)] = [("“", "”"), ("「", "」"), ("『", "』"), ("\"", "\"")]
        var out: [String] = []
        for (open, close) in pairs {
            var rest = Substring(reasoning)
            while let a = rest.firstIndex(of: open) {
                let after = rest.index(after: a)
                guard let b = rest[after...].firstIndex(of: close) else { break }
                let quote = rest[after..<b].trimmingCharacters(in: .whitespaces)
                if !quote.isEmpty, quote.count <= 60 { out.append(quote) }
                rest = rest[rest.index(after: b)...]
            }
        }
        return out
    }

    /// A quote counts as grounded when it occurs in the text or in an evidence item's matched or masked form,
    /// comparing case-insensitively after width folding (ＡＢＣ = abc).
    public static func isGrounded(_ quote: String, text: String, evidence: [EvidenceItem] = []) -> Bool {
        let q = fold(quote)
        if fold(text).contains(q) { return true }
        return evidence.contains { fold($0.masked).contains(q) }
    }

    /// (quotes, grounded) over one reasoning.
    public static func count(reasoning: String, text: String, evidence: [EvidenceItem] = []) -> (quotes: Int, grounded: Int) {
        let qs = quotes(in: reasoning)
        return (qs.count, qs.filter { isGrounded($0, text: text, evidence: evidence) }.count)
    }

    static func fold(_ s: String) -> String {
        s.applyingTransform(.fullwidthToHalfwidth, reverse: false)?.lowercased() ?? s.lowercased()
    }
}
