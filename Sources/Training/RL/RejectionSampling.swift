import Foundation
import Scoring

/// Rejection sampling's settings (DESIGN.md §4 and its guards against model collapse, Shumailov et al. 2024).
public struct RejectionSamplingConfig: Codable, Sendable, Equatable {
    /// N samples per prompt from the current policy.
    public var samplesPerPrompt: Int
    /// A sample is kept only when its reward is strictly above this. Under the default reward weights a perfect answer
    /// scores 100 plus the reasoning term, and each exact score is worth 10, so 60 asks for about six exact scores.
    public var threshold: Double
    /// The best samples kept per prompt (above the threshold).
    public var keepPerPrompt: Int
    /// Most share of self-generated examples in the resulting SFT set; the lowest-reward ones are dropped first.
    public var maxSelfGeneratedShare: Double
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    public var maxCompletionLength: Int
    public var seed: UInt64
    /// When set, a sample is kept only when every one of its nine scores is within this many points of the reference:
    /// the total reward alone can rate an answer that misses the one violated dimension entirely above the threshold
    /// (eight exact scores outweigh one 65-point miss), and keeping it would teach the very mistake being corrected.
    public var maxScoreError: Int?
    /// A prompt on which the policy never produced an acceptable answer (none of its samples kept) is one the model
    /// gets wrong: its reference is trained on this many times (1: once, like the others). The signal rejection
    /// sampling still gives when the policy never produces the reference.
    public var missedReferenceRepeat: Int
    /// Which corrections may contribute self-generated samples: all of them, or only those whose reference flags no
    /// dimension ("clean": every score at or above `RejectionSampling.violationThreshold`). On a violation the
    /// policy's own reasoning is its way of flagging, and a second copy of it next to the reviewer's teaches flagging
    /// more broadly than the reviewer did; on a clean text it is one more example of leaving a text alone.
    public var selfGeneratedOn: SelfGeneratedTexts

    public init(samplesPerPrompt: Int = 8, threshold: Double = 60, keepPerPrompt: Int = 1, maxSelfGeneratedShare: Double = 0.5,
                temperature: Float = 1, topK: Int = 0, topP: Float = 1, maxCompletionLength: Int = 512, seed: UInt64 = 0,
                maxScoreError: Int? = nil, missedReferenceRepeat: Int = 1, selfGeneratedOn: SelfGeneratedTexts = .all) {
        self.samplesPerPrompt = samplesPerPrompt; self.threshold = threshold; self.keepPerPrompt = keepPerPrompt
        self.maxSelfGeneratedShare = maxSelfGeneratedShare; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.maxCompletionLength = maxCompletionLength; self.seed = seed; self.maxScoreError = maxScoreError
        self.missedReferenceRepeat = missedReferenceRepeat
        self.selfGeneratedOn = selfGeneratedOn
    }

    private enum CodingKeys: String, CodingKey {
        case samplesPerPrompt = "samples_per_prompt", threshold, keepPerPrompt = "keep_per_prompt"
        case maxSelfGeneratedShare = "max_self_generated_share", temperature, topK = "top_k", topP = "top_p"
        case maxCompletionLength = "max_completion_length", seed, maxScoreError = "max_score_error"
        case missedReferenceRepeat = "missed_reference_repeat", selfGeneratedOn = "self_generated_on"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RejectionSamplingConfig()
        samplesPerPrompt = try c.decodeIfPresent(Int.self, forKey: .samplesPerPrompt) ?? d.samplesPerPrompt
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? d.threshold
        keepPerPrompt = try c.decodeIfPresent(Int.self, forKey: .keepPerPrompt) ?? d.keepPerPrompt
        maxSelfGeneratedShare = try c.decodeIfPresent(Double.self, forKey: .maxSelfGeneratedShare) ?? d.maxSelfGeneratedShare
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        maxCompletionLength = try c.decodeIfPresent(Int.self, forKey: .maxCompletionLength) ?? d.maxCompletionLength
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        maxScoreError = try c.decodeIfPresent(Int.self, forKey: .maxScoreError) ?? d.maxScoreError
        missedReferenceRepeat = try c.decodeIfPresent(Int.self, forKey: .missedReferenceRepeat) ?? d.missedReferenceRepeat
        selfGeneratedOn = try c.decodeIfPresent(SelfGeneratedTexts.self, forKey: .selfGeneratedOn) ?? d.selfGeneratedOn
    }
}

