import Foundation
import Scoring

/// Weights and constants of the scoring reward (DESIGN.md §4 "Reward"). Stored with each training run.
///
/// The total of a parseable answer is
/// `formatWeight·format + keysWeight·keys + scoresWeight·scores + reasoningWeight·reasoning`;
/// an unparseable one gets `unparseablePenalty` instead.
public struct RewardConfig: Codable, Sendable, Equatable {
    public var formatWeight: Double
    public var keysWeight: Double
    public var scoresWeight: Double
    /// Per-key reward for a score equal to the reference (DESIGN: +10).
    public var exactScoreBonus: Double
    /// A score off by Δ points earns −Δ·scoreErrorScale. 0.1 makes a 10-point miss cost 1, the size of one key.
    public var scoreErrorScale: Double
    public var reasoningWeight: Double
    /// The whole reward of an answer with no JSON object at all. The default sits below the worst parseable answer
    /// under the default weights (−1 − 9 − 9·100·0.1 = −100).
    public var unparseablePenalty: Double

    public init(formatWeight: Double = 1, keysWeight: Double = 1, scoresWeight: Double = 1, exactScoreBonus: Double = 10,
                scoreErrorScale: Double = 0.1, reasoningWeight: Double = 5, unparseablePenalty: Double = -110) {
        self.formatWeight = formatWeight; self.keysWeight = keysWeight; self.scoresWeight = scoresWeight
        self.exactScoreBonus = exactScoreBonus; self.scoreErrorScale = scoreErrorScale
        self.reasoningWeight = reasoningWeight; self.unparseablePenalty = unparseablePenalty
    }

    public static let `default` = RewardConfig()

    private enum CodingKeys: String, CodingKey {
        case formatWeight = "format_weight", keysWeight = "keys_weight", scoresWeight = "scores_weight"
        case exactScoreBonus = "exact_score_bonus", scoreErrorScale = "score_error_scale"
        case reasoningWeight = "reasoning_weight", unparseablePenalty = "unparseable_penalty"
    }

    /// Missing keys in a configuration file take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RewardConfig()
        formatWeight = try c.decodeIfPresent(Double.self, forKey: .formatWeight) ?? d.formatWeight
        keysWeight = try c.decodeIfPresent(Double.self, forKey: .keysWeight) ?? d.keysWeight
        scoresWeight = try c.decodeIfPresent(Double.self, forKey: .scoresWeight) ?? d.scoresWeight
        exactScoreBonus = try c.decodeIfPresent(Double.self, forKey: .exactScoreBonus) ?? d.exactScoreBonus
        scoreErrorScale = try c.decodeIfPresent(Double.self, forKey: .scoreErrorScale) ?? d.scoreErrorScale
        reasoningWeight = try c.decodeIfPresent(Double.self, forKey: .reasoningWeight) ?? d.reasoningWeight
        unparseablePenalty = try c.decodeIfPresent(Double.self, forKey: .unparseablePenalty) ?? d.unparseablePenalty
    }
}

/// Each part of one answer's reward, unweighted, and the weighted total (what GRPO and rejection sampling use).
public struct RewardBreakdown: Codable, Sendable, Equatable {
    /// +1 when the four tags appear once each and in order, −1 otherwise.
    public var format: Double
    /// +1 per expected key present, −1 per missing key, −1 per extra key.
    public var keys: Double
    /// Σ over the nine dimensions: the exact-score bonus, or −|pred − ref|·scale; a missing or unusable score counts as
    /// the largest possible miss for its reference (max(ref, 100 − ref) points), so dropping a key never pays.
    public var scores: Double
    /// Similarity of the reasoning to the reference reasoning, in [0, 1] (0 when either is absent).
    public var reasoning: Double
    /// A JSON object was found in the answer; when false, `total` is the fixed penalty (the parts are still reported).
    public var parseable: Bool
    public var total: Double

