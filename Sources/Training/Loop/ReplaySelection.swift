import Foundation

/// Chooses which seed-corpus texts a retrain replays beside the new corrections.
///
/// A random replay sample keeps the adapter from forgetting in general, but it rarely holds the texts a new domain is
/// confused with: a domain of QQ-group ads (phone numbers, "加我") teaches "digits and a contact → 商业违规" unless the
/// run also sees the seed corpus's benign texts with phone numbers and its personal-data texts, with their own labels.
/// `neighbours` finds those: for each correction, the seed texts most like it (character-bigram TF-IDF cosine over an
/// inverted index; bigrams in more than `maxDocumentFrequency` of the pool are left out, as uninformative and slow),
/// taken round-robin over the corrections so that every correction contributes its nearest texts first.
public enum ReplaySelection {
    /// Indices into `pool` of at most `limit` texts, nearest first per query and round-robin across queries; texts equal
    /// to a query are skipped (a correction of a seed text must not be replayed against itself). Deterministic.
    public static func neighbours(of queries: [String], in pool: [String], limit: Int, perQuery: Int = 8,
                                  maxDocumentFrequency: Double = 0.05) -> [Int] {
        guard limit > 0, !queries.isEmpty, !pool.isEmpty else { return [] }
        let grams = pool.map(bigrams)
        var df: [String: Int] = [:]
        for g in grams { for b in Set(g) { df[b, default: 0] += 1 } }
        let n = Double(pool.count)
        let cap = max(2, Int(maxDocumentFrequency * n))
        var idf: [String: Double] = [:]
        for (b, d) in df where d <= cap { idf[b] = log((1 + n) / (1 + Double(d))) + 1 }
        func vector(_ g: [String]) -> [(String, Double)] {
            var tf: [String: Double] = [:]
            for b in g { if let w = idf[b] { tf[b, default: 0] += w } }
            let norm = tf.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return [] }
            return tf.keys.sorted().map { ($0, tf[$0]! / norm) }
        }
        var postings: [String: [(Int, Double)]] = [:]
        for (i, g) in grams.enumerated() { for (b, w) in vector(g) { postings[b, default: []].append((i, w)) } }
        let queryTexts = Set(queries)
        var ranked: [[Int]] = []
        for q in queries {
            var score: [Int: Double] = [:]
            for (b, w) in vector(bigrams(q)) { for (i, v) in postings[b] ?? [] { score[i, default: 0] += w * v } }
            let best = score.filter { $0.value > 0 && !queryTexts.contains(pool[$0.key]) }
                .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(perQuery).map(\.key)
            ranked.append(best)
        }
        var chosen: [Int] = []
        var seen: Set<Int> = []
        for rank in 0..<perQuery {
            for list in ranked where rank < list.count {
                guard chosen.count < limit else { return chosen }
                if seen.insert(list[rank]).inserted { chosen.append(list[rank]) }
            }
        }
        return chosen
    }

    /// Overlapping character bigrams of the lower-cased text (one unigram for a one-character text).
    static func bigrams(_ text: String) -> [String] {
        let s = Array(text.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace })
        guard s.count > 1 else { return s.map { String($0) } }
        return (0..<(s.count - 1)).map { i in
            var v = String.UnicodeScalarView()
            v.append(s[i]); v.append(s[i + 1])
            return String(v)
        }
    }
}