/// The corrections whose texts may give self-generated SFT samples (`RejectionSamplingConfig.selfGeneratedOn`).
public enum SelfGeneratedTexts: String, Codable, Sendable, Equatable {
    case all, clean
}

/// Where an SFT example's completion came from.
public enum SFTSource: String, Codable, Sendable {
    /// The human (or seed corpus) reference, rendered canonically.
    case human
    /// Sampled from the policy and kept by rejection sampling.
    case policy
}

/// One supervised example: the request text and the completion to learn.
public struct SFTExample: Codable, Sendable, Equatable {
    /// Index of the item (prompt) it belongs to in the input.
    public var item: Int
    public var text: String
    public var completion: String
    public var source: SFTSource
    /// The reward against the reference (nil for the reference itself).
    public var reward: Double?

    public init(item: Int, text: String, completion: String, source: SFTSource, reward: Double?) {
        self.item = item; self.text = text; self.completion = completion; self.source = source; self.reward = reward
    }

    /// The `SFTTrainer` input: prompt prefix + suffix (tokenised separately, as the scorer does), then the completion
    /// and `endToken` (the chat template's `<|im_end|>`), which the loss covers.
    /// `scoreWeight` is the loss weight of the answer's score tokens (those after `<answer>` that carry digits):
    /// about 18 of ~90 completion tokens, they decide the dimension and the severity, and at weight 1 the reasoning's
    /// tokens dominate the gradient.
    public func sftSample(prompt: ScoringPrompt, tokenizer: Tokenizer, endToken: Int?, scoreWeight: Float = 1) -> SFTSample {
        let ids = tokenizer.encode(completion, parseSpecialTokens: false)
        var sample = SFTSample(prompt: ScoringExample.promptTokens(text: text, prompt: prompt, tokenizer: tokenizer),
                               completion: ids + (endToken.map { [$0] } ?? []))
        if scoreWeight != 1 {
            sample.weights = Self.scoreTokenWeights(ids, completion: completion, tokenizer: tokenizer, weight: scoreWeight)
                + (endToken == nil ? [] : [1])
        }
        return sample
    }

    /// Weight `weight` for the tokens of `ids` that start at or after the completion's last `<answer>` and contain an
    /// ASCII digit, 1 for the others.
    static func scoreTokenWeights(_ ids: [Int], completion: String, tokenizer: Tokenizer, weight: Float) -> [Float] {
        guard let open = completion.range(of: AnswerFormat.answerOpen, options: .backwards) else {
            return Array(repeating: 1, count: ids.count)
        }
        let answerStart = completion.utf8.distance(from: completion.startIndex, to: open.lowerBound)
        let table = tokenizer.allTokenBytes
        var offset = 0
        return ids.map { id in
            let bytes = id >= 0 && id < table.count ? table[id] : []
            defer { offset += bytes.count }
            return offset >= answerStart && bytes.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) ? weight : 1
        }
    }
}

/// One prompt's candidates: sampled completions with their rewards.
public struct RejectionCandidate: Sendable, Equatable {
    public var completion: String
    public var reward: Double

    public init(completion: String, reward: Double) {
        self.completion = completion
        self.reward = reward
    }
}

public struct RejectionItem: Sendable {
    public var text: String
    public var reference: ScoringReference
    public var candidates: [RejectionCandidate]

    public init(text: String, reference: ScoringReference, candidates: [RejectionCandidate]) {
        self.text = text
        self.reference = reference
        self.candidates = candidates
    }
}

/// What a rejection-sampling round produced and threw away.
public struct RejectionSamplingReport: Codable, Sendable, Equatable {
    public var prompts = 0
    public var sampled = 0
    /// Samples strictly above the threshold.
    public var aboveThreshold = 0
    /// Samples dropped as identical to a completion already kept for the same prompt (the reference included).
    public var duplicates = 0
    /// Samples above the threshold dropped because a score missed the reference by more than `maxScoreError`.
    public var offScore = 0
    /// Sampled prompts with no sample kept: the policy never answered them acceptably.
    public var missedPrompts = 0
    /// Acceptable samples on corrections that flag a dimension, not trained on (`self_generated_on` "clean").
    public var onViolations = 0
    /// Self-generated samples dropped to respect `maxSelfGeneratedShare`.
    public var droppedByCap = 0
    public var humanExamples = 0
    public var selfGeneratedExamples = 0
    public var selfGeneratedShare = 0.0
    /// Mean of each prompt's best reward (all prompts, kept or not).
    public var meanBestReward = 0.0
    /// distinct-1, -2, -3 (Li et al. 2016) over the characters of the kept completions: distinct n-grams / all
    /// n-grams. Tracked across rounds: a falling value is the first sign of collapse.
    public var distinct1 = 0.0
    public var distinct2 = 0.0
    public var distinct3 = 0.0

