import Foundation

/// Restricts which tokens may come next (grammar-constrained decoding). Value semantics: one per sequence.
public protocol TokenConstraint: Sendable {
    /// The tokens allowed next, or nil when any token may follow.
    mutating func allowedTokens() -> [Int]?
    /// Tokens that must not come next even when the choice is otherwise free (e.g. end-of-text before the answer).
    func disallowedTokens() -> [Int]
    /// Records the chosen token and the probability it was chosen with.
    mutating func advance(token: Int, probability: Float)
    /// True when the constrained output is finished and generation must stop.
    var isComplete: Bool { get }
    /// Called before every token with the tokens left, so the constraint can steer to a valid ending in time.
    mutating func budgetNearlyExhausted(remaining: Int)
    /// Token ids at or above this have no text (padding rows of the embedding) and must never be chosen.
    var vocabularyLimit: Int? { get }
}

extension TokenConstraint {
    public var vocabularyLimit: Int? { nil }
}

public enum FinishReason: String, Sendable, Codable {
    case stop, length, constraint
}

/// One generated continuation.
public struct Generation: Sendable {
    public var tokens: [Int]
    public var probabilities: [Float]
    /// log p(token) under the model at temperature 1 (the policy's log-probability, as GRPO needs).
    public var logprobs: [Float]
    public var finishReason: FinishReason
}

/// Autoregressive generation over a `Qwen2Model`: single sequences, and G samples of one prompt that share its prefill.
public struct Generator: Sendable {
    public let model: Qwen2Model

    public init(model: Qwen2Model) { self.model = model }

    /// Generates one continuation of `prompt`.
    public func generate(prompt: [Int], parameters: SamplingParameters, adapter: LoRAAdapter? = nil,
                         constraint: (any TokenConstraint)? = nil, workspace: Workspace = Workspace()) -> Generation {
        let cache = model.makeCache(capacity: prompt.count + parameters.maxTokens + 1)
        return generate(prompt: prompt, count: 1, parameters: parameters, adapter: adapter, constraint: constraint,
                        prefix: cache, workspace: workspace)[0]
    }

    /// G samples of one prompt. The prompt is prefilled once; each sample continues from a copy of its KV cache and
    /// the G sequences decode together in one batch per step. Sample i uses seed `parameters.seed + i`.
    /// `prefix` may already hold a prefix of the prompt (its cached positions are not recomputed).
    public func generate(prompt: [Int], count G: Int, parameters: SamplingParameters, adapter: LoRAAdapter? = nil,
                         constraint: (any TokenConstraint)? = nil, prefix: KVCache? = nil,
                         workspace: Workspace = Workspace()) -> [Generation] {
        precondition(G >= 1)
        let base = prefix ?? model.makeCache(capacity: prompt.count + 1)
        precondition(base.length < prompt.count, "the prompt must extend the cached prefix by at least one token")
        let rest = Array(prompt[base.length...])
        let first = model.forward([SequenceStep(tokens: rest, cache: base, adapter: adapter, logits: .last)], workspace: workspace)[0]

        var caches = (0..<G).map { i in i == G - 1 ? base : base.copy(extraCapacity: parameters.maxTokens + 1) }
        if G == 1 { caches = [base] }
        var rngs = (0..<G).map { SplitMix64(seed: parameters.seed &+ UInt64($0)) }
        var constraints = (0..<G).map { _ in constraint }
        var outs = (0..<G).map { _ in Generation(tokens: [], probabilities: [], logprobs: [], finishReason: .length) }
        var active = Array(0..<G)
        var logits: [[Float]] = Array(repeating: first, count: G)

        var step = 0
        while !active.isEmpty {
            var next: [Int] = []
            var stillActive: [Int] = []
            for i in active {
                let remaining = parameters.maxTokens - step
                // The constraint knows how many tokens it needs to finish; tell it every step.
                constraints[i]?.budgetNearlyExhausted(remaining: remaining)
                let allowed = constraints[i]?.allowedTokens()
                if allowed == nil, let banned = constraints[i]?.disallowedTokens(), !banned.isEmpty { Sampler.ban(banned, in: &logits[i]) }
                if allowed == nil, let limit = constraints[i]?.vocabularyLimit {
                    for t in limit..<max(limit, logits[i].count) { logits[i][t] = -.infinity }
                }
                let s = logits[i].withUnsafeBufferPointer { Sampler.sample(logits: $0, allowed: allowed, parameters: parameters, rng: &rngs[i]) }
                outs[i].tokens.append(s.token)
                outs[i].probabilities.append(s.probability)
                outs[i].logprobs.append(s.logprob)
                constraints[i]?.advance(token: s.token, probability: s.probability)
                if parameters.stopTokens.contains(s.token) {
                    outs[i].finishReason = .stop
                } else if constraints[i]?.isComplete == true {
                    outs[i].finishReason = .constraint
                } else if outs[i].tokens.count >= parameters.maxTokens {
                    outs[i].finishReason = .length
                } else {
                    stillActive.append(i); next.append(s.token)
                }
            }
            active = stillActive
            step += 1
            guard !active.isEmpty else { break }
            let steps = zip(active, next).map { i, t in SequenceStep(tokens: [t], cache: caches[i], adapter: adapter, logits: .last) }
            let out = model.forward(steps, workspace: workspace)
            for (j, i) in active.enumerated() { logits[i] = out[j] }
        }
        return outs
    }
}
