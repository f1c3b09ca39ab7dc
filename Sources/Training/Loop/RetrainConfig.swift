import Foundation
import Scoring

/// Settings of one retrain run (DESIGN.md §4): rejection sampling, SFT and GRPO on a LoRA adapter, then the held-out
/// evaluation and the gate. The defaults suit the embedded default model on a 2-core machine; a JSON file may override
/// any key (`RetrainConfig.load(overriding:)`).
public struct RetrainConfig: Codable, Sendable, Equatable {
    /// A fresh adapter's rank and lora_alpha (used when no adapter is active; otherwise training continues the active one).
    public var rank = 16
    public var alpha = 32.0
    /// Rejection sampling over (at most this many of) the new corrections: N samples each from the active policy.
    public var rejectionPrompts = 96
    /// A sample is kept only when every score is within 15 points of the reviewer's (`max_score_error`), so a sample
    /// that repeats the mistake being corrected is never trained on, whatever its total reward; a correction none of
    /// whose samples is kept (the model gets it wrong) is trained on twice (`missed_reference_repeat`). Only corrections
    /// that flag no dimension give self-generated samples (`self_generated_on` "clean"; docs/LEARNING-LOOP.md has the
    /// runs that chose it).
    public var rejection = RejectionSamplingConfig(samplesPerPrompt: 4, threshold: 15, keepPerPrompt: 1, maxSelfGeneratedShare: 0.5,
                                                   temperature: 1, maxCompletionLength: 512, maxScoreError: 15,
                                                   missedReferenceRepeat: 2, selfGeneratedOn: .clean)
    /// SFT over the kept samples, the reviewers' own answers and the replay sample.
    public var sftEpochs = 3
    public var sftBatchSize = 8
    public var sftLearningRate: Float = 1e-3
    public var sftMaxSteps: Int?
    public var sftMaxLength = 768
    /// What the anchor texts (the seed-corpus replay) are trained on: the active model's own answers ("model", the
    /// default: the run changes what the corrections teach and little else) or their corpus labels ("label").
    public var anchorTargets: AnchorTargets = .model
    /// Loss weight of the answer's score tokens against the reasoning's (1: every completion token alike).
    public var sftScoreWeight: Float = 4
    /// GRPO on the corrected prompts, continuing the SFT adapter.
    public var grpoSteps = 6
    public var grpoPromptsPerStep = 4
    public var grpoLearningRate: Float = 5e-5
    /// Share of each GRPO batch drawn from the texts the corrections do not cover (the replay and the anchors, with the
    /// targets SFT trained them on); 0: the corrected prompts alone.
    public var grpoReplayShare = 0.0
    /// Samples of rejection sampling and GRPO run under the answer grammar, which forces the answer when only enough
    /// tokens for it are left: `max_completion_length` must leave room to reason first (at least
    /// `ScoreConstraint.minimumSampledCompletion`; 512, as serving's `max_new_tokens`, by default).
    public var grpo = GRPOConfig(groupSize: 4, maxCompletionLength: 512, microBatchSize: 8)
    /// The reward of rejection sampling and GRPO, dominated by per-dimension closeness: a 10-point miss costs 5, an
    /// exact score earns 2, a reasoning like the reviewer's at most 1 (under `RewardConfig()`'s defaults eight exact
    /// scores outweigh missing the one violated dimension by 65 points). A perfect answer is worth 29 + 1; the
    /// unparseable penalty stays below the worst parseable answer (−1 − 9 − 9·100·0.5 = −460).
    public var reward = RewardConfig(exactScoreBonus: 2, scoreErrorScale: 0.5, reasoningWeight: 1, unparseablePenalty: -500)
    /// Held-out evaluation: metrics settings, the most items evaluated (newest first), the fewest needed for a decision.
    public var eval = EvalConfig()
    public var evalMaxItems = 400
    /// The most control texts (labelled texts outside the corrections) evaluated for the gate's control checks.
    public var controlMaxItems = 200
    public var minHeldOut = 10
    /// Candidates the gate tries, in order, until one passes: 1 is the trained adapter itself, a smaller fraction f the
    /// adapter f of the way to it in weight change from where the run started (`LoRAAdapter.blended`, exact: ΔW =
    /// ΔW_start + f·(ΔW_trained − ΔW_start), as WiSE-FT interpolates a fine-tuned model toward its start). It keeps most
    /// of what the corrections taught with less drift on texts they do not cover. From a fresh adapter the rank stays;
    /// continuing an active one it is both ranks together, and such a candidate is not tried past four times `rank`.
    /// Each extra fraction costs one more evaluation of the held-out and control sets.
    public var candidateFractions: [Double] = [1, 0.75]
    /// Which of the run's adapters the fractions are taken of, in order: "trained" (after every phase: SFT, then GRPO)
    /// and "sft" (after SFT, before GRPO). GRPO's reward is computed on the corrected prompts, so a stronger GRPO than
    /// the default can push a run further than the corrections ask; with "sft" listed, such a run can still go live on
    /// what SFT learned. With `grpo_steps` 0 the two are one adapter, tried once. Every stage × fraction costs one more
    /// evaluation of the held-out and control sets (the gate stops at the first that passes). Default "trained" only:
    /// at the default GRPO settings the two adapters scored alike on the protocol (docs/LEARNING-LOOP.md).
    public var candidateStages: [CandidateStage] = [.trained]
    public var gate = EvalGateConfig()
    public var seed: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rank, alpha, rejectionPrompts = "rejection_prompts", rejection, sftEpochs = "sft_epochs", sftBatchSize = "sft_batch_size"
        case sftLearningRate = "sft_learning_rate", sftMaxSteps = "sft_max_steps", sftMaxLength = "sft_max_length"
        case sftScoreWeight = "sft_score_weight", controlMaxItems = "control_max_items", anchorTargets = "anchor_targets"
        case grpoSteps = "grpo_steps", grpoPromptsPerStep = "grpo_prompts_per_step", grpoLearningRate = "grpo_learning_rate", grpo
        case grpoReplayShare = "grpo_replay_share"
        case reward, eval, evalMaxItems = "eval_max_items", minHeldOut = "min_held_out", candidateFractions = "candidate_fractions"
        case candidateStages = "candidate_stages", gate, seed
    }

    /// The defaults with the keys of a JSON object replaced (nested objects merge key by key). Unknown top-level keys
    /// are an error, so a typo is not silently ignored.
    public static func load(overriding json: Data) throws -> RetrainConfig {
        guard let overrides = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw RetrainError.badConfiguration("the retrain configuration must be a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = overrides.keys.filter({ !known.contains($0) }).sorted().first {
            throw RetrainError.badConfiguration("unknown retrain configuration key \"\(unknown)\"; known: \(known.sorted().joined(separator: ", "))")
        }
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RetrainConfig())) as! [String: Any]
        func merge(_ base: [String: Any], _ over: [String: Any]) -> [String: Any] {
            var out = base
            for (k, v) in over {
                if let inner = v as? [String: Any], let b = base[k] as? [String: Any] { out[k] = merge(b, inner) } else { out[k] = v }
            }
            return out
        }
        merged = merge(merged, overrides)
        do {
            let c = try JSONDecoder().decode(RetrainConfig.self, from: JSONSerialization.data(withJSONObject: merged))
            try c.validate()
            return c
        } catch let e as RetrainError {
            throw e
        } catch {
            throw RetrainError.badConfiguration("retrain configuration: \(error)")
        }
    }

    public func validate() throws(RetrainError) {
        guard rank > 0, alpha > 0 else { throw .badConfiguration("rank and alpha must be positive") }
        guard rejectionPrompts >= 0, sftEpochs >= 0, sftBatchSize > 0, grpoSteps >= 0, grpoPromptsPerStep > 0, sftMaxLength > 0 else {
            throw .badConfiguration("counts must be positive (rejection_prompts, sft_epochs, grpo_steps may be 0)")
        }
        guard sftLearningRate > 0, grpoLearningRate > 0 else { throw .badConfiguration("learning rates must be positive") }
        guard grpoReplayShare.isFinite, grpoReplayShare >= 0, grpoReplayShare < 1 else {
            throw .badConfiguration("grpo_replay_share must be at least 0 and below 1")
        }
        guard evalMaxItems > 0, minHeldOut > 0 else { throw .badConfiguration("eval_max_items and min_held_out must be positive") }
        guard controlMaxItems >= 0 else { throw .badConfiguration("control_max_items must not be negative") }
        guard !candidateFractions.isEmpty, candidateFractions.count <= 8, candidateFractions.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 1 }) else {
            throw .badConfiguration("candidate_fractions must list 1 to 8 fractions, each above 0 and at most 1")
        }
        guard !candidateStages.isEmpty, Set(candidateStages).count == candidateStages.count else {
            throw .badConfiguration("candidate_stages must list \"trained\", \"sft\" or both, each once")
        }
        guard rejection.missedReferenceRepeat >= 1, rejection.maxScoreError.map({ $0 >= 0 }) ?? true else {
            throw .badConfiguration("rejection.missed_reference_repeat must be at least 1 and max_score_error not negative")
        }
        guard sftScoreWeight.isFinite, sftScoreWeight > 0 else { throw .badConfiguration("sft_score_weight must be positive") }
        let least = ScoreConstraint.minimumSampledCompletion
        for (key, value) in [("rejection.max_completion_length", rejection.maxCompletionLength), ("grpo.max_completion_length", grpo.maxCompletionLength)]
            where value < least
        {
            throw .badConfiguration("\(key) \(value) is below \(least): the answer grammar reserves \(ScoreConstraint.guaranteedAnswerReserve) "
                + "tokens for the answer, so every sample would be forced into its answer before any reasoning")
        }
        try gate.validate()
        do { try grpo.validate() } catch { throw .badConfiguration(error.description) }
    }
}

/// Which adapter of a run a gate candidate is taken from: the one after every phase, or the one after SFT (before GRPO).
public enum CandidateStage: String, Codable, Sendable, Equatable, Hashable {
    case trained, sft
}

/// Where the anchor texts' SFT targets come from.
public enum AnchorTargets: String, Codable, Sendable, Equatable {
    case model, label
}

/// Why a retrain run stopped before a decision.
public enum RetrainError: Error, CustomStringConvertible, Equatable {
    case badConfiguration(String)
    case noTrainingData
    case cancelled(phase: String)
    case nonFiniteLoss(phase: String, step: Int, value: Double)

    public var description: String {
        switch self {
        case let .badConfiguration(m): m
        case .noTrainingData: "there are no new corrections to train on"
        case let .cancelled(p): "cancelled during \(p)"
        case let .nonFiniteLoss(p, s, v): "\(p) step \(s): the loss is \(v); the run was aborted and nothing was activated"
        }
    }
}
