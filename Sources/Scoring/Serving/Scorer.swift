import Foundation

/// Tunables of the batching scorer.
public struct ScorerOptions: Sendable {
    /// Most sequences decoded together in one step.
    public var maxBatch = 8
    /// Requests waiting beyond this are refused (`ScorerError.queueFull`) so callers can shed load.
    public var queueCapacity = 64
    /// Most tokens generated per answer (reasoning + answer). The grammar steers to the answer before it runs out.
    public var maxNewTokens = 512
    /// Longest prompt of one model pass, in tokens (instruction + text). The model's context bounds it further:
    /// prompt + `maxNewTokens` must fit `max_position_embeddings`.
    public var maxPromptTokens = 4096
    /// Most tokens of text in one window when a text is split (the instruction comes on top); 0 = as many as one
    /// pass allows. Small models judge best near the lengths they were trained on.
    public var windowTextTokens = 0
    /// Tokens of whole sentences consecutive windows share, so a statement cut by a window edge is read whole.
    public var windowOverlapTokens = 48
    /// Prompt tokens prefilled per step per sequence, so a long newcomer does not stall the others' decoding.
    public var prefillChunk = 256
    /// Greedy by default: the same text gets the same scores.
    public var sampling = SamplingParameters.greedy()
    /// Hold the reasoning to what the model was shown while decoding: a span it quotes between “ and ” can only be one
    /// that occurs in the text or in the evidence items its evidence line shows (`QuoteGuard`), and where the evidence
    /// stage found nothing it may not claim evidence: no reasoning that begins with 线, no `线索` outside a quote (only
    /// no `线索提示` when the text itself says 线索; `PhraseBan`); where it found something, a claim of evidence names
    /// exactly the kinds found (`ClaimGuard`).
    public var groundReasoning = true
    public init() {}
}

public enum ScorerError: Error, CustomStringConvertible, Equatable {
    case queueFull(capacity: Int)
    case textTooLong(tokens: Int, limit: Int)
    case emptyText
    case shutDown
    /// The options do not fit the model (e.g. `max_new_tokens` leaves no room for a text in the model's context).
    case invalidOptions(String)
    /// The engine could not run this request's step; the request fails, the scorer keeps serving the others.
    case engineFailure(String)

    public var description: String {
        switch self {
        case let .queueFull(c): "the scoring queue is full (\(c) requests waiting); retry later"
        case let .textTooLong(t, l): "the prompt is \(t) tokens long; the limit is \(l)"
        case .emptyText: "the text is empty"
        case .shutDown: "the scorer is shut down"
        case let .invalidOptions(m): "invalid scorer options: \(m)"
        case let .engineFailure(m): "the model could not score this text: \(m)"
        }
    }
}

