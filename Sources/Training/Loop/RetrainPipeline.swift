import Foundation
import Scoring

/// What a retrain run learns from, as plain values (the service reads them from its database and the seed corpus).
public struct RetrainInputs: Sendable {
    /// Human corrections since the last run: rejection-sampled, trained on (SFT) and the GRPO prompts.
    public var corrections: [ScoringExample]
    /// Older human labels and seed-corpus lines mixed into SFT, so the adapter does not forget (human references only).
    public var replay: [ScoringExample]
    /// Human-labelled requests that are never trained on: the gate's evaluation set.
    public var heldOut: [ScoringExample]
    /// Labelled texts outside the corrections (the seed corpus's validation split): the candidate must not get worse
    /// on them (the gate's control checks). Empty: no control checks.
    public var control: [ScoringExample]
    /// Texts outside the corrections whose answers the run should leave as they are (the seed-corpus replay): with
    /// `anchor_targets` "model" they are trained on the active model's own greedy answers, so the corrections move
    /// what they teach and little else; with "label", on their labels like `replay`.
    public var anchor: [ScoringExample]

    public init(corrections: [ScoringExample], replay: [ScoringExample], heldOut: [ScoringExample], control: [ScoringExample] = [],
                anchor: [ScoringExample] = []) {
        self.corrections = corrections; self.replay = replay; self.heldOut = heldOut; self.control = control; self.anchor = anchor
    }
}

/// A point on a run's curves: phase, step, loss and/or reward, and any other figures of the step.
public struct RetrainPoint: Sendable, Equatable {
    public var phase: String
    public var step: Int
    public var total: Int
    public var loss: Double?
    public var reward: Double?
    public var data: [String: Double]
}

/// How the pipeline talks to whoever runs it: progress, cancellation, and yielding to live traffic.
public struct RetrainHooks: @unchecked Sendable {
    /// A phase started (with its planned number of steps).
    public var phase: (_ name: String, _ total: Int) -> Void = { _, _ in }
    /// A step finished.
    public var point: (RetrainPoint) -> Void = { _ in }
    /// Checked between steps; true stops the run with `RetrainError.cancelled`.
    public var shouldStop: () -> Bool = { false }
    /// Called between steps; blocks while serving traffic needs the machine (training must not starve scoring).
    public var yield: () -> Void = {}

    public init() {}
}

/// Figures of a finished run (stored with the run and shown on the dashboard).
public struct RetrainSummary: Codable, Sendable, Equatable {
    public var corrections = 0
    /// Corrections and replay texts left out because their prompt does not fit the model's context with the answer.
    public var tooLongForTraining = 0
    public var replay = 0
    /// Anchor texts, and how many of them were trained on the active model's own answers.
    public var anchor = 0
    public var anchorFromModel = 0
    public var heldOut = 0
    public var evaluated = 0
    /// Control texts evaluated for the gate (0: no control checks).
    public var controlEvaluated = 0
    public var rejection = RejectionSamplingReport()
    public var sftSamples = 0
    public var sftSteps = 0
    public var sftFirstLoss: Double?
    public var sftLastLoss: Double?
    public var grpoSteps = 0
    public var grpoFirstReward: Double?
    public var grpoLastReward: Double?
    /// Output diversity of the candidate on the held-out set: distinct 1- and 2-grams of its reasonings (a collapsing
    /// model repeats itself, and this falls across rounds).
    public var candidateDistinct1 = 0.0
    public var candidateDistinct2 = 0.0
    /// The candidates the gate judged, in order (`candidate_stages` × `candidate_fractions`), and the stage and fraction of
    /// the one it decided on (the first that passed, else the last tried).
    public var gateTrials: [GateTrial] = []
    public var candidateFraction = 1.0
    public var candidateStage = CandidateStage.trained
    public var seconds: [String: Double] = [:]

    public init() {}
}

/// One candidate the gate judged: the run's adapter it was taken from (`stage`), its fraction of the way from the
/// starting adapter to that one, its MAE on the held-out and control sets, and the verdict with its reasons.
public struct GateTrial: Codable, Sendable, Equatable {
    public var stage: CandidateStage
    public var fraction: Double
    public var heldOutMAE: Double
    public var controlMAE: Double?
    public var accepted: Bool
    public var reasons: [String]

