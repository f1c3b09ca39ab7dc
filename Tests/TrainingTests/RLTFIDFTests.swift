import Foundation
import Testing
@testable import Training

/// CharNGramTFIDF against scikit-learn (Tests/Fixtures/training/tfidf-char.json, tools/fixtures/make_tfidf_fixture.py).
@Suite struct RLTFIDFTests {
    struct Fixture: Decodable {
        let corpus: [String]
        let queries: [String]
        let idf: [String: Double]
        let cosine_queries_corpus: [[Double]]
        let cosine_queries_queries: [[Double]]
        let vector_query_1: [String: Double]
        let scikit_learn: String
    }

    func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: RLPaths.training.appendingPathComponent("tfidf-char.json")))
    }

    @Test func vocabularyAndIDFMatchScikitLearn() throws {
        let fx = try fixture()
        let tfidf = CharNGramTFIDF(corpus: fx.corpus)
        #expect(Set(tfidf.idf.keys) == Set(fx.idf.keys), "vocabulary differs: ours \(tfidf.idf.count), sklearn \(fx.idf.count)")
        var worst = 0.0
        for (g, v) in fx.idf { worst = max(worst, abs((tfidf.idf[g] ?? .nan) - v)) }
        #expect(worst < 1e-12, "max |Δidf| = \(worst)")
    }

    @Test func vectorsAndCosinesMatchScikitLearn() throws {
        let fx = try fixture()
        let tfidf = CharNGramTFIDF(corpus: fx.corpus)
        let v = tfidf.vector(fx.queries[1])
        #expect(Set(v.keys) == Set(fx.vector_query_1.keys))
        for (g, w) in fx.vector_query_1 { #expect(abs(v[g]! - w) < 1e-12, "\(g)") }
        var worst = 0.0
        for (i, q) in fx.queries.enumerated() {
            for (j, d) in fx.corpus.enumerated() { worst = max(worst, abs(tfidf.similarity(q, d) - fx.cosine_queries_corpus[i][j])) }
            for (j, q2) in fx.queries.enumerated() {
                let expected = fx.cosine_queries_queries[i][j]
                worst = max(worst, abs(tfidf.similarity(q, q2) - expected))
            }
        }
        print("tfidf vs scikit-learn \(fx.scikit_learn): max |Δcos| = \(worst)")
        #expect(worst < 1e-12)
    }

    @Test func whitespaceRunsCollapseButSingleWhitespaceStays() {
        #expect(CharNGramTFIDF.normalise("A  b\tc\n\nD") == "a b\tc d")
        #expect(CharNGramTFIDF.normalise("x\u{3000}\u{3000}y") == "x y", "ideographic spaces are whitespace too")
        #expect(CharNGramTFIDF.normalise("a\u{1F}\u{1F}b") == "a b", "Python's str.isspace includes U+001C…U+001F")
    }

    @Test func ngramsAreOverCodePointsShortestFirst() {
        #expect(CharNGramTFIDF.ngrams("文本ab", range: 1...3) == ["文", "本", "a", "b", "文本", "本a", "ab", "文本a", "本ab"])
        #expect(CharNGramTFIDF.ngrams("a", range: 1...3) == ["a"])
        #expect(CharNGramTFIDF.ngrams("", range: 1...3).isEmpty)
    }

    @Test func identicalTextsScoreOneAndUnseenTextsZero() {
        let t = CharNGramTFIDF(corpus: ["未发现风险", "包含敏感词"])
        #expect(abs(t.similarity("未发现风险", "未发现风险") - 1) < 1e-12)
        #expect(t.similarity("😀", "😀") == 0, "no fitted n-gram: a zero vector")
        #expect(t.similarity("", "未发现风险") == 0)
    }

    @Test func idfIsSmoothedLogPlusOne() {
        // n = 2 documents; "a" in both: ln(3/3) + 1 = 1; "b" in one: ln(3/2) + 1.
        let t = CharNGramTFIDF(corpus: ["ab", "a"], ngramRange: 1...1)
        #expect(t.idf["a"] == 1)
        #expect(abs(t.idf["b"]! - (log(1.5) + 1)) < 1e-15)
        // "ab" → tf-idf (1, ln 1.5 + 1), normalised; "a" → (1, 0). Cosine = 1 / |(1, ln 1.5 + 1)|.
        let expected = 1 / (1 + pow(log(1.5) + 1, 2)).squareRoot()
        #expect(abs(t.similarity("ab", "a") - expected) < 1e-15)
    }
}