    public init() {}
}

/// Rejection sampling (DESIGN.md §4): keep each prompt's best samples above a threshold, always keep the human
/// reference, drop duplicates, cap the self-generated share, report diversity.
public enum RejectionSampling {
    /// distinct-n over `texts`: the number of distinct character n-grams divided by the number of n-grams, pooled over
    /// all texts (n-grams do not cross text boundaries); 0 when no text is n characters long.
    public static func distinctN(_ texts: [String], n: Int) -> Double {
        precondition(n >= 1)
        var seen = Set<[Unicode.Scalar]>()
        var total = 0
        for t in texts {
            let s = Array(t.unicodeScalars)
            guard s.count >= n else { continue }
            for i in 0...(s.count - n) { seen.insert(Array(s[i..<(i + n)])) }
            total += s.count - n + 1
        }
        return total > 0 ? Double(seen.count) / Double(total) : 0
    }

    /// The selection, a pure function of the scored candidates. Output order: per item, the reference then its kept
    /// samples (best first).
    /// Every one of the nine scores parsed from `completion` is within `limit` points of the reference.
    static func agrees(_ completion: String, with reference: DimensionScores, within limit: Int) -> Bool {
        let parsed = AnswerParser.parse(completion).recoveredScores
        return Dimension.allCases.allSatisfy { d in parsed[d].map { abs($0 - reference[d]) <= limit } ?? false }
    }

    /// A score below this flags its dimension (the evaluation's default `violation_threshold`).
    public static let violationThreshold = 60

    public static func select(_ items: [RejectionItem], config: RejectionSamplingConfig) -> (examples: [SFTExample], report: RejectionSamplingReport) {
        var report = RejectionSamplingReport()
        report.prompts = items.count
        var perItem: [[SFTExample]] = []
        var bestSum = 0.0
        for (i, item) in items.enumerated() {
            let reference = item.reference.completion
            var kept = [SFTExample(item: i, text: item.text, completion: reference, source: .human, reward: nil)]
            var seen: Set<String> = [reference]
            report.sampled += item.candidates.count
            if let best = item.candidates.map(\.reward).max() { bestSum += best }
            // Best first; among equal rewards the earlier sample (stable sort).
            let ranked = item.candidates.enumerated().sorted { a, b in
                a.element.reward != b.element.reward ? a.element.reward > b.element.reward : a.offset < b.offset
            }.map(\.element)
            var taken = 0
            let allowed = config.selfGeneratedOn == .all
                || Dimension.allCases.allSatisfy { item.reference.scores[$0] >= Self.violationThreshold }
            for c in ranked where c.reward > config.threshold {
                report.aboveThreshold += 1
                if let limit = config.maxScoreError, !Self.agrees(c.completion, with: item.reference.scores, within: limit) {
                    report.offScore += 1
                    continue
                }
                guard taken < config.keepPerPrompt else { continue }
                guard seen.insert(c.completion).inserted else { report.duplicates += 1; continue }
                // An acceptable sample on a violation (so not a missed prompt), not trained on under `clean`.
                guard allowed else { report.onViolations += 1; taken += 1; continue }
                kept.append(SFTExample(item: i, text: item.text, completion: c.completion, source: .policy, reward: c.reward))
                taken += 1
            }
            if taken == 0 && !item.candidates.isEmpty {
                report.missedPrompts += 1
                for _ in 1..<max(config.missedReferenceRepeat, 1) {
                    kept.append(SFTExample(item: i, text: item.text, completion: reference, source: .human, reward: nil))
                }
            }
            perItem.append(kept)
        }
        report.meanBestReward = items.isEmpty ? 0 : bestSum / Double(items.count)

        // Cap: self ≤ share · (human + self)  ⇔  self ≤ share / (1 − share) · human.
        let human = items.count
        let policy = perItem.flatMap { $0.filter { $0.source == .policy } }
        let share = min(max(config.maxSelfGeneratedShare, 0), 1)
        let cap = share >= 1 ? policy.count : Int((share / (1 - share) * Double(human) + 1e-9).rounded(.down))
        var keep = Set(policy.indices)
        if policy.count > cap {
            // Drop the lowest rewards first; among ties the later item.
            let order = policy.indices.sorted { a, b in
                policy[a].reward! != policy[b].reward! ? policy[a].reward! < policy[b].reward! : policy[a].item > policy[b].item
            }
            for j in order.prefix(policy.count - cap) { keep.remove(j) }
            report.droppedByCap = policy.count - cap
        }
        var examples: [SFTExample] = []
        var policyIndex = 0
        for group in perItem {
            for e in group {
                if e.source == .policy {
                    defer { policyIndex += 1 }
                    guard keep.contains(policyIndex) else { continue }
                }
                examples.append(e)
            }
        }
        report.humanExamples = examples.filter { $0.source == .human }.count
        report.selfGeneratedExamples = examples.count - report.humanExamples
        report.selfGeneratedShare = examples.isEmpty ? 0 : Double(report.selfGeneratedExamples) / Double(examples.count)
        let completions = examples.map(\.completion)
        report.distinct1 = distinctN(completions, n: 1)
        report.distinct2 = distinctN(completions, n: 2)
        report.distinct3 = distinctN(completions, n: 3)
        return (examples, report)
    }
}

