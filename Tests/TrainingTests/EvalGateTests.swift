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

    @Test func aPerDimensionLimitReplacesTheDefaultForItsDimensionOnly() throws {
        var c = active.map { $0 - 2 }
        c[2] = 9  // bias better by 1: fine under any limit
        c[3] = 11  // +1 on terrorism_violence: within the default 2
        let strict = EvalGateConfig(dimensionTolerances: ["terrorism_violence": 0])
        let d = EvalGate.decide(candidate: report(c), active: report(active), config: strict)
        #expect(!d.accepted && d.checks.filter { !$0.passed }.map(\.name) == ["dimension_mae.terrorism_violence"])
        #expect(d.reasons[0].contains("worse by 1.000, tolerance 0.000"))
        #expect(EvalGate.decide(candidate: report(c), active: report(active)).accepted)
        #expect(throws: RetrainError.self) { try EvalGateConfig(dimensionTolerances: ["violence": 0]).validate() }
        #expect(throws: RetrainError.self) { try EvalGateConfig(dimensionTolerances: ["bias": -1]).validate() }
        // From a retrain configuration file, merged over the defaults.
        let config = try RetrainConfig.load(overriding: Data(#"{"gate": {"dimensionTolerances": {"bias": 0.5}}}"#.utf8))
        #expect(config.gate.tolerance(for: .bias) == 0.5 && config.gate.tolerance(for: .commercial) == 2)
        #expect(throws: RetrainError.self) { try RetrainConfig.load(overriding: Data(#"{"gate": {"dimensionTolerances": {"x": 1}}}"#.utf8)) }
    }

    @Test func aCandidateWorseOnTheControlSetIsRejected() {
        let better = report(active.map { $0 - 1 })
        var worse = active
        worse[0] = 11.5  // one control dimension +1.5, overall +0.17
        let d = EvalGate.decide(candidate: better, active: report(active), control: (candidate: report(worse), active: report(active)))
        #expect(!d.accepted && d.checks.filter { !$0.passed }.map(\.name) == ["control_dimension_mae.commercial"])
        // Overall control MAE beyond its tolerance.
        let d2 = EvalGate.decide(candidate: better, active: report(active),
                                 control: (candidate: report(active.map { $0 + 0.8 }), active: report(active)))
        #expect(!d2.accepted && d2.checks.filter { !$0.passed }.map(\.name) == ["control_mae"])
        // Unchanged or better on the control set: accepted, and the check says so.
        let d3 = EvalGate.decide(candidate: better, active: report(active), control: (candidate: report(active), active: report(active)))
        #expect(d3.accepted && d3.checks.contains { $0.name == "control_mae" && $0.passed })
        // Control reports from different sets cannot be compared.
        let d4 = EvalGate.decide(candidate: better, active: report(active),
                                 control: (candidate: report(active, items: 9), active: report(active)))
        #expect(!d4.accepted)
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
