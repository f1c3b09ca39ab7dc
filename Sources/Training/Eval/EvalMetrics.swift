import Foundation
import Scoring

/// One model answer on an evaluation item, as the scorer reports it.
public struct EvalPrediction: Sendable, Equatable, Codable {
    /// nil when the answer had no usable nine scores.
    public var scores: DimensionScores?
    /// `ParsedAnswer.formatOK`: the strict format verdict.
    public var formatOK: Bool

    public init(scores: DimensionScores?, formatOK: Bool) {
        self.scores = scores
        self.formatOK = formatOK
    }

    public init(parsed: ParsedAnswer) {
        self.init(scores: parsed.scores, formatOK: parsed.formatOK)
    }
}

/// How metrics treat a prediction without scores.
public enum MissingScoresPolicy: Codable, Sendable, Equatable {
    /// Counts as the far end of the scale on the wrong side of the violation threshold: 0 where the reference is
    /// compliant, 100 where it is a violation — always misclassified, and at least 40 points off under the default
    /// threshold, so a model cannot improve its metrics by failing to answer. The default.
    case worstCase
    /// Counts as this score on every dimension (e.g. 100, "nothing found", if that is what the service would do).
    case constant(Int)
    /// Left out of MAE, within-5 and classification (it still counts against format validity).
    case exclude
}

public struct EvalConfig: Codable, Sendable, Equatable {
    /// A score strictly below this is a violation (the positive class). Default 60.
    public var violationThreshold: Int
    /// "Within tolerance" means |pred − ref| ≤ this. Default 5 points.
    public var withinPoints: Int
    public var missingScores: MissingScoresPolicy
    /// Upper bounds (exclusive) of the score bands of the confusion table; the last band ends at 100 inclusive.
    /// Default [20, 40, 60, 80]: bands 0–19, 20–39, 40–59, 60–79, 80–100.
    public var bandEdges: [Int]

    public init(violationThreshold: Int = 60, withinPoints: Int = 5, missingScores: MissingScoresPolicy = .worstCase,
                bandEdges: [Int] = [20, 40, 60, 80]) {
        precondition(bandEdges == bandEdges.sorted() && Set(bandEdges).count == bandEdges.count, "band edges must increase")
        self.violationThreshold = violationThreshold; self.withinPoints = withinPoints; self.missingScores = missingScores
        self.bandEdges = bandEdges
    }

    public func band(of score: Int) -> Int { bandEdges.firstIndex { score < $0 } ?? bandEdges.count }
}

/// Counts of the binary violation decision (positive = violation).
public struct BinaryConfusion: Codable, Sendable, Equatable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    public var trueNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0, trueNegatives: Int = 0) {
        self.truePositives = truePositives; self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives; self.trueNegatives = trueNegatives
    }

    /// tp / (tp + fp); nil when nothing was predicted positive.
    public var precision: Double? {
        truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil
    }

    /// tp / (tp + fn); nil when the references hold no positive.
    public var recall: Double? {
        truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : nil
    }

    /// (tp + tn) / all; nil when empty.
    public var accuracy: Double? {
        let n = truePositives + falsePositives + falseNegatives + trueNegatives
        return n > 0 ? Double(truePositives + trueNegatives) / Double(n) : nil
    }

    /// 2tp / (2tp + fp + fn) (the harmonic mean of precision and recall); nil when there is no positive on either side.
    public var f1: Double? {
        let d = 2 * truePositives + falsePositives + falseNegatives
        return d > 0 ? Double(2 * truePositives) / Double(d) : nil
    }
}

/// Metrics of one dimension.
public struct DimensionMetrics: Codable, Sendable, Equatable {
    public var dimension: Scoring.Dimension
    /// Items that entered the metrics (all, unless missing predictions are excluded).
    public var count: Int
    public var mae: Double
    /// Share of items with |pred − ref| ≤ `withinPoints`.
    public var withinShare: Double
    public var confusion: BinaryConfusion
    /// [reference band][predicted band] counts over `EvalConfig.bandEdges`.
    public var bandConfusion: [[Int]]

    public var precision: Double? { confusion.precision }
    public var recall: Double? { confusion.recall }
    public var f1: Double? { confusion.f1 }
}

