import Foundation

/// Tunables of the batching scorer.
public struct ScorerOptions: Sendable {
    /// Most sequences decoded together in one step.
    public var maxBatch = 8
    /// Requests waiting beyond this are refused (`ScorerError.queueFull`) so callers can shed load.
    public var queueCapacity = 64
    /// Most tokens generated per answer (reasoning + answer). The grammar steers to the answer before it runs out.
    public var maxNewTokens = 512
    /// Longest prompt accepted, in tokens (instruction + text).
    public var maxPromptTokens = 4096
    /// Prompt tokens prefilled per step per sequence, so a long newcomer does not stall the others' decoding.
    public var prefillChunk = 256
    /// Greedy by default: the same text gets the same scores.
    public var sampling = SamplingParameters.greedy()
    public init() {}
}

public enum ScorerError: Error, CustomStringConvertible, Equatable {
    case queueFull(capacity: Int)
    case textTooLong(tokens: Int, limit: Int)
    case emptyText
    case shutDown

    public var description: String {
        switch self {
        case let .queueFull(c): "the scoring queue is full (\(c) requests waiting); retry later"
        case let .textTooLong(t, l): "the prompt is \(t) tokens long; the limit is \(l)"
        case .emptyText: "the text is empty"
        case .shutDown: "the scorer is shut down"
        }
    }
}

/// What the model said about one text.
public struct ScoreResult: Sendable, Codable, Equatable {
    public var scores: DimensionScores?
    public var confidence: [String: Float]
    public var reasoning: String
    public var formatOK: Bool
    public var problems: [String]
    public var rawOutput: String
    public var adapterID: String?
    public var promptTokens: Int
    public var completionTokens: Int
    public var finishReason: FinishReason
    public var queueMilliseconds: Double
    public var totalMilliseconds: Double
}

/// Statistics of one engine step, for metrics.
public struct ScorerStep: Sendable {
    public var sequences: Int
    public var newTokens: Int
    public var generatedTokens: Int
    public var seconds: Double
    public var queueDepth: Int
}

/// Scores texts with continuous batching: concurrent requests share decode steps, newcomers join between steps, and
/// every request keeps the adapter that was active when it was admitted (a swap never changes a sequence midway).
public final class Scorer: @unchecked Sendable {
    public let model: Qwen2Model
    public let tokenizer: Tokenizer
    public let prompt: ScoringPrompt
    public let options: ScorerOptions
    public let baseModelID: String
    let grammar: AnswerGrammar
    let answerReserve: Int
    let prefixTokens: [Int]

    private let cond = NSCondition()
    private var pending: [Pending] = []
    private var activeAdapter: LoRAAdapter?
    private var running = true
    private var thread: Thread?
    private var stepObserver: (@Sendable (ScorerStep) -> Void)?
    /// Sequences being decoded, as of the last step (read under `cond`).
    private var decoding = 0

    // Owned by the engine thread only.
    private var sequences: [Sequence] = []
    private var prefixCaches: [(adapter: LoRAAdapter?, cache: KVCache)] = []
    private let workspace = Workspace()

    private struct Pending {
        let ids: [Int]
        let enqueued: Double
        let continuation: CheckedContinuation<ScoreResult, Error>
    }

    private final class Sequence {
        let continuation: CheckedContinuation<ScoreResult, Error>
        let adapter: LoRAAdapter?
        let cache: KVCache
        let enqueued: Double
        let admitted: Double
        let promptTokens: Int
        var remainingPrompt: ArraySlice<Int>
        /// Generated tokens not yet in the KV cache: the last sampled one, then any the grammar forced after it.
        var pendingInput: [Int] = []
        var generated: [Int] = []
        var constraint: ScoreConstraint
        var rng: SplitMix64
        var finish: FinishReason?

        init(continuation: CheckedContinuation<ScoreResult, Error>, adapter: LoRAAdapter?, cache: KVCache, enqueued: Double,
             admitted: Double, promptTokens: Int, remainingPrompt: ArraySlice<Int>, constraint: ScoreConstraint, seed: UInt64) {
            self.continuation = continuation; self.adapter = adapter; self.cache = cache; self.enqueued = enqueued
            self.admitted = admitted; self.promptTokens = promptTokens; self.remainingPrompt = remainingPrompt
            self.constraint = constraint; rng = SplitMix64(seed: seed)
        }
    }

