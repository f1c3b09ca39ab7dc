import Scoring

/// G samples for each of several prompts with the engine's `Generator`, prefilling the prompts' common prefix (the
/// scoring prompt's instructions) once: each prompt continues from a copy of that KV cache, and its G samples share
/// the prompt's own prefill (`Generator.generate(prompt:count:…:prefix:)`).
public struct SharedPrefixSampler: Sendable {
    public let generator: Generator
    public let workspace: Workspace

    public init(model: Qwen2Model, workspace: Workspace = Workspace()) {
        generator = Generator(model: model)
        self.workspace = workspace
    }

    /// Length of the longest prefix all `prompts` share, capped so that every prompt extends it by at least one token.
    public static func sharedPrefixLength(_ prompts: [[Int]]) -> Int {
        guard var n = prompts.map(\.count).min() else { return 0 }
        n -= 1
        for p in prompts.dropFirst() {
            var k = 0
            while k < n && p[k] == prompts[0][k] { k += 1 }
            n = k
        }
        return max(0, n)
    }

    /// `count` samples of each prompt; `parameters[i]` (its seed) goes with `prompts[i]`, sample j using seed + j.
    /// `constraint` is copied fresh for every sample.
    public func sample(prompts: [[Int]], count: Int, parameters: [SamplingParameters], adapter: LoRAAdapter?,
                       constraint: (any TokenConstraint)?) -> [[Generation]] {
        precondition(prompts.count == parameters.count && prompts.allSatisfy { !$0.isEmpty })
        let model = generator.model
        let shared = Self.sharedPrefixLength(prompts)
        var prefix: KVCache?
        if shared > 0 {
            let cache = model.makeCache(capacity: shared)
            _ = model.forward([SequenceStep(tokens: Array(prompts[0][..<shared]), cache: cache, adapter: adapter, logits: .none)],
                              workspace: workspace)
            prefix = cache
        }
        return zip(prompts, parameters).map { prompt, p in
            let start = prefix?.copy(extraCapacity: prompt.count - shared + 1) ?? model.makeCache(capacity: prompt.count + 1)
            return generator.generate(prompt: prompt, count: count, parameters: p, adapter: adapter, constraint: constraint,
                                      prefix: start, workspace: workspace)
        }
    }
}