/// Runs rejection sampling with the engine: N samples per text from the model (+ adapter), optionally under the
/// answer grammar, scored by the reward against the human reference, then `RejectionSampling.select`.
public struct RejectionSampler: Sendable {
    public let sampler: SharedPrefixSampler
    public let tokenizer: Tokenizer
    public let prompt: ScoringPrompt
    public let reward: ScoringReward
    public let config: RejectionSamplingConfig
    /// The grammar that makes every sample well formed; nil = free sampling.
    public let grammar: AnswerGrammar?

    public init(model: Qwen2Model, tokenizer: Tokenizer, prompt: ScoringPrompt, reward: ScoringReward,
                config: RejectionSamplingConfig, grammar: AnswerGrammar? = nil) {
        sampler = SharedPrefixSampler(model: model)
        self.tokenizer = tokenizer; self.prompt = prompt; self.reward = reward; self.config = config; self.grammar = grammar
    }

    /// Samples and scores every example, `batch` texts at a time (their shared prefix is prefilled once per batch).
    public func candidates(for examples: [ScoringExample], adapter: LoRAAdapter?, batch: Int = 8) -> [RejectionItem] {
        let constraint = grammar.map {
            BudgetedConstraint(ScoreConstraint(grammar: $0, answerReserve: ScoreConstraint.guaranteedAnswerReserve),
                               maxTokens: config.maxCompletionLength)
        }
        var items: [RejectionItem] = []
        for start in stride(from: 0, to: examples.count, by: max(1, batch)) {
            let chunk = Array(examples[start..<min(start + max(1, batch), examples.count)])
            let prompts = chunk.map { ScoringExample.promptTokens(text: $0.text, prompt: prompt, tokenizer: tokenizer) }
            let params = chunk.indices.map { k in
                SamplingParameters(temperature: config.temperature, topK: config.topK, topP: config.topP,
                                   seed: config.seed &+ UInt64(start + k) &* UInt64(config.samplesPerPrompt),
                                   maxTokens: config.maxCompletionLength, stopTokens: tokenizer.eosTokenIDs)
            }
            let outs = sampler.sample(prompts: prompts, count: config.samplesPerPrompt, parameters: params, adapter: adapter,
                                      constraint: constraint)
            for (ex, gens) in zip(chunk, outs) {
                let cands = gens.map { g in
                    let text = reward.text(of: g)
                    return RejectionCandidate(completion: text, reward: reward.reward(text: text, reference: ex.reference).total)
                }
                items.append(RejectionItem(text: ex.text, reference: ex.reference, candidates: cands))
            }
        }
        return items
    }

    public func run(_ examples: [ScoringExample], adapter: LoRAAdapter?) -> (examples: [SFTExample], report: RejectionSamplingReport) {
        RejectionSampling.select(candidates(for: examples, adapter: adapter), config: config)
    }
}