/// One window of a text scored on its own (a text that fits the model in one pass has one window: all of it).
public struct WindowResult: Sendable, Codable, Equatable {
    /// Where the window lies in the text, in Unicode scalar offsets.
    public var span: TextSpan
    public var scores: DimensionScores?
    public var confidence: [String: Float]
    public var reasoning: String
    public var formatOK: Bool
    public var promptTokens: Int
    public var completionTokens: Int
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
    /// The windows the text was scored in, in order; `scores` holds each dimension's lowest window score.
    public var windows: [WindowResult] = []
    /// For each dimension key, the index in `windows` of the window whose score decided it (the lowest; of equals,
    /// the one with the highest confidence, then the first). Absent where no window gave a score.
    public var decidingWindow: [String: Int] = [:]
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
    /// The word the model's claims of evidence are built on: the reasoning cites the evidence line with the opening
    /// `线索提示`, and in the training data `线索` occurs nowhere else. Banned where the evidence stage found nothing, so
    /// that mangled claims (`线索箱…`) are kept out as well as the exact opening; where the text itself contains 线索
    /// (and the reasoning may quote it) only the exact opening is banned.
    static let evidenceWord = "线索"
    static let evidenceClaim = "线索提示"
    /// The ban table of each phrase `bannedClaim` can name; empty when the reasoning is not grounded.
    let claimBans: [String: PhraseBan.Table]
    let prefixTokens: [Int]
    /// Longest prompt of one pass: the options' limit, bounded by the model's context minus the answer budget.
    public let promptLimit: Int
    /// Longest prompt of one window of a split text.
    public let windowLimit: Int

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
        /// What the reasoning may quote (the window's text and the evidence items it was shown, without the line's
        /// label); nil = quotes are free.
        let quoteSources: [String]?
        /// The phrase the reasoning may not write: a claim of evidence, where the evidence stage found nothing in the
        /// window's text; nil = none.
        let claimBan: PhraseBan.Table?
        /// The claim of evidence a reasoning that makes one must write (`ClaimGuard`), where the evidence stage found
        /// something in the window's text; nil = none.
        let claim: String?
        /// The adapter fixed at enqueue time (all windows of one text share it); nil = the one active at admission.
        let adapter: AdapterChoice?
    }

    private enum AdapterChoice { case fixed(LoRAAdapter?) }

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
        guard options.maxNewTokens > 0, options.maxBatch > 0, options.queueCapacity > 0, options.prefillChunk > 0 else {
            throw ScorerError.invalidOptions("max_new_tokens, max_batch, queue_capacity and the prefill chunk must be positive")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.options = options
        self.baseModelID = baseModelID
        activeAdapter = adapter
        grammar = try AnswerGrammar(tokenBytes: tokenizer.allTokenBytes, eosTokenIDs: tokenizer.eosTokenIDs,
                                    specialTokenIDs: tokenizer.specialTokenIDs)
        answerReserve = ScoreConstraint.guaranteedAnswerReserve
        let grounded = prompt.evidence && options.groundReasoning
        let g = grammar
        claimBans = grounded ? Dictionary(uniqueKeysWithValues: [Self.evidenceWord, Self.evidenceClaim].map {
            ($0, PhraseBan.Table(phrase: $0, grammar: g))
        }) : [:]
        prefixTokens = tokenizer.encode(prompt.prefix)
        // The last generated token is never fed back, so a sequence holds at most prompt + max_new_tokens − 1 positions.
        promptLimit = min(options.maxPromptTokens, model.contextLength - options.maxNewTokens + 1)
        let overhead = prefixTokens.count + tokenizer.encode(prompt.suffix(text: ""), parseSpecialTokens: false).count
        windowLimit = options.windowTextTokens > 0 ? min(overhead + options.windowTextTokens, promptLimit) : promptLimit
        // Room for at least 16 tokens of text per window (a scalar is at most 4 byte tokens).
        guard windowLimit >= overhead + 16 else {
            throw ScorerError.invalidOptions(
                "the model's context is \(model.contextLength) tokens; with max_new_tokens \(options.maxNewTokens) and an instruction of "
                    + "\(overhead) tokens a window leaves room for \(max(0, windowLimit - overhead)) tokens of text (at least 16 are needed); "
                    + "lower max_new_tokens or use a model with a longer context")
        }
        if let bad = prefixTokens.first(where: { $0 < 0 || $0 >= model.config.vocabSize }) {
            throw ScorerError.invalidOptions(ModelInputError.tokenOutOfVocabulary(token: bad, vocabularySize: model.config.vocabSize).description)
        }
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

    /// The windows `text` is scored in: one spanning it all when its prompt fits `windowLimit`.
    public func windows(for text: String) -> [TextSpan] {
        let planner = TextWindowPlanner(
            maxPromptTokens: windowLimit, overlapTokens: options.windowOverlapTokens,
            promptTokens: { [self] in promptIDs(for: $0).count },
            textTokens: { [tokenizer] in tokenizer.encode($0, parseSpecialTokens: false).count })
        return planner.plan(text)
    }

    /// Scores one text. Tokenisation runs on the caller's task; the model runs on the engine thread. A text whose
    /// prompt does not fit one window is split (`windows(for:)`); its windows go through the same batching queue
    /// together, all on the adapter active when the text arrived, and the answer takes each dimension's lowest score,
    /// with the reasoning of the windows that decided them.
    public func score(_ text: String) async throws -> ScoreResult {
        guard !text.isEmpty else { throw ScorerError.emptyText }
        let ids = promptIDs(for: text)
        if ids.count <= windowLimit {
            var result = try await enqueue(ids, quoting: text, adapter: nil, checkCapacity: true)
            let span = TextSpan(start: 0, end: text.unicodeScalars.count)
            result.windows = [WindowResult(span: span, scores: result.scores, confidence: result.confidence, reasoning: result.reasoning,
                                           formatOK: result.formatOK, promptTokens: result.promptTokens,
                                           completionTokens: result.completionTokens)]
            if result.scores != nil { for d in Dimension.allCases { result.decidingWindow[d.key] = 0 } }
            return result
        }
        let spans = windows(for: text)
        var windowIDs: [[Int]] = []
        var windowTexts: [String] = []
        for span in spans {
            let windowText = text.scalarSlice(span)
            let w = promptIDs(for: windowText)
            guard w.count <= promptLimit else { throw ScorerError.textTooLong(tokens: w.count, limit: promptLimit) }
            windowIDs.append(w)
            windowTexts.append(windowText)
        }
        // One capacity check for the whole text, then all its windows queue together on one adapter.
        let (full, alive, adapter) = admissionSnapshot()
        guard alive else { throw ScorerError.shutDown }
        guard !full else { throw ScorerError.queueFull(capacity: options.queueCapacity) }
        let results = try await withThrowingTaskGroup(of: (Int, ScoreResult).self) { group in
            for (i, w) in windowIDs.enumerated() {
                let windowText = windowTexts[i]
                group.addTask { (i, try await self.enqueue(w, quoting: windowText, adapter: .fixed(adapter), checkCapacity: false)) }
            }
            var out = [ScoreResult?](repeating: nil, count: windowIDs.count)
            for try await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
        return Self.aggregate(results, spans: spans)
    }

    /// Combines the windows of one text: per dimension the lowest score, with the confidence of the window that gave
    /// it; the reasoning of the deciding windows (the first window's when every score is 100).
    static func aggregate(_ results: [ScoreResult], spans: [TextSpan]) -> ScoreResult {
        let windows = zip(results, spans).map { r, span in
            WindowResult(span: span, scores: r.scores, confidence: r.confidence, reasoning: r.reasoning, formatOK: r.formatOK,
                         promptTokens: r.promptTokens, completionTokens: r.completionTokens)
        }
        var deciding: [String: Int] = [:]
        var lowest: [Int] = []
        for d in Dimension.allCases {
            // The lowest score decides; among equal scores the window the model was surest of.
            var best: (index: Int, score: Int, confidence: Float)?
            for (i, w) in windows.enumerated() {
                guard let s = w.scores?[d] else { continue }
                let c = w.confidence[d.key] ?? 0
                if let b = best, s > b.score || (s == b.score && c <= b.confidence) { continue }
                best = (i, s, c)
            }
            if let best { deciding[d.key] = best.index; lowest.append(best.score) }
        }
        let scores = lowest.count == Dimension.allCases.count ? try? DimensionScores(values: lowest) : nil
        var confidence: [String: Float] = [:]
        for (key, i) in deciding { confidence[key] = windows[i].confidence[key] }
        var reasons: [String] = []
        let flagged = Dimension.allCases.compactMap { d -> Int? in
            guard let i = deciding[d.key], let s = windows[i].scores?[d], s < 100 else { return nil }
            return i
        }
        for i in Set(flagged).sorted() where !windows[i].reasoning.isEmpty {
            let w = windows[i]
            reasons.append("第\(i + 1)/\(windows.count)段（字符 \(w.span.start)–\(w.span.end)）：\(w.reasoning)")
        }
        if reasons.isEmpty { reasons = windows.first.map { [$0.reasoning] } ?? [] }
        let first = results.first
        return ScoreResult(
            scores: scores, confidence: confidence, reasoning: reasons.joined(separator: "\n"),
            formatOK: windows.allSatisfy(\.formatOK), problems: results.enumerated().flatMap { i, r in r.problems.map { "window \(i + 1): \($0)" } },
            rawOutput: results.enumerated().map { i, r in "<!-- window \(i + 1)/\(results.count) [\(spans[i].start), \(spans[i].end)) -->\n\(r.rawOutput)" }
                .joined(separator: "\n"),
            adapterID: first?.adapterID, promptTokens: results.reduce(0) { $0 + $1.promptTokens },
            completionTokens: results.reduce(0) { $0 + $1.completionTokens }, finishReason: first?.finishReason ?? .stop,
            queueMilliseconds: results.map(\.queueMilliseconds).max() ?? 0, totalMilliseconds: results.map(\.totalMilliseconds).max() ?? 0,
            windows: windows, decidingWindow: deciding)
    }

    private func admissionSnapshot() -> (full: Bool, running: Bool, adapter: LoRAAdapter?) {
        cond.lock(); defer { cond.unlock() }
        return (pending.count >= options.queueCapacity, running, activeAdapter)
    }

    /// What a reasoning about `text` may quote (the text, and the evidence items when the prompt shows some), the
    /// claim of evidence it may not write when the evidence stage found nothing in it, and the one claim it may write
    /// when the stage found something (`ClaimGuard`).
    private func grounding(for text: String) -> (sources: [String]?, claimBan: PhraseBan.Table?, claim: String?) {
        guard options.groundReasoning else { return (nil, nil, nil) }
        guard prompt.evidence else { return ([text], nil, nil) }
        let items = EvidenceFinder.find(in: text)
        let ban = Self.bannedClaim(text: text, evidenceFound: !items.isEmpty).flatMap { claimBans[$0] }
        return ([text] + (EvidenceFinder.quotableEvidence(items).map { [$0] } ?? []), ban, ClaimGuard.claim(for: items))
    }

    /// The phrase a grounded reasoning about `text` may not write: none where the evidence stage found something;
    /// otherwise the word `线索` itself, or only the opening `线索提示` when the text contains 线索 (a quote of it).
    static func bannedClaim(text: String, evidenceFound: Bool) -> String? {
        if evidenceFound { return nil }
        return text.contains(evidenceWord) ? evidenceClaim : evidenceWord
    }

    private func enqueue(_ ids: [Int], quoting text: String, adapter: AdapterChoice?, checkCapacity: Bool) async throws -> ScoreResult {
        let (sources, claimBan, claim) = grounding(for: text)
        guard ids.count <= promptLimit else { throw ScorerError.textTooLong(tokens: ids.count, limit: promptLimit) }
        let enqueued = Monotonic.seconds()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<ScoreResult, Error>) in
            cond.lock()
            defer { cond.unlock() }
            guard running else { c.resume(throwing: ScorerError.shutDown); return }
            if checkCapacity, pending.count >= options.queueCapacity {
                c.resume(throwing: ScorerError.queueFull(capacity: options.queueCapacity)); return
            }
            pending.append(Pending(ids: ids, enqueued: enqueued, continuation: c, quoteSources: sources, claimBan: claimBan,
                                   claim: claim, adapter: adapter))
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
            for p in admitted {
                if case .fixed(let a) = p.adapter { admit(p, adapter: a, now: now) } else { admit(p, adapter: adapter, now: now) }
            }
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
                                  constraint: ScoreConstraint(grammar: grammar, answerReserve: answerReserve,
                                                              quotes: p.quoteSources.map { QuoteGuard(sources: $0) },
                                                              claims: p.claimBan.map { PhraseBan($0) },
                                                              evidenceClaim: p.claim.map { ClaimGuard(claim: $0) }),
                                  seed: options.sampling.seed))
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
        // A step the model cannot run fails its own request with a typed error; the others go on.
        var rejected: [(Int, ModelInputError)] = []
        for (i, st) in steps.enumerated() { if let problem = model.problem(with: st) { rejected.append((i, problem)) } }
        if !rejected.isEmpty {
            let bad = Set(rejected.map(\.0))
            for (i, problem) in rejected { sequences[i].continuation.resume(throwing: ScorerError.engineFailure(problem.description)) }
            sequences = sequences.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
            steps = steps.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
            sampling = sampling.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
            cond.lock(); decoding = sequences.count; cond.unlock()
            if steps.isEmpty { return }
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
        for (d, c) in s.constraint.confidence() { confidence[d.key] = c }
        let result = ScoreResult(
            scores: parsed.scores, confidence: confidence, reasoning: parsed.reasoning ?? "", formatOK: parsed.formatOK,
            problems: parsed.problems, rawOutput: raw, adapterID: s.adapter?.id, promptTokens: s.promptTokens,
            completionTokens: s.generated.count, finishReason: s.finish ?? .length,
            queueMilliseconds: (s.admitted - s.enqueued) * 1000, totalMilliseconds: (now - s.enqueued) * 1000)
        s.continuation.resume(returning: result)
    }
}