    public init(stage: CandidateStage = .trained, fraction: Double, heldOutMAE: Double, controlMAE: Double?, accepted: Bool, reasons: [String]) {
        self.stage = stage; self.fraction = fraction; self.heldOutMAE = heldOutMAE; self.controlMAE = controlMAE; self.accepted = accepted
        self.reasons = reasons
    }
}

/// A candidate for the gate: an adapter, its fraction of the way from the run's starting adapter, and the stage of the
/// run it was taken from.
public struct GateCandidate: Sendable {
    public var adapter: LoRAAdapter
    public var fraction: Double
    public var stage: CandidateStage

    public init(_ adapter: LoRAAdapter, fraction: Double = 1, stage: CandidateStage = .trained) {
        self.adapter = adapter; self.fraction = fraction; self.stage = stage
    }
}

/// A candidate adapter, its evaluation against the active one, and the gate's verdict.
public struct RetrainOutcome: Sendable {
    public var candidate: LoRAAdapter
    public var candidateReport: EvalReport
    public var activeReport: EvalReport
    /// The candidate and the active model on the control set (nil when there was none).
    public var control: (candidate: EvalReport, active: EvalReport)?
    public var decision: EvalGateDecision
    public var summary: RetrainSummary
}

/// A run's training data before anything is sampled (`RetrainPipeline.prepare`).
public struct RetrainTrainingData: Sendable {
    /// Corrections, replay and anchors that fit the model's context with an answer; held-out and control as given.
    public var inputs: RetrainInputs
    /// The corrections, each with a reasoning (stated from its scores where the reviewer wrote none): the SFT targets
    /// and the GRPO prompts with their references.
    public var corrections: [ScoringExample]
    /// The reference reasonings the reward's TF-IDF similarity is fitted on.
    public var similarityCorpus: [String]
    /// Texts left out because their prompt does not fit the model's context with the answer.
    public var tooLongForTraining: Int
}

/// A candidate and the active adapter on the same held-out (and control) set, and the gate's verdict.
public struct CandidateJudgement: Sendable {
    public var candidateReport: EvalReport
    public var activeReport: EvalReport
    /// The candidate and the active model on the control set (nil when there was none).
    public var control: (candidate: EvalReport, active: EvalReport)?
    public var decision: EvalGateDecision
    /// Held-out and control items evaluated.
    public var evaluated: Int
    public var controlEvaluated: Int
    /// Output diversity of the candidate's reasonings on the held-out set.
    public var candidateDistinct1: Double
    public var candidateDistinct2: Double
    /// The adapter decided on (the first candidate that passed, else the last tried), its fraction and stage, and every
    /// trial.
    public var candidate: LoRAAdapter
    public var fraction: Double
    public var stage: CandidateStage
    public var trials: [GateTrial]
}

/// Rejection sampling → SFT → GRPO on a LoRA adapter (starting from the active one), then evaluation of the candidate
/// and the active adapter on the same held-out set, and the eval gate (DESIGN.md §4). Synchronous and compute-bound:
/// run it on its own thread. It never touches the live model: the candidate is a new adapter value.
public final class RetrainPipeline: @unchecked Sendable {
    public let model: Qwen2Model
    public let tokenizer: Tokenizer
    public let prompt: ScoringPrompt
    public let active: LoRAAdapter?
    public let config: RetrainConfig
    public let hooks: RetrainHooks

    public init(model: Qwen2Model, tokenizer: Tokenizer, prompt: ScoringPrompt, active: LoRAAdapter?, config: RetrainConfig,
                hooks: RetrainHooks = RetrainHooks()) {
        self.model = model; self.tokenizer = tokenizer; self.prompt = prompt; self.active = active; self.config = config; self.hooks = hooks
    }

