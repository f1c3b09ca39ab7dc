import Foundation

/// How close a generated reasoning is to the reference reasoning, in [0, 1]. The default is character n-gram TF-IDF
/// cosine; an embedding model may replace it (DESIGN.md §4).
public protocol ReasoningSimilarity: Sendable {
    func similarity(_ a: String, _ b: String) -> Double
}

/// Character n-gram TF-IDF with cosine similarity, computed as scikit-learn's
/// `TfidfVectorizer(analyzer='char', ngram_range=(1, 3), smooth_idf=True, sublinear_tf=False, norm='l2')` with its
/// other defaults (`lowercase=True`, `min_df=1`, no vocabulary limit) — checked against scikit-learn by
/// Tests/Fixtures/training/tfidf-char.json (tools/fixtures/make_tfidf_fixture.py).
///
/// As in sklearn/feature_extraction/text.py `_char_ngrams`: the text is lower-cased, every run of two or more
/// whitespace characters becomes one space, and n-grams are taken over Unicode code points (Python `str` indexing).
/// IDF is fitted on a corpus (the reference reasonings): idf(g) = ln((1 + n) / (1 + df(g))) + 1. N-grams not in the
/// fitted vocabulary are ignored, so two texts made only of unseen n-grams have similarity 0. One difference from
/// scikit-learn: n-grams are `String` keys, which compare under canonical equivalence, so "e" + U+0301 (a 2-gram) and
/// "é" (a 1-gram) count as one n-gram (tools/trl/scoring_reward.py does the same, and Tests/Fixtures/reward checks it).
public struct CharNGramTFIDF: ReasoningSimilarity {
    public let ngramRange: ClosedRange<Int>
    /// idf per n-gram of the fitted vocabulary.
    public let idf: [String: Double]
    public let documentCount: Int

    /// Fits the IDF on `corpus`.
    public init(corpus: [String], ngramRange: ClosedRange<Int> = 1...3) {
        precondition(ngramRange.lowerBound >= 1, "n-grams need n ≥ 1")
        self.ngramRange = ngramRange
        var df: [String: Int] = [:]
        for doc in corpus {
            for g in Set(Self.ngrams(doc, range: ngramRange)) { df[g, default: 0] += 1 }
        }
        let n = Double(corpus.count)
        idf = df.mapValues { log((1 + n) / (1 + Double($0))) + 1 }
        documentCount = corpus.count
    }

    /// The analyser: preprocessed text, then all n-grams for n in `range`, shortest first (sklearn's order).
    public static func ngrams(_ text: String, range: ClosedRange<Int>) -> [String] {
        let scalars = Array(normalise(text).unicodeScalars)
        var out: [String] = []
        for n in range where n <= scalars.count {
            for i in 0...(scalars.count - n) {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: scalars[i..<(i + n)])
                out.append(String(s))
            }
        }
        return out
    }

    /// `text.lower()`, then `re.sub(r"\s\s+", " ", …)`: runs of two or more whitespace characters become one space;
    /// a single whitespace character is kept as it is.
    public static func normalise(_ text: String) -> String {
        let lowered = text.lowercased()
        var out = String.UnicodeScalarView()
        var run = String.UnicodeScalarView()
        func flush() {
            if run.count >= 2 { out.append(" ") } else { out.append(contentsOf: run) }
            run.removeAll()
        }
        for c in lowered.unicodeScalars {
            if isPythonWhitespace(c) { run.append(c) } else { flush(); out.append(c) }
        }
        flush()
        return String(out)
    }

    /// Python's `\s` for `str` patterns (`str.isspace`): Unicode White_Space plus the separators U+001C…U+001F.
    static func isPythonWhitespace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }

    /// The L2-normalised TF-IDF vector of `text` over the fitted vocabulary (sparse).
    public func vector(_ text: String) -> [String: Double] {
        var tf: [String: Double] = [:]
        for g in Self.ngrams(text, range: ngramRange) where idf[g] != nil { tf[g, default: 0] += 1 }
        // Sums run in sorted key order: Swift's dictionary order changes from process to process, and rewards should
        // be bit-reproducible.
        var norm = 0.0
        for g in tf.keys.sorted() {
            let w = tf[g]! * idf[g]!
            tf[g] = w
            norm += w * w
        }
        guard norm > 0 else { return [:] }
        let inv = 1 / norm.squareRoot()
        return tf.mapValues { $0 * inv }
    }

    /// Cosine of the two TF-IDF vectors (both are unit length, so their dot product), clamped to [0, 1].
    public func similarity(_ a: String, _ b: String) -> Double {
        let va = vector(a), vb = vector(b)
        let (small, large) = va.count <= vb.count ? (va, vb) : (vb, va)
        var dot = 0.0
        for g in small.keys.sorted() { if let x = large[g] { dot += small[g]! * x } }
        return min(1, max(0, dot))
    }
}
