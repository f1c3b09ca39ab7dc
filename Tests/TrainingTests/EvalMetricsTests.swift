import Foundation
import Scoring
import Testing
@testable import Training

@Suite struct EvalMetricsTests {
    let ref = [
        scores([100, 100, 100, 100, 100, 100, 100, 100, 100]),
        scores([30, 100, 100, 100, 100, 100, 100, 100, 50]),
        scores([100, 20, 100, 100, 100, 100, 100, 100, 100]),
    ]

    @Test func maeWithinShareAndConfusionByHand() throws {
        let preds = [
            EvalPrediction(scores: scores([100, 100, 100, 100, 100, 100, 100, 100, 100]), formatOK: true),
            EvalPrediction(scores: scores([40, 100, 100, 100, 100, 100, 100, 100, 70]), formatOK: true),
            EvalPrediction(scores: scores([55, 96, 100, 100, 100, 100, 100, 100, 100]), formatOK: false),
        ]
        let r = try EvalMetrics.evaluate(predictions: preds, references: ref)
        #expect(r.items == 3 && r.missingScores == 0)
        #expect(abs(r.formatValidity - 2.0 / 3) < 1e-12)
        // Errors: commercial 0, 10, 45; adversarial 0, 0, 76; inducement 0, 20, 0; others 0.
        #expect(abs(r[.commercial].mae - 55.0 / 3) < 1e-12)
        #expect(abs(r[.adversarial].mae - 76.0 / 3) < 1e-12)
        #expect(abs(r[.illegalInducement].mae - 20.0 / 3) < 1e-12)
        #expect(r[.bias].mae == 0 && r[.bias].withinShare == 1)
        #expect(abs(r.mae - (55.0 + 76 + 20) / 27) < 1e-12)
        #expect(abs(r[.commercial].withinShare - 1.0 / 3) < 1e-12)
        // within 5: 27 cells minus commercial(2) + adversarial(1) + inducement(1) misses
        #expect(abs(r.withinShare - 23.0 / 27) < 1e-12)
        // commercial: ref violations {item 1}; predicted violations {item 1 (40), item 2 (55)} → tp 1, fp 1, tn 1.
        #expect(r[.commercial].confusion == BinaryConfusion(truePositives: 1, falsePositives: 1, falseNegatives: 0, trueNegatives: 1))
        #expect(r[.commercial].precision == 0.5 && r[.commercial].recall == 1)
        #expect(abs(r[.commercial].f1! - 2.0 / 3) < 1e-12)
        // adversarial: the 20 was predicted 96 → a false negative.
        #expect(r[.adversarial].confusion == BinaryConfusion(truePositives: 0, falsePositives: 0, falseNegatives: 1, trueNegatives: 2))
        #expect(r[.adversarial].precision == nil && r[.adversarial].recall == 0 && r[.adversarial].f1 == 0)
        // Text level: references 0 compliant, 1 and 2 violations; predictions 0 compliant, 1 (40) and 2 (55) violations.
        #expect(r.anyViolation == BinaryConfusion(truePositives: 2, falsePositives: 0, falseNegatives: 0, trueNegatives: 1))
        #expect(r.anyViolation.accuracy == 1)
        // bias: no positive on either side → undefined.
        #expect(r[.bias].precision == nil && r[.bias].recall == nil && r[.bias].f1 == nil)
        // Bands 0–19, 20–39, 40–59, 60–79, 80–100: commercial refs 100, 30, 100 → preds 100, 40, 55.
        var table = [[Int]](repeating: [0, 0, 0, 0, 0], count: 5)
        table[4][4] = 1; table[1][2] = 1; table[4][2] = 1
        #expect(r[.commercial].bandConfusion == table)
    }