    public func run(_ given: RetrainInputs, candidateID: String) throws -> RetrainOutcome {
        let data = try Self.prepare(given, config: config, contextLength: model.contextLength, tokenizer: tokenizer, prompt: prompt)
        let inputs = data.inputs
        var summary = RetrainSummary()
        summary.tooLongForTraining = data.tooLongForTraining
        summary.corrections = inputs.corrections.count
        summary.replay = inputs.replay.count
        summary.anchor = inputs.anchor.count
        summary.heldOut = inputs.heldOut.count
        let similarity = CharNGramTFIDF(corpus: data.similarityCorpus)
        let reward = ScoringReward(tokenizer: tokenizer, config: config.reward, similarity: similarity)
        let grammar = try AnswerGrammar(tokenBytes: tokenizer.allTokenBytes, eosTokenIDs: tokenizer.eosTokenIDs,
                                        specialTokenIDs: tokenizer.specialTokenIDs)
        guard let end = tokenizer.tokenID(SFTData.endToken) else {
            throw SFTRunError.missingEndToken(token: SFTData.endToken, tokenizer: "the served model's tokenizer")
        }
        let corrections = data.corrections

        // 1. Rejection sampling with the active policy on the newest corrections.
        var t0 = Monotonic.seconds()
        let sampled = Array(corrections.suffix(config.rejectionPrompts))
        var rs = config.rejection
        rs.seed = config.seed
        let sampler = RejectionSampler(model: model, tokenizer: tokenizer, prompt: prompt, reward: reward, config: rs, grammar: grammar)
        let chunk = 8
        let chunks = (sampled.count + chunk - 1) / chunk
        hooks.phase("rejection_sampling", chunks)
        var items: [RejectionItem] = []
        for (k, start) in stride(from: 0, to: sampled.count, by: chunk).enumerated() {
            try checkpoint("rejection_sampling")
            let part = sampler.candidates(for: Array(sampled[start..<min(start + chunk, sampled.count)]), adapter: active, batch: chunk)
            items += part
            let best = part.compactMap { $0.candidates.map(\.reward).max() }
            hooks.point(RetrainPoint(phase: "rejection_sampling", step: k + 1, total: chunks, loss: nil,
                                     reward: best.isEmpty ? nil : best.reduce(0, +) / Double(best.count), data: ["prompts": Double(items.count)]))
        }
        // The reviewers' own answers for the corrections not sampled, then the selection (human reference + kept samples).
        let unsampled = corrections.dropLast(sampled.count).map { RejectionItem(text: $0.text, reference: $0.reference, candidates: []) }
        let selection = RejectionSampling.select(unsampled + items, config: rs)
        summary.rejection = selection.report
        summary.seconds["rejection_sampling"] = Monotonic.seconds() - t0

        // The anchor texts' targets: the active model's own greedy answers (where they parse), or their labels.
        t0 = Monotonic.seconds()
        var anchored: [ScoringExample] = []
        if !inputs.anchor.isEmpty {
            switch config.anchorTargets {
            case .label:
                anchored = inputs.anchor
            case .model:
                hooks.phase("anchor", 1)
                try checkpoint("anchor")
                let answers = try evaluate(inputs.anchor, adapter: active)
                for (e, a) in zip(inputs.anchor, answers) {
                    guard a.prediction.formatOK, let scores = a.prediction.scores else { continue }
                    anchored.append(ScoringExample(text: e.text, reference: ScoringReference(scores: scores, reasoning: a.reasoning)))
                }
                summary.anchorFromModel = anchored.count
                hooks.point(RetrainPoint(phase: "anchor", step: 1, total: 1, loss: nil, reward: nil,
                                         data: ["texts": Double(inputs.anchor.count), "kept": Double(anchored.count)]))
            }
        }
        summary.seconds["anchor"] = Monotonic.seconds() - t0

        // 2. SFT (LoRA) on the selection plus the replay sample and the anchors, continuing the active adapter.
        t0 = Monotonic.seconds()
        let adapter = active ?? LoRAAdapter.fresh(
            id: candidateID, model: model,
            config: LoRAConfig(r: config.rank, alpha: config.alpha, targets: Projection.allCases, baseModel: nil), seed: config.seed)
        let trainable = TrainableQwen2(base: model, adapter: adapter)
        let replay = (inputs.replay + anchored).map(Self.withReasoning).enumerated().map { i, e in
            SFTExample(item: -1 - i, text: e.text, completion: e.reference.completion, source: .human, reward: nil)
        }
        let samples = (selection.examples + replay).map {
            $0.sftSample(prompt: prompt, tokenizer: tokenizer, endToken: end, scoreWeight: config.sftScoreWeight)
        }
        summary.sftSamples = samples.count
        if config.sftEpochs > 0 {
            var sft = SFTConfig()
            sft.batchSize = config.sftBatchSize
            sft.epochs = config.sftEpochs
            sft.maxSteps = config.sftMaxSteps
            sft.optimizer = AdamWConfig(learningRate: config.sftLearningRate, weightDecay: 0)
            sft.warmupSteps = 2
            sft.maxLength = config.sftMaxLength
            sft.seed = config.seed
            let trainer = SFTTrainer(model: trainable, train: samples, config: sft)
            hooks.phase("sft", trainer.totalSteps)
            while !trainer.isFinished {
                try checkpoint("sft")
                let r = trainer.step()
                guard r.loss.isFinite, r.gradNorm.isFinite else { throw RetrainError.nonFiniteLoss(phase: "sft", step: r.step, value: Double(r.loss)) }
                summary.sftSteps = r.step
                if summary.sftFirstLoss == nil { summary.sftFirstLoss = Double(r.loss) }
                summary.sftLastLoss = Double(r.loss)
                hooks.point(RetrainPoint(phase: "sft", step: r.step, total: r.totalSteps, loss: Double(r.loss), reward: nil,
                                         data: ["learning_rate": Double(r.learningRate), "grad_norm": Double(r.gradNorm),
                                                "tokens_per_second": r.tokensPerSecond]))
            }
        }
        summary.seconds["sft"] = Monotonic.seconds() - t0
        // What SFT learned, kept as a gate candidate of its own when GRPO runs after it.
        let afterSFT = config.grpoSteps > 0 && config.candidateStages.contains(.sft) ? trainable.exportAdapter(id: candidateID) : nil

        // 3. GRPO on the corrected prompts (reference policy = adapter off when β > 0).
        t0 = Monotonic.seconds()
        if config.grpoSteps > 0 {
            var g = config.grpo
            g.seed = config.seed
            let trainer = try GRPOTrainer(model: trainable, optimizer: AdamW(config: AdamWConfig(learningRate: config.grpoLearningRate, weightDecay: 0)),
                                          maxGradNorm: 1, config: g, stopTokens: tokenizer.eosTokenIDs,
                                          constraint: ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve),
                                          reward: { reward($0, $1) })
            let prompts = corrections.map { $0.grpoPrompt(prompt: prompt, tokenizer: tokenizer) }
            // Texts the corrections do not cover (the replay and the anchors, on the targets SFT used) share each batch
            // at `grpo_replay_share`: a reward on corrected prompts alone pays for flagging, never for leaving alone.
            // Only the texts a step picks are tokenized.
            let others = config.grpoReplayShare > 0 ? inputs.replay + anchored : []
            let plan = Self.grpoBatches(corrections: prompts.count, others: others.count, steps: config.grpoSteps,
                                        perStep: config.grpoPromptsPerStep, othersShare: config.grpoReplayShare, seed: config.seed)
            hooks.phase("grpo", config.grpoSteps)
            for (step, picks) in zip(1..., plan) {
                try checkpoint("grpo")
                let batch = picks.map {
                    $0.other ? Self.withReasoning(others[$0.index]).grpoPrompt(prompt: prompt, tokenizer: tokenizer) : prompts[$0.index]
                }
                let s = trainer.step(batch)
                guard s.loss.isFinite else { throw RetrainError.nonFiniteLoss(phase: "grpo", step: step, value: s.loss) }
                summary.grpoSteps = step
                if summary.grpoFirstReward == nil { summary.grpoFirstReward = s.meanReward }
                summary.grpoLastReward = s.meanReward
                hooks.point(RetrainPoint(phase: "grpo", step: step, total: config.grpoSteps, loss: s.loss, reward: s.meanReward,
                                         data: ["format": s.meanFormat, "keys": s.meanKeys, "scores": s.meanScores, "reasoning": s.meanReasoning,
                                                "kl": s.meanKL, "clip_fraction": s.clipFraction, "skipped_groups": Double(s.skippedGroups)]))
            }
        }
        summary.seconds["grpo"] = Monotonic.seconds() - t0
        let trained = trainable.exportAdapter(id: candidateID)

