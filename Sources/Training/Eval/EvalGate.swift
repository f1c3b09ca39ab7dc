import Foundation
import Scoring

/// When a candidate adapter may replace the active one (DESIGN.md §4: "better, and no dimension worse beyond
/// tolerance").
public struct EvalGateConfig: Codable, Sendable, Equatable {
    /// Overall MAE must drop by more than this (0: any strict improvement).
    public var minMAEImprovement: Double
    /// No dimension's MAE may rise by more than this many points. Default 2.
    public var dimensionTolerance: Double
    /// Per-dimension limits that replace `dimensionTolerance` for their dimension, keyed by the dimension's id
    /// (`bias`, `commercial`, …): a dimension the service must never lose ground on can be held at 0.
    public var dimensionTolerances: [String: Double]
    /// Format validity may fall by at most this share (0: must not fall).
    public var formatValidityTolerance: Double
    /// On the control set (labelled texts outside the corrections, e.g. the seed corpus's validation split): the
    /// overall MAE may rise by at most this, and each dimension's by at most `controlDimensionTolerance`.
    public var controlTolerance: Double
    public var controlDimensionTolerance: Double

    public init(minMAEImprovement: Double = 0, dimensionTolerance: Double = 2, dimensionTolerances: [String: Double] = [:],
                formatValidityTolerance: Double = 0, controlTolerance: Double = 0.5, controlDimensionTolerance: Double = 1) {
        self.minMAEImprovement = minMAEImprovement; self.dimensionTolerance = dimensionTolerance
        self.dimensionTolerances = dimensionTolerances; self.formatValidityTolerance = formatValidityTolerance
        self.controlTolerance = controlTolerance; self.controlDimensionTolerance = controlDimensionTolerance
    }

    enum CodingKeys: String, CodingKey {
        case minMAEImprovement, dimensionTolerance, dimensionTolerances, formatValidityTolerance, controlTolerance, controlDimensionTolerance
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EvalGateConfig()
        minMAEImprovement = try c.decodeIfPresent(Double.self, forKey: .minMAEImprovement) ?? d.minMAEImprovement
        dimensionTolerance = try c.decodeIfPresent(Double.self, forKey: .dimensionTolerance) ?? d.dimensionTolerance
        dimensionTolerances = try c.decodeIfPresent([String: Double].self, forKey: .dimensionTolerances) ?? d.dimensionTolerances
        formatValidityTolerance = try c.decodeIfPresent(Double.self, forKey: .formatValidityTolerance) ?? d.formatValidityTolerance
        controlTolerance = try c.decodeIfPresent(Double.self, forKey: .controlTolerance) ?? d.controlTolerance
        controlDimensionTolerance = try c.decodeIfPresent(Double.self, forKey: .controlDimensionTolerance) ?? d.controlDimensionTolerance
    }

    /// The limit for one dimension's MAE rise on the corrected held-out set.
    public func tolerance(for d: Scoring.Dimension) -> Double { dimensionTolerances[d.id] ?? dimensionTolerance }

    /// A limit keyed by something that is not a dimension id, or a negative or non-finite limit.
    public func validate() throws(RetrainError) {
        let ids = Set(Dimension.allCases.map(\.id))
        if let bad = dimensionTolerances.keys.sorted().first(where: { !ids.contains($0) }) {
            throw .badConfiguration("gate.dimensionTolerances: \"\(bad)\" is not a dimension id; known: \(ids.sorted().joined(separator: ", "))")
        }
        let limits = [minMAEImprovement, dimensionTolerance, formatValidityTolerance, controlTolerance, controlDimensionTolerance]
            + Array(dimensionTolerances.values)
        guard limits.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw .badConfiguration("gate limits must be finite and not negative")
        }
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
    /// `control`, when given, is the candidate and the active model on a control set (labelled texts the
    /// corrections do not cover): they must not get worse there beyond the control tolerances.
    public static func decide(candidate: EvalReport, active: EvalReport, config: EvalGateConfig = EvalGateConfig(),
                              control: (candidate: EvalReport, active: EvalReport)? = nil) -> EvalGateDecision {
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
            let limit = config.tolerance(for: d)
            let ok = c - a <= limit
            checks.append(EvalGateCheck(
                name: "dimension_mae.\(d.id)", passed: ok,
                detail: "\(d.key) (\(d.id)) MAE \(f(a)) → \(f(c))"
                    + (ok ? "" : ": worse by \(f(c - a)), tolerance \(f(limit))")))
        }

        if let control {
            let comparable = control.candidate.items == control.active.items && control.candidate.config == control.active.config
            let rise = control.candidate.mae - control.active.mae
            let ok = comparable && rise <= config.controlTolerance
            checks.append(EvalGateCheck(
                name: "control_mae", passed: ok,
                detail: !comparable ? "control reports are not comparable"
                    : "control MAE \(f(control.active.mae)) → \(f(control.candidate.mae)) on \(control.active.items) texts"
                    + (ok ? "" : ": worse by \(f(rise)), tolerance \(f(config.controlTolerance))")))
            for d in Dimension.allCases {
                let (a, c) = (control.active[d].mae, control.candidate[d].mae)
                guard c - a > config.controlDimensionTolerance else { continue }
                checks.append(EvalGateCheck(
                    name: "control_dimension_mae.\(d.id)", passed: false,
                    detail: "control \(d.key) (\(d.id)) MAE \(f(a)) → \(f(c)): worse by \(f(c - a)), tolerance \(f(config.controlDimensionTolerance))"))
            }
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