    public init(model: Qwen2Model, tokenizer: Tokenizer, prompt: ScoringPrompt, baseModelID: String, options: ScorerOptions = ScorerOptions(),
                adapter: LoRAAdapter? = nil) throws {
        precondition(options.maxNewTokens > 0 && options.maxBatch > 0)
        self.model = model
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.options = options
        self.baseModelID = baseModelID
        activeAdapter = adapter
        grammar = try AnswerGrammar(tokenBytes: tokenizer.allTokenBytes, eosTokenIDs: tokenizer.eosTokenIDs,
                                    specialTokenIDs: tokenizer.specialTokenIDs)
        answerReserve = ScoreConstraint.guaranteedAnswerReserve
        prefixTokens = tokenizer.encode(prompt.prefix)
        // The engine thread keeps the scorer alive until `shutdown()` lets it finish the sequences in flight and exit.
        let t = Thread { self.engineLoop() }
        t.name = "scorer-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// The token ids the model reads for `text`: the cached instruction prefix, then the text and the prompt's tail.
    public func promptIDs(for text: String) -> [Int] {
        prefixTokens + tokenizer.encode(prompt.suffix(text: text), parseSpecialTokens: false)
    }

    /// Scores one text. Tokenisation runs on the caller's task; the model runs on the engine thread.
    public func score(_ text: String) async throws -> ScoreResult {
        guard !text.isEmpty else { throw ScorerError.emptyText }
        let ids = promptIDs(for: text)
        guard ids.count <= options.maxPromptTokens else { throw ScorerError.textTooLong(tokens: ids.count, limit: options.maxPromptTokens) }
        let enqueued = Monotonic.seconds()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<ScoreResult, Error>) in
            cond.lock()
            defer { cond.unlock() }
            guard running else { c.resume(throwing: ScorerError.shutDown); return }
            guard pending.count < options.queueCapacity else { c.resume(throwing: ScorerError.queueFull(capacity: options.queueCapacity)); return }
            pending.append(Pending(ids: ids, enqueued: enqueued, continuation: c))
            cond.signal()
        }
    }

    /// Makes `adapter` (nil = the base model) active for requests admitted from the next step on.
    public func setAdapter(_ adapter: LoRAAdapter?) {
        cond.lock(); activeAdapter = adapter; cond.unlock()
    }

    public var adapterID: String? { cond.lock(); defer { cond.unlock() }; return activeAdapter?.id }
    public var adapter: LoRAAdapter? { cond.lock(); defer { cond.unlock() }; return activeAdapter }

    /// Requests waiting to be admitted.
    public var queueDepth: Int { cond.lock(); defer { cond.unlock() }; return pending.count }

    /// Requests waiting or being decoded: zero when the scorer is idle (background work yields while it is not).
    public var inFlight: Int { cond.lock(); defer { cond.unlock() }; return pending.count + decoding }

    public func observeSteps(_ observer: @escaping @Sendable (ScorerStep) -> Void) {
        cond.lock(); stepObserver = observer; cond.unlock()
    }

    /// Stops admitting requests and fails the waiting ones; sequences already decoding finish, then the engine thread
    /// exits. Must be called to release the scorer.
    public func shutdown() {
        cond.lock()
        running = false
        let waiting = pending
        pending.removeAll()
        cond.broadcast()
        cond.unlock()
        for p in waiting { p.continuation.resume(throwing: ScorerError.shutDown) }
    }

    // MARK: - Engine thread

    private func engineLoop() {
        while true {
            cond.lock()
            while running && pending.isEmpty && sequences.isEmpty { cond.wait() }
            if !running && sequences.isEmpty { cond.unlock(); return }
            let room = max(0, options.maxBatch - sequences.count)
            let admitted = Array(pending.prefix(room))
            pending.removeFirst(admitted.count)
            let adapter = activeAdapter
            let depth = pending.count
            let observer = stepObserver
            decoding = sequences.count + admitted.count
            cond.unlock()

            let now = Monotonic.seconds()
            for p in admitted { admit(p, adapter: adapter, now: now) }
            step(queueDepth: depth, observer: observer)
        }
    }

    private func prefixCache(for adapter: LoRAAdapter?) -> KVCache {
        if let hit = prefixCaches.first(where: { $0.adapter === adapter }) { return hit.cache }
        let cache = model.makeCache(capacity: prefixTokens.count)
        _ = model.forward([SequenceStep(tokens: prefixTokens, cache: cache, adapter: adapter, logits: .none)], workspace: workspace)
        // Keep the caches of the adapters still in use plus the new one.
        prefixCaches.removeAll { entry in entry.adapter !== activeAdapterSnapshot() && !sequences.contains { $0.adapter === entry.adapter } }
        prefixCaches.append((adapter, cache))
        return cache
    }

    private func activeAdapterSnapshot() -> LoRAAdapter? { cond.lock(); defer { cond.unlock() }; return activeAdapter }

    private func admit(_ p: Pending, adapter: LoRAAdapter?, now: Double) {
        let cache: KVCache
        let start: Int
        if !prefixTokens.isEmpty, p.ids.count > prefixTokens.count {
            cache = prefixCache(for: adapter).copy(extraCapacity: p.ids.count - prefixTokens.count + options.maxNewTokens + 1)
            start = prefixTokens.count
        } else {
            cache = model.makeCache(capacity: p.ids.count + options.maxNewTokens + 1)
            start = 0
        }
        sequences.append(Sequence(continuation: p.continuation, adapter: adapter, cache: cache, enqueued: p.enqueued, admitted: now,
                                  promptTokens: p.ids.count, remainingPrompt: p.ids[start...],
                                  constraint: ScoreConstraint(grammar: grammar, answerReserve: answerReserve), seed: options.sampling.seed))
    }

    private func step(queueDepth: Int, observer: (@Sendable (ScorerStep) -> Void)?) {
        guard !sequences.isEmpty else { return }
        let t0 = Monotonic.seconds()
        var steps: [SequenceStep] = []
        var sampling: [Bool] = []
        var newTokens = 0
        for s in sequences {
            if !s.remainingPrompt.isEmpty {
                let chunk = Array(s.remainingPrompt.prefix(options.prefillChunk))
                s.remainingPrompt = s.remainingPrompt.dropFirst(chunk.count)
                let last = s.remainingPrompt.isEmpty
                steps.append(SequenceStep(tokens: chunk, cache: s.cache, adapter: s.adapter, logits: last ? .last : .none))
                sampling.append(last)
                newTokens += chunk.count
            } else {
                steps.append(SequenceStep(tokens: s.pendingInput, cache: s.cache, adapter: s.adapter, logits: .last))
                sampling.append(true)
                newTokens += s.pendingInput.count
            }
        }
        var generatedNow = 0
        model.forward(steps, workspace: workspace) { i, logits in
            let s = sequences[i]
            guard sampling[i] else { return }
            let remaining = options.maxNewTokens - s.generated.count
            s.constraint.budgetNearlyExhausted(remaining: remaining)
            let allowed = s.constraint.allowedTokens()
            if allowed == nil {
                for t in s.constraint.disallowedTokens() where t < logits.count { logits[t] = -.infinity }
                // Padding rows of the embedding past the tokenizer's vocabulary have no text.
                for t in min(tokenizer.vocabularySize, logits.count)..<logits.count { logits[t] = -.infinity }
            }
            // Serving needs no plain log-probabilities; confidence comes from the constrained digits.
            let chosen = Sampler.sample(logits: UnsafeBufferPointer(logits), allowed: allowed, parameters: options.sampling,
                                        rng: &s.rng, plainLogprob: false)
            s.generated.append(chosen.token)
            s.pendingInput = [chosen.token]
            s.constraint.advance(token: chosen.token, probability: chosen.probability)
            generatedNow += 1
            s.finish = finishReason(s, last: chosen.token)
            // Jump ahead over what the grammar leaves no choice about (the keys, separators and tags of the answer):
            // those tokens join the next step's input as one chunk instead of costing a model step each.
            while s.finish == nil {
                s.constraint.budgetNearlyExhausted(remaining: options.maxNewTokens - s.generated.count)
                guard let only = s.constraint.allowedTokens(), only.count == 1 else { break }
                s.generated.append(only[0])
                s.pendingInput.append(only[0])
                s.constraint.advance(token: only[0], probability: 1)
                generatedNow += 1
                s.finish = finishReason(s, last: only[0])
            }
        }
        let done = sequences.filter { $0.finish != nil }
        sequences.removeAll { $0.finish != nil }
        cond.lock(); decoding = sequences.count; cond.unlock()
        let t1 = Monotonic.seconds()
        for s in done { complete(s, now: t1) }
        observer?(ScorerStep(sequences: steps.count, newTokens: newTokens, generatedTokens: generatedNow, seconds: t1 - t0, queueDepth: queueDepth))
    }

    private func finishReason(_ s: Sequence, last token: Int) -> FinishReason? {
        if tokenizer.eosTokenIDs.contains(token) || options.sampling.stopTokens.contains(token) { return .stop }
        if s.constraint.isComplete { return .constraint }
        if s.generated.count >= options.maxNewTokens { return .length }
        return nil
    }

    private func complete(_ s: Sequence, now: Double) {
        let textTokens = s.generated.filter { !tokenizer.eosTokenIDs.contains($0) }
        let raw = tokenizer.decode(textTokens)
        let parsed = AnswerParser.parse(raw)
        var confidence: [String: Float] = [:]
        for (d, c) in s.constraint.confidence() { confidence[d.rawValue] = c }
        let result = ScoreResult(
            scores: parsed.scores, confidence: confidence, reasoning: parsed.reasoning ?? "", formatOK: parsed.formatOK,
            problems: parsed.problems, rawOutput: raw, adapterID: s.adapter?.id, promptTokens: s.promptTokens,
            completionTokens: s.generated.count, finishReason: s.finish ?? .length,
            queueMilliseconds: (s.admitted - s.enqueued) * 1000, totalMilliseconds: (now - s.enqueued) * 1000)
        s.continuation.resume(returning: result)
    }
}
