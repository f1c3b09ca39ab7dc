import Foundation
import Scoring

/// When a candidate adapter may replace the active one (DESIGN.md §4: "better, and no dimension worse beyond
/// tolerance").
public struct EvalGateConfig: Codable, Sendable, Equatable {
    /// Overall MAE must drop by more than this (0: any strict improvement).
    public var minMAEImprovement: Double
    /// No dimension's MAE may rise by more than this many points. Default 2.
    public var dimensionTolerance: Double
    /// Format validity may fall by at most this share (0: must not fall).
    public var formatValidityTolerance: Double

    public init(minMAEImprovement: Double = 0, dimensionTolerance: Double = 2, formatValidityTolerance: Double = 0) {
        self.minMAEImprovement = minMAEImprovement; self.dimensionTolerance = dimensionTolerance
        self.formatValidityTolerance = formatValidityTolerance
    }
}

/// One check of the gate and how it came out, in words a dashboard can show.
public struct EvalGateCheck: Codable, Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var detail: String
}

public struct EvalGateDecision: Codable, Sendable, Equatable {
    public var accepted: Bool
    public var checks: [EvalGateCheck]

    /// Why: the failed checks when rejected, all checks when accepted.
    public var reasons: [String] {
        accepted ? checks.map(\.detail) : checks.filter { !$0.passed }.map(\.detail)
    }
}

/// Compares a candidate with the active model evaluated on the same set.
public enum EvalGate {
    public static func decide(candidate: EvalReport, active: EvalReport, config: EvalGateConfig = EvalGateConfig()) -> EvalGateDecision {
        var checks: [EvalGateCheck] = []
        func f(_ x: Double) -> String { String(format: "%.3f", x) }

        let sameSet = candidate.items == active.items && candidate.config == active.config
        checks.append(EvalGateCheck(
            name: "same_set", passed: sameSet,
            detail: sameSet ? "both evaluated on the same \(active.items) items"
                : "reports are not comparable: \(candidate.items) vs \(active.items) items or different metric settings"))

        let drop = active.mae - candidate.mae
        checks.append(EvalGateCheck(
            name: "overall_mae", passed: drop > config.minMAEImprovement,
            detail: "overall MAE \(f(active.mae)) → \(f(candidate.mae))"
                + (drop > config.minMAEImprovement ? " (improved by \(f(drop)))"
                    : " (must drop by more than \(f(config.minMAEImprovement)))")))

        for d in Dimension.allCases {
            let (a, c) = (active[d].mae, candidate[d].mae)
            let ok = c - a <= config.dimensionTolerance
            checks.append(EvalGateCheck(
                name: "dimension_mae.\(d.id)", passed: ok,
                detail: "\(d.key) (\(d.id)) MAE \(f(a)) → \(f(c))"
                    + (ok ? "" : ": worse by \(f(c - a)), tolerance \(f(config.dimensionTolerance))")))
        }

        let fall = active.formatValidity - candidate.formatValidity
        let formatOK = fall <= config.formatValidityTolerance
        checks.append(EvalGateCheck(
            name: "format_validity", passed: formatOK,
            detail: "format validity \(f(active.formatValidity)) → \(f(candidate.formatValidity))"
                + (formatOK ? "" : ": fell by \(f(fall)), tolerance \(f(config.formatValidityTolerance))")))

        return EvalGateDecision(accepted: checks.allSatisfy(\.passed), checks: checks)
    }
}