/// Reports name the dimension by its Chinese key (as the model writes it), not by its ASCII id.
extension DimensionMetrics {
    enum CodingKeys: String, CodingKey { case dimension, count, mae, withinShare, confusion, bandConfusion }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let key = try c.decode(String.self, forKey: .dimension)
        guard let dimension = Scoring.Dimension(key: key) else {
            throw DecodingError.dataCorruptedError(forKey: .dimension, in: c, debugDescription: "unknown dimension key \"\(key)\"")
        }
        self.init(dimension: dimension, count: try c.decode(Int.self, forKey: .count), mae: try c.decode(Double.self, forKey: .mae),
                  withinShare: try c.decode(Double.self, forKey: .withinShare),
                  confusion: try c.decode(BinaryConfusion.self, forKey: .confusion),
                  bandConfusion: try c.decode([[Int]].self, forKey: .bandConfusion))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dimension.key, forKey: .dimension)
        try c.encode(count, forKey: .count)
        try c.encode(mae, forKey: .mae)
        try c.encode(withinShare, forKey: .withinShare)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(bandConfusion, forKey: .bandConfusion)
    }
}

/// The evaluation of one model (base + adapter) on one labelled set.
public struct EvalReport: Codable, Sendable, Equatable {
    public var items: Int
    /// Predictions without usable scores.
    public var missingScores: Int
    /// Share of answers in the strict format.
    public var formatValidity: Double
    /// Mean absolute error over all dimensions and items.
    public var mae: Double
    public var withinShare: Double
    /// In canonical dimension order.
    public var dimensions: [DimensionMetrics]
    public var config: EvalConfig
    /// The text-level decision: a text is a violation when any of its nine scores is below the threshold (the binary
    /// offensive / not question of datasets such as COLD).
    public var anyViolation = BinaryConfusion()
    /// Which dimensions the reference flags against which the model flags (below the threshold), 10 × 10: rows are the
    /// reference's dimensions in canonical order then "none", columns the model's. Each item adds one to every
    /// (flagged by the reference, flagged by the model) pair, so "the right texts, on the wrong dimension" shows as
    /// weight off the diagonal, and a missed violation in the last column.
    public var flagConfusion: [[Int]] = []

    public subscript(_ d: Scoring.Dimension) -> DimensionMetrics { dimensions[d.index] }

    enum CodingKeys: String, CodingKey {
        case items, missingScores, formatValidity, mae, withinShare, dimensions, config, anyViolation, flagConfusion
    }

    public init(items: Int, missingScores: Int, formatValidity: Double, mae: Double, withinShare: Double,
                dimensions: [DimensionMetrics], config: EvalConfig, anyViolation: BinaryConfusion = BinaryConfusion(),
                flagConfusion: [[Int]] = []) {
        self.items = items; self.missingScores = missingScores; self.formatValidity = formatValidity; self.mae = mae
        self.withinShare = withinShare; self.dimensions = dimensions; self.config = config; self.anyViolation = anyViolation
        self.flagConfusion = flagConfusion
    }

    /// Reports written before `flagConfusion` existed read with an empty table.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(items: try c.decode(Int.self, forKey: .items), missingScores: try c.decode(Int.self, forKey: .missingScores),
                  formatValidity: try c.decode(Double.self, forKey: .formatValidity), mae: try c.decode(Double.self, forKey: .mae),
                  withinShare: try c.decode(Double.self, forKey: .withinShare),
                  dimensions: try c.decode([DimensionMetrics].self, forKey: .dimensions), config: try c.decode(EvalConfig.self, forKey: .config),
                  anyViolation: try c.decodeIfPresent(BinaryConfusion.self, forKey: .anyViolation) ?? BinaryConfusion(),
                  flagConfusion: try c.decodeIfPresent([[Int]].self, forKey: .flagConfusion) ?? [])
    }
}

public enum EvalError: Error, CustomStringConvertible, Equatable {
    case countMismatch(predictions: Int, references: Int)
    case empty

    public var description: String {
        switch self {
        case let .countMismatch(p, r): "evaluation needs one prediction per reference: \(p) predictions for \(r) references"
        case .empty: "the evaluation set is empty"
        }
    }
}