        // 4. The candidate and the active adapter on the same held-out set (and on the control set), then the gate; the
        //    candidates are the trained adapter (and, with GRPO, the one after SFT) and fractions of the way to each in
        //    weight change from where the run started, tried in the configured order until one passes.
        t0 = Monotonic.seconds()
        let stages: [(CandidateStage, LoRAAdapter)] = config.candidateStages.compactMap { stage in
            switch stage {
            case .trained: (stage, trained)
            case .sft: afterSFT.map { (stage, $0) } ?? (config.candidateStages.contains(.trained) ? nil : (stage, trained))
            }
        }
        let candidates: [GateCandidate] = stages.flatMap { stage, end in
            config.candidateFractions.compactMap { f -> GateCandidate? in
                if f == 1 { return GateCandidate(end, fraction: 1, stage: stage) }
                // Continuing an active adapter, a fraction below 1 is an adapter of both ranks together; past four times
                // the configured rank that candidate is not tried (nightly runs must not grow the adapter without bound).
                guard adapter.isIdentity || end.config.r + adapter.config.r <= 4 * config.rank else { return nil }
                return LoRAAdapter.blended(end, from: adapter, fraction: Float(f), id: candidateID).map { GateCandidate($0, fraction: f, stage: stage) }
            }
        }
        let judgement = try judge(candidates, heldOut: inputs.heldOut, control: inputs.control)
        summary.evaluated = judgement.evaluated
        summary.controlEvaluated = judgement.controlEvaluated
        summary.candidateDistinct1 = judgement.candidateDistinct1
        summary.candidateDistinct2 = judgement.candidateDistinct2
        summary.gateTrials = judgement.trials
        summary.candidateFraction = judgement.fraction
        summary.candidateStage = judgement.stage
        summary.seconds["eval"] = Monotonic.seconds() - t0
        return RetrainOutcome(candidate: judgement.candidate, candidateReport: judgement.candidateReport, activeReport: judgement.activeReport,
                              control: judgement.control, decision: judgement.decision, summary: summary)
    }

    /// What a run trains on before anything is sampled, as `run` and `safety-server export trl` both see it. Limits
    /// come from the loaded model: a sampled or trained sequence must fit its context. A text longer than that (a long
    /// document a reviewer corrected as a whole; serving scored it in windows) cannot be a training prompt: it is left
    /// out of this run's training data and counted, never allowed to reach the engine.
    public static func prepare(_ given: RetrainInputs, config: RetrainConfig, contextLength: Int, tokenizer: Tokenizer,
                               prompt: ScoringPrompt) throws -> RetrainTrainingData {
        try config.validate()
        let reserve = max(config.rejection.maxCompletionLength, config.grpo.maxCompletionLength, 512)
        let room = contextLength - reserve
        guard room > 16 else {
            throw RetrainError.badConfiguration("max_completion_length \(reserve) leaves no room for a prompt in the model's context of \(contextLength) tokens")
        }
        guard config.sftMaxLength <= contextLength else {
            throw RetrainError.badConfiguration("sft_max_length \(config.sftMaxLength) exceeds the model's context of \(contextLength) tokens")
        }
        func fits(_ e: ScoringExample) -> Bool {
            ScoringExample.promptTokens(text: e.text, prompt: prompt, tokenizer: tokenizer).count <= room
        }
        var inputs = given
        inputs.corrections = given.corrections.filter(fits)
        inputs.replay = given.replay.filter(fits)
        inputs.anchor = given.anchor.filter(fits)
        guard !inputs.corrections.isEmpty else { throw RetrainError.noTrainingData }
        let tooLong = (given.corrections.count - inputs.corrections.count) + (given.replay.count - inputs.replay.count)
            + (given.anchor.count - inputs.anchor.count)
        return RetrainTrainingData(
            inputs: inputs, corrections: inputs.corrections.map(Self.withReasoning),
            similarityCorpus: (inputs.corrections + inputs.replay).map(\.reference.reasoning).filter { !$0.isEmpty },
            tooLongForTraining: tooLong)
    }

    /// The gate of DESIGN.md §4 for any candidate adapter — one this pipeline trained, or one trained elsewhere and
    /// imported: the candidate and the active adapter (or the base model) answer the same held-out set (its newest
    /// `eval_max_items`) and control set (its first `control_max_items`) through the serving path, and `EvalGate`
    /// decides; fewer than `min_held_out` held-out items is a refusal.
    public func judge(_ candidate: LoRAAdapter, heldOut allHeldOut: [ScoringExample], control allControl: [ScoringExample]) throws -> CandidateJudgement {
        try judge([GateCandidate(candidate)], heldOut: allHeldOut, control: allControl)
    }

    /// The gate over several candidates, tried in order until one passes: the active adapter is evaluated once, each
    /// candidate on the same sets. The judgement is the first that passed, else the last tried.
    public func judge(_ candidates: [GateCandidate], heldOut allHeldOut: [ScoringExample],
                      control allControl: [ScoringExample]) throws -> CandidateJudgement {
        try config.validate()
        guard !candidates.isEmpty else { throw RetrainError.badConfiguration("the gate was given no candidate to judge") }
        let heldOut = Array(allHeldOut.suffix(config.evalMaxItems))
        let controlSet = Array(allControl.prefix(config.controlMaxItems))
        let evalSteps = (controlSet.isEmpty ? 1 : 2) * (1 + candidates.count)
        hooks.phase("eval", evalSteps)
        var evalStep = 0
        func evaluated(_ set: [ScoringExample], _ adapter: LoRAAdapter?) throws -> [EvaluatedItem] {
            try checkpoint("eval")
            let items = try evaluate(set, adapter: adapter)
            evalStep += 1
            hooks.point(RetrainPoint(phase: "eval", step: evalStep, total: evalSteps, loss: nil, reward: nil, data: [:]))
            return items
        }
        let activeItems = try evaluated(heldOut, active)
        let activeControlItems = controlSet.isEmpty ? nil : try evaluated(controlSet, active)
        let activeReport = heldOut.isEmpty ? Self.emptyReport(config.eval) : try ScorerEvaluation.report(activeItems, config: config.eval)
        let activeControl = try activeControlItems.map { try ScorerEvaluation.report($0, config: config.eval) }
        var trials: [GateTrial] = []
        var judgement: CandidateJudgement?
        for c in candidates {
            let (candidate, fraction, stage) = (c.adapter, c.fraction, c.stage)
            let candidateItems = try evaluated(heldOut, candidate)
            let control = try activeControl.map {
                (candidate: try ScorerEvaluation.report(try evaluated(controlSet, candidate), config: config.eval), active: $0)
            }
            let reasonings = candidateItems.map(\.reasoning)
            let candidateReport: EvalReport
            var decision: EvalGateDecision
            if heldOut.isEmpty {
                candidateReport = Self.emptyReport(config.eval)
                decision = EvalGateDecision(accepted: false, checks: [])
            } else {
                candidateReport = try ScorerEvaluation.report(candidateItems, config: config.eval)
                decision = EvalGate.decide(candidate: candidateReport, active: activeReport, config: config.gate, control: control)
            }
            if heldOut.count < config.minHeldOut {
                decision.accepted = false
                decision.checks.append(EvalGateCheck(name: "held_out_size", passed: false,
                                                     detail: "\(heldOut.count) held-out labels; at least \(config.minHeldOut) are needed to judge a candidate"))
            }
            if candidates.count > 1 {
                let end = stage == .sft ? "the adapter after SFT (before GRPO)" : "the trained one"
                decision.checks.insert(EvalGateCheck(name: "candidate_fraction", passed: true,
                                                     detail: String(format: "candidate %d of %d: %.2f of the way from the starting adapter to %@",
                                                                    trials.count + 1, candidates.count, fraction, end)), at: 0)
            }
            trials.append(GateTrial(stage: stage, fraction: fraction, heldOutMAE: candidateReport.mae, controlMAE: control?.candidate.mae,
                                    accepted: decision.accepted, reasons: decision.reasons))
            judgement = CandidateJudgement(candidateReport: candidateReport, activeReport: activeReport, control: control, decision: decision,
                                           evaluated: heldOut.count, controlEvaluated: controlSet.count,
                                           candidateDistinct1: RejectionSampling.distinctN(reasonings, n: 1),
                                           candidateDistinct2: RejectionSampling.distinctN(reasonings, n: 2),
                                           candidate: candidate, fraction: fraction, stage: stage, trials: [])
            // No candidate can pass on too few held-out labels: one refusal says so.
            if decision.accepted || heldOut.count < config.minHeldOut { break }
        }
        guard var chosen = judgement else { throw RetrainError.badConfiguration("the gate was given no candidate to judge") }
        chosen.trials = trials
        return chosen
    }

    private func checkpoint(_ phase: String) throws {
        if hooks.shouldStop() { throw RetrainError.cancelled(phase: phase) }
        hooks.yield()
        if hooks.shouldStop() { throw RetrainError.cancelled(phase: phase) }
    }

    /// Greedy answers through a `Scorer` of its own over the same weights (the serving path, so the figures are the
    /// service's), from this thread.
    private func evaluate(_ examples: [ScoringExample], adapter: LoRAAdapter?) throws -> [EvaluatedItem] {
        guard !examples.isEmpty else { return [] }
        var options = ScorerOptions()
        options.maxBatch = 8
        options.maxNewTokens = 512
        let scorer = try Scorer(model: model, tokenizer: tokenizer, prompt: prompt, baseModelID: "eval", options: options, adapter: adapter)
        defer { scorer.shutdown() }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            box.items = await ScorerEvaluation.run(scorer: scorer, examples: examples, concurrency: 8)
            done.signal()
        }
        done.wait()
        return box.items
    }

    private final class ResultBox: @unchecked Sendable { var items: [EvaluatedItem] = [] }

    /// The prompts of each GRPO step: `perStep` of them (fewer when there are fewer in all), `othersShare` of each batch
    /// (rounded, at least one when the share is positive and there are others, never the whole batch) from the
    /// `others` pool, the rest from the corrections; each pool is walked in a fresh shuffled order, so every prompt comes
    /// up once before any comes up again.
    public static func grpoBatches(corrections: Int, others: Int, steps: Int, perStep: Int, othersShare: Double,
                                   seed: UInt64) -> [[(other: Bool, index: Int)]] {
        guard corrections > 0, steps > 0, perStep > 0 else { return [] }
        var fromOthers = 0
        if others > 0, othersShare > 0, perStep > 1 {
            fromOthers = min(others, min(perStep - 1, max(1, Int((Double(perStep) * othersShare).rounded()))))
        }
        let fromCorrections = min(corrections, perStep - fromOthers)
        var rng = SplitMix64(seed: seed ^ 0x4752_504F)
        var orderC: [Int] = [], orderO: [Int] = []
        var plan: [[(other: Bool, index: Int)]] = []
        for _ in 0..<steps {
            var batch: [(other: Bool, index: Int)] = []
            for _ in 0..<fromCorrections {
                if orderC.isEmpty { orderC = Array(0..<corrections).shuffled(using: &rng) }
                batch.append((false, orderC.removeLast()))
            }
            for _ in 0..<fromOthers {
                if orderO.isEmpty { orderO = Array(0..<others).shuffled(using: &rng) }
                batch.append((true, orderO.removeLast()))
            }
            plan.append(batch)
        }
        return plan
    }

    /// A reviewer may correct the scores without writing a reasoning; the SFT target then states the correction's
    /// findings in words, so the model is never taught an empty or contradicting reasoning.
    public static func withReasoning(_ e: ScoringExample) -> ScoringExample {
        guard e.reference.reasoning.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return e }
        var out = e
        out.reference.reasoning = ReferenceReasoning.describe(e.reference.scores)
        return out
    }

    static func emptyReport(_ config: EvalConfig) -> EvalReport {
        EvalReport(items: 0, missingScores: 0, formatValidity: 0, mae: 0, withinShare: 0, dimensions: [], config: config)
    }
}

/// A reasoning stated from scores alone (for labels that carry none).
public enum ReferenceReasoning {
    public static func describe(_ scores: DimensionScores) -> String {
        let flagged = Dimension.allCases.filter { scores[$0] < 100 }.sorted { scores[$0] < scores[$1] }
        guard !flagged.isEmpty else { return "经人工复核，文本在九个维度上均未发现问题。" }
        let parts = flagged.map { d -> String in
            let s = scores[d]
            let level = s < 20 ? "严重" : s < 50 ? "明显" : s < 80 ? "轻微" : "个别"
            return "「\(d.key)」存在\(level)问题（\(s) 分）"
        }
        return "经人工复核，" + parts.joined(separator: "，") + "；其余维度未见问题。"
    }
}
