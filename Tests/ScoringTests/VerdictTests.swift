import Testing
@testable import Scoring

@Suite struct VerdictTests {
    func scores(_ overrides: [Dimension: Int]) throws -> DimensionScores {
        var values = [Dimension: Int]()
        for d in Dimension.allCases { values[d] = overrides[d] ?? 100 }
        return try DimensionScores(values)
    }

    func confidence(_ c: Float, _ overrides: [Dimension: Float] = [:]) -> [String: Float] {
        var out: [String: Float] = [:]
        for d in Dimension.allCases { out[d.key] = overrides[d] ?? c }
        return out
    }

    @Test func severitiesMapToTheStandardVerdicts() throws {
        let p = VerdictPolicy.standard
        #expect(p.decide(scores: try scores([:]), confidence: confidence(0.9)).verdict == .pass)
        #expect(p.decide(scores: try scores([.bias: 60]), confidence: confidence(0.9)).verdict == .review)
        #expect(p.decide(scores: try scores([.bias: 35]), confidence: confidence(0.9)).verdict == .block)
        #expect(p.decide(scores: try scores([.dataLeak: 10, .bias: 60]), confidence: confidence(0.9)).verdict == .block)
        // Exactly at a threshold is not below it.
        #expect(p.decide(scores: try scores([.bias: 80]), confidence: confidence(0.9)).verdict == .pass)
        #expect(p.decide(scores: try scores([.bias: 50]), confidence: confidence(0.9)).verdict == .review)
    }

    @Test func lowConfidenceAsksForReview() throws {
        let p = VerdictPolicy.standard
        // A block the model is unsure of becomes review; so does a pass with an unsure score.
        let unsureBlock = p.decide(scores: try scores([.bias: 10]), confidence: confidence(0.9, [.bias: 0.3]))
        #expect(unsureBlock.verdict == .review && unsureBlock.reason.contains("bias"))
        #expect(p.decide(scores: try scores([:]), confidence: confidence(0.9, [.misinformation: 0.4])).verdict == .review)
        // A sure block elsewhere still blocks.
        #expect(p.decide(scores: try scores([.bias: 10, .commercial: 10]), confidence: confidence(0.9, [.bias: 0.3])).verdict == .block)
        #expect(p.decide(scores: nil, confidence: [:]).verdict == .review)
    }

    /// With `personalDataBlockNeedsEvidence`, a block on 敏感数据泄露 alone asks for review unless the evidence stage
    /// validated personal data in the text; other dimensions, and the policy without the option, are unchanged.
    @Test func aPersonalDataBlockCanRequireValidatedEvidence() throws {
        var p = VerdictPolicy.standard
        let leak = try scores([.dataLeak: 35])
        #expect(p.decide(scores: leak, confidence: confidence(0.9), personalDataFound: false).verdict == .block)
        p.personalDataBlockNeedsEvidence = true
        let unvalidated = p.decide(scores: leak, confidence: confidence(0.9), personalDataFound: false)
        #expect(unvalidated.verdict == .review && unvalidated.reason.contains("no personal data validated"))
        #expect(p.decide(scores: leak, confidence: confidence(0.9), personalDataFound: nil).verdict == .review)
        #expect(p.decide(scores: leak, confidence: confidence(0.9), personalDataFound: true).verdict == .block)
        #expect(p.decide(scores: try scores([.dataLeak: 35, .bias: 10]), confidence: confidence(0.9), personalDataFound: false).verdict == .block)
        #expect(p.decide(scores: try scores([.bias: 10]), confidence: confidence(0.9), personalDataFound: false).verdict == .block)
        #expect(p.decide(scores: try scores([:]), confidence: confidence(0.9), personalDataFound: false).verdict == .pass)
    }

    @Test func perDimensionThresholdsAndTheirBounds() throws {
        var p = VerdictPolicy.standard
        p.blockBelow[.dataLeak] = 101
        #expect(p.decide(scores: try scores([.dataLeak: 100]), confidence: confidence(0.9)).verdict == .block)
        #expect(p.problems().isEmpty)
        p.reviewBelow[.bias] = 102
        p.minConfidence = 1.5
        #expect(p.problems().count == 2)
    }
}