/// The evaluation metrics of DESIGN.md §4 (used by the eval gate and `safety-server eval`).
public enum EvalMetrics {
    public static func evaluate(predictions: [EvalPrediction], references: [DimensionScores],
                                config: EvalConfig = EvalConfig()) throws(EvalError) -> EvalReport {
        guard predictions.count == references.count else {
            throw .countMismatch(predictions: predictions.count, references: references.count)
        }
        guard !references.isEmpty else { throw .empty }
        let bands = config.bandEdges.count + 1
        var absSum = [Int](repeating: 0, count: Dimension.allCases.count)
        var within = [Int](repeating: 0, count: Dimension.allCases.count)
        var confusion = [BinaryConfusion](repeating: BinaryConfusion(), count: Dimension.allCases.count)
        var bandTable = [[[Int]]](repeating: [[Int]](repeating: [Int](repeating: 0, count: bands), count: bands),
                                  count: Dimension.allCases.count)
        var any = BinaryConfusion()
        let none = Dimension.allCases.count
        var flags = [[Int]](repeating: [Int](repeating: 0, count: none + 1), count: none + 1)
        var used = 0
        var missing = 0
        var formatOK = 0
        for (p, ref) in zip(predictions, references) {
            if p.formatOK { formatOK += 1 }
            if p.scores == nil { missing += 1 }
            guard let pred = effectiveScores(p.scores, reference: ref, config: config) else { continue }
            used += 1
            let refViolates = ref.values.contains { $0 < config.violationThreshold }
            let predViolates = pred.contains { $0 < config.violationThreshold }
            switch (refViolates, predViolates) {
            case (true, true): any.truePositives += 1
            case (false, true): any.falsePositives += 1
            case (true, false): any.falseNegatives += 1
            case (false, false): any.trueNegatives += 1
            }
            let refFlags = Dimension.allCases.filter { ref[$0] < config.violationThreshold }.map(\.index)
            let predFlags = Dimension.allCases.filter { pred[$0.index] < config.violationThreshold }.map(\.index)
            for r in refFlags.isEmpty ? [none] : refFlags { for q in predFlags.isEmpty ? [none] : predFlags { flags[r][q] += 1 } }
            for d in Dimension.allCases {
                let (x, y) = (pred[d.index], ref[d])
                let err = abs(x - y)
                absSum[d.index] += err
                if err <= config.withinPoints { within[d.index] += 1 }
                let (pv, rv) = (x < config.violationThreshold, y < config.violationThreshold)
                switch (rv, pv) {
                case (true, true): confusion[d.index].truePositives += 1
                case (false, true): confusion[d.index].falsePositives += 1
                case (true, false): confusion[d.index].falseNegatives += 1
                case (false, false): confusion[d.index].trueNegatives += 1
                }
                bandTable[d.index][config.band(of: y)][config.band(of: x)] += 1
            }
        }
        let n = Double(max(used, 1))
        let dims = Dimension.allCases.map { d in
            DimensionMetrics(dimension: d, count: used, mae: Double(absSum[d.index]) / n,
                             withinShare: Double(within[d.index]) / n, confusion: confusion[d.index],
                             bandConfusion: bandTable[d.index])
        }
        let cells = n * Double(Dimension.allCases.count)
        return EvalReport(items: references.count, missingScores: missing,
                          formatValidity: Double(formatOK) / Double(references.count),
                          mae: Double(absSum.reduce(0, +)) / cells, withinShare: Double(within.reduce(0, +)) / cells,
                          dimensions: dims, config: config, anyViolation: any, flagConfusion: flags)
    }

    /// The scores a prediction counts with under the missing-scores policy; nil = leave the item out.
    static func effectiveScores(_ scores: DimensionScores?, reference: DimensionScores, config: EvalConfig) -> [Int]? {
        if let scores { return scores.values }
        switch config.missingScores {
        case .exclude: return nil
        case let .constant(v): return Array(repeating: v, count: Dimension.allCases.count)
        case .worstCase:
            let r = DimensionScores.range
            return reference.values.map { $0 < config.violationThreshold ? r.upperBound : r.lowerBound }
        }
    }
}
