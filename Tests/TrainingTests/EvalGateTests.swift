import Foundation
import Scoring
import Testing
@testable import Training

@Suite struct EvalGateTests {
    /// A report whose per-dimension MAEs are `maes` (overall = their mean) with the given format validity.
    func report(_ maes: [Double], format: Double = 1, items: Int = 10) -> EvalReport {
        EvalReport(items: items, missingScores: 0, formatValidity: format, mae: maes.reduce(0, +) / Double(maes.count),
                   withinShare: 0.5,
                   dimensions: zip(Dimension.allCases, maes).map { d, m in
                       DimensionMetrics(dimension: d, count: items, mae: m, withinShare: 0.5, confusion: BinaryConfusion(),
                                        bandConfusion: [])
                   },
                   config: EvalConfig())
    }

    let active = [10.0, 10, 10, 10, 10, 10, 10, 10, 10]

    @Test func betterEverywhereIsAccepted() {
        let d = EvalGate.decide(candidate: report(active.map { $0 - 1 }), active: report(active))
        #expect(d.accepted)
        #expect(d.checks.allSatisfy(\.passed) && d.reasons.count == d.checks.count)
    }

    @Test func overallMAEMustDrop() {
        let d = EvalGate.decide(candidate: report(active), active: report(active))
        #expect(!d.accepted)
        #expect(d.checks.filter { !$0.passed }.map(\.name) == ["overall_mae"])
        #expect(d.reasons == ["overall MAE 10.000 → 10.000 (must drop by more than 0.000)"])
    }

    @Test func oneDimensionWorseBeyondToleranceRejects() {
        var c = active.map { $0 - 2 }
        c[3] = 12.5  // +2.5 on terrorism_violence, overall still better
        let d = EvalGate.decide(candidate: report(c), active: report(active))
        #expect(!d.accepted)
        #expect(d.checks.filter { !$0.passed }.map(\.name) == ["dimension_mae.terrorism_violence"])
        #expect(d.reasons[0].contains("worse by 2.500, tolerance 2.000"))
        c[3] = 12  // exactly at the tolerance: allowed
        #expect(EvalGate.decide(candidate: report(c), active: report(active)).accepted)
    }

    @Test func formatValidityMustNotFall() {
        let d = EvalGate.decide(candidate: report(active.map { $0 - 1 }, format: 0.9), active: report(active, format: 0.95))
        #expect(!d.accepted && d.checks.filter { !$0.passed }.map(\.name) == ["format_validity"])
        let tolerant = EvalGate.decide(candidate: report(active.map { $0 - 1 }, format: 0.9), active: report(active, format: 0.95),
                                       config: EvalGateConfig(formatValidityTolerance: 0.1))
        #expect(tolerant.accepted)
    }

    @Test func reportsFromDifferentSetsAreNotCompared() {
        let d = EvalGate.decide(candidate: report(active.map { $0 - 1 }, items: 9), active: report(active))
        #expect(!d.accepted && d.checks.filter { !$0.passed }.map(\.name) == ["same_set"])
    }

    @Test func gateWorksOnRealMetrics() throws {
        let refs = [scores([100, 100, 100, 100, 100, 100, 100, 100, 100]), scores([20, 100, 100, 100, 100, 100, 100, 100, 100])]
        let activePreds = [EvalPrediction(scores: refs[0], formatOK: true), EvalPrediction(scores: nil, formatOK: false)]
        let candPreds = [EvalPrediction(scores: refs[0], formatOK: true),
                         EvalPrediction(scores: scores([30, 100, 100, 100, 100, 100, 100, 100, 100]), formatOK: true)]
        let a = try EvalMetrics.evaluate(predictions: activePreds, references: refs)
        let c = try EvalMetrics.evaluate(predictions: candPreds, references: refs)
        #expect(EvalGate.decide(candidate: c, active: a).accepted)
        #expect(!EvalGate.decide(candidate: a, active: c).accepted)
    }
}