    public init(format: Double, keys: Double, scores: Double, reasoning: Double, parseable: Bool, total: Double) {
        self.format = format; self.keys = keys; self.scores = scores; self.reasoning = reasoning
        self.parseable = parseable; self.total = total
    }

    /// A reward that is only a number (toy tasks, custom rewards): the parts are zero.
    public static func plain(_ total: Double) -> RewardBreakdown {
        RewardBreakdown(format: 0, keys: 0, scores: 0, reasoning: 0, parseable: true, total: total)
    }
}

/// What a completion is compared with: the human (or seed-corpus) label of one text.
public struct ScoringReference: Sendable, Equatable, Codable {
    public var scores: DimensionScores
    /// Empty when the reviewer gave scores only.
    public var reasoning: String

    public init(scores: DimensionScores, reasoning: String) {
        self.scores = scores
        self.reasoning = reasoning
    }

    /// The canonical training completion for this label (`ScoringPrompt.completion`).
    public var completion: String { ScoringPrompt.completion(reasoning: reasoning, scores: scores) }
}

/// The reward terms as small pure functions (DESIGN.md §4), then `Reward.score` combining them.
public enum Reward {
    /// +1 when both tag pairs are present, in order, once each; −1 otherwise.
    public static func format(_ parsed: ParsedAnswer) -> Double {
        parsed.tagsOK ? 1 : -1
    }

    /// +1 per expected key present, −1 per missing key, −1 per extra key.
    public static func keys(_ parsed: ParsedAnswer) -> Double {
        let missing = parsed.missingKeys.count
        let present = Dimension.allCases.count - missing
        return Double(present - missing - parsed.extraKeys.count)
    }

    /// One dimension's score term: the bonus when equal, else −|pred − ref|·scale; nil prediction = the largest miss.
    public static func scoreTerm(predicted: Int?, reference: Int, config: RewardConfig) -> Double {
        guard let predicted else {
            let worst = max(reference - DimensionScores.range.lowerBound, DimensionScores.range.upperBound - reference)
            return -Double(worst) * config.scoreErrorScale
        }
        return predicted == reference ? config.exactScoreBonus : -Double(abs(predicted - reference)) * config.scoreErrorScale
    }

    /// Σ of `scoreTerm` over the nine dimensions, using every score the parser could recover.
    public static func scores(_ parsed: ParsedAnswer, reference: DimensionScores, config: RewardConfig) -> Double {
        Dimension.allCases.reduce(0) { sum, d in
            sum + scoreTerm(predicted: parsed.recoveredScores[d], reference: reference[d], config: config)
        }
    }

    /// The weighted total of the parts, or the fixed penalty when the answer has no JSON object.
    public static func total(format: Double, keys: Double, scores: Double, reasoning: Double, parseable: Bool,
                             config: RewardConfig) -> Double {
        guard parseable else { return config.unparseablePenalty }
        return config.formatWeight * format + config.keysWeight * keys + config.scoresWeight * scores
            + config.reasoningWeight * reasoning
    }

    /// The full reward of one model output against its reference.
    public static func score(output: String, reference: ScoringReference, config: RewardConfig = .default,
                             similarity: any ReasoningSimilarity) -> RewardBreakdown {
        score(parsed: AnswerParser.parse(output), reference: reference, config: config, similarity: similarity)
    }

    public static func score(parsed: ParsedAnswer, reference: ScoringReference, config: RewardConfig = .default,
                             similarity: any ReasoningSimilarity) -> RewardBreakdown {
        let f = format(parsed), k = keys(parsed), s = scores(parsed, reference: reference.scores, config: config)
        var r = 0.0
        if let reasoning = parsed.reasoning, !reasoning.isEmpty, !reference.reasoning.isEmpty {
            r = similarity.similarity(reasoning, reference.reasoning)
        }
        return RewardBreakdown(format: f, keys: k, scores: s, reasoning: r, parseable: parsed.answerFound,
                               total: total(format: f, keys: k, scores: s, reasoning: r, parseable: parsed.answerFound, config: config))
    }
}