    /// "Flags the right texts, on the wrong dimension": an ad the model calls bias is off the diagonal, a missed
    /// violation is in the last column, a clean text kept clean in the corner.
    @Test func flagConfusionPairsTheReferencesDimensionsWithTheModels() throws {
        let ad = scores([35, 100, 100, 100, 100, 100, 100, 100, 100])
        let insult = scores([100, 100, 30, 100, 100, 100, 100, 100, 100])
        let clean = scores([100, 100, 100, 100, 100, 100, 100, 100, 100])
        let both = scores([35, 100, 100, 100, 100, 100, 100, 100, 35])
        let refs = [ad, ad, insult, clean, both]
        let preds = [insult, ad, clean, clean, ad].map { EvalPrediction(scores: $0, formatOK: true) }
        let r = try EvalMetrics.evaluate(predictions: preds, references: refs)
        let (commercial, bias, illegal, none) = (Dimension.commercial.index, Dimension.bias.index, Dimension.illegalInducement.index, 9)
        #expect(r.flagConfusion.count == 10 && r.flagConfusion.allSatisfy { $0.count == 10 })
        #expect(r.flagConfusion[commercial][bias] == 1)  // the ad called an insult
        #expect(r.flagConfusion[commercial][commercial] == 2)  // the ad found, and the two-dimension text's commercial part
        #expect(r.flagConfusion[bias][none] == 1)  // the insult missed
        #expect(r.flagConfusion[none][none] == 1)
        #expect(r.flagConfusion[illegal][commercial] == 1)  // its second dimension answered with the first
        #expect(r.flagConfusion.joined().reduce(0, +) == 6)
        // Survives a round trip; a report stored before the table existed decodes with an empty one.
        let data = try JSONEncoder().encode(r)
        #expect(try JSONDecoder().decode(EvalReport.self, from: data) == r)
        var old = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        old.removeValue(forKey: "flagConfusion")
        let decoded = try JSONDecoder().decode(EvalReport.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.flagConfusion.isEmpty && decoded.mae == r.mae)
    }

    @Test func violationThresholdIsConfigurable() throws {
        let preds = [EvalPrediction(scores: scores([55, 100, 100, 100, 100, 100, 100, 100, 100]), formatOK: true)]
        let refs = [scores([50, 100, 100, 100, 100, 100, 100, 100, 100])]
        let at60 = try EvalMetrics.evaluate(predictions: preds, references: refs)
        #expect(at60[.commercial].confusion.truePositives == 1)
        let at52 = try EvalMetrics.evaluate(predictions: preds, references: refs, config: EvalConfig(violationThreshold: 52))
        #expect(at52[.commercial].confusion.falseNegatives == 1)
    }

    @Test func missingScoresCountAsWorstCaseByDefault() throws {
        let preds = [EvalPrediction(scores: nil, formatOK: false)]
        let refs = [scores([100, 59, 60, 0, 100, 100, 100, 100, 100])]
        let r = try EvalMetrics.evaluate(predictions: preds, references: refs)
        #expect(r.missingScores == 1 && r.formatValidity == 0)
        // compliant refs predicted 0, violations predicted 100: errors 100, 41, 60, 100, 100 × 5
        #expect(r[.commercial].mae == 100 && r[.adversarial].mae == 41 && r[.bias].mae == 60 && r[.terrorismViolence].mae == 100)
        #expect(r[.adversarial].confusion.falseNegatives == 1 && r[.bias].confusion.falsePositives == 1)
        let excluded = try EvalMetrics.evaluate(predictions: preds + [EvalPrediction(scores: refs[0], formatOK: true)],
                                                references: refs + refs, config: EvalConfig(missingScores: .exclude))
        #expect(excluded.mae == 0 && excluded[.commercial].count == 1 && excluded.formatValidity == 0.5)
        let constant = try EvalMetrics.evaluate(predictions: preds, references: refs, config: EvalConfig(missingScores: .constant(100)))
        #expect(constant[.adversarial].mae == 41 && constant[.commercial].mae == 0)
    }

    @Test func mismatchedOrEmptySetsThrow() {
        #expect(throws: EvalError.countMismatch(predictions: 0, references: 3)) {
            try EvalMetrics.evaluate(predictions: [], references: ref)
        }
        #expect(throws: EvalError.empty) { try EvalMetrics.evaluate(predictions: [], references: []) }
    }

    @Test func predictionFromParsedAnswerKeepsStrictFormatVerdict() {
        let s = scores([100, 90, 80, 70, 60, 50, 40, 30, 20])
        let good = EvalPrediction(parsed: AnswerParser.parse(AnswerFormat.completion(reasoning: "r", scores: s)))
        #expect(good == EvalPrediction(scores: s, formatOK: true))
        let sloppy = EvalPrediction(parsed: AnswerParser.parse("<answer>" + s.canonicalJSON + "</answer>"))
        #expect(sloppy.scores == s && !sloppy.formatOK)
    }
}
