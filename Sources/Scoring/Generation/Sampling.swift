import Foundation

/// How the next token is chosen.
public struct SamplingParameters: Sendable, Codable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Keep only the k most likely tokens (0 = no limit).
    public var topK: Int
    /// Keep the smallest set of tokens whose probability reaches p (1 = no limit).
    public var topP: Float
    public var seed: UInt64
    public var maxTokens: Int
    /// Generation stops after any of these tokens (it is included in the output tokens, not in the text).
    public var stopTokens: Set<Int>

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0, maxTokens: Int = 256, stopTokens: Set<Int> = []) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed; self.maxTokens = maxTokens; self.stopTokens = stopTokens
    }

    public static func greedy(maxTokens: Int = 256, stopTokens: Set<Int> = []) -> SamplingParameters {
        SamplingParameters(temperature: 0, maxTokens: maxTokens, stopTokens: stopTokens)
    }

    public var isGreedy: Bool { temperature <= 0 }
}

/// The chosen token with its probability under the distribution it was drawn from (after masking, temperature and
/// truncation) and its log-probability under the model's plain distribution (temperature 1, no mask).
public struct SampledToken: Sendable, Equatable {
    public var token: Int
    public var probability: Float
    public var logprob: Float
}

public enum Sampler {
    /// Sets the logits of `tokens` to −∞ so they cannot be chosen.
    public static func ban(_ tokens: [Int], in logits: inout [Float]) {
        for t in tokens where t >= 0 && t < logits.count { logits[t] = -.infinity }
    }

    /// Chooses a token from logits [V]. `allowed` (when given) restricts the choice to those ids.
    /// With `plainLogprob: false` the log-probability under the unmasked distribution is not computed (it costs a pass
    /// over the whole vocabulary), and for greedy unconstrained choices neither is the probability (both are NaN).
    public static func sample(logits: UnsafeBufferPointer<Float>, allowed: [Int]?, parameters p: SamplingParameters,
                              rng: inout SplitMix64, plainLogprob: Bool = true) -> SampledToken {
        let V = logits.count
        if !plainLogprob && p.isGreedy && allowed == nil {
            var best = 0
            var bestValue = -Float.infinity
            for i in 0..<V where logits[i] > bestValue { best = i; bestValue = logits[i] }
            return SampledToken(token: best, probability: .nan, logprob: .nan)
        }
        // log-sum-exp of the unmasked distribution, for the plain log-probability: a pass over the whole vocabulary
        // with an exp per entry, so only when asked for.
        var maxAll = -Float.infinity
        var sumAll: Double = 0
        var lseAll = Float.nan
        if plainLogprob {
            for x in logits { maxAll = max(maxAll, x) }
            for x in logits { sumAll += Double(expf(x - maxAll)) }
            lseAll = maxAll + Float(log(sumAll))
        }

        var candidates: [Int]
        if let allowed {
            precondition(!allowed.isEmpty, "a constraint allowed no token")
            candidates = allowed
        } else {
            candidates = []
        }
        let useAll = allowed == nil

        if p.isGreedy {
            var best = -1
            var bestValue = -Float.infinity
            if useAll {
                for i in 0..<V where logits[i] > bestValue || best < 0 { best = i; bestValue = logits[i] }
            } else {
                for i in candidates where logits[i] > bestValue || best < 0 { best = i; bestValue = logits[i] }
            }
            // Probability within the allowed set, at temperature 1.
            var s: Double = 0
            if useAll { s = sumAll * Double(expf(maxAll - bestValue)) } else { for i in candidates { s += Double(expf(logits[i] - bestValue)) } }
            return SampledToken(token: best, probability: Float(1 / s), logprob: bestValue - lseAll)
        }

        if useAll { candidates = Array(0..<V) }
        let invT = 1 / p.temperature
        let scaled = candidates.map { logits[$0] * invT }
        var order = Array(0..<candidates.count)
        if p.topK > 0 && p.topK < order.count {
            // Partial selection of the k largest is enough; then sort them.
            order.sort { scaled[$0] > scaled[$1] }
            order = Array(order.prefix(p.topK))
        } else if p.topP < 1 {
            order.sort { scaled[$0] > scaled[$1] }
        }
        let m = order.reduce(-Float.infinity) { max($0, scaled[$1]) }
        var probs = order.map { expf(scaled[$0] - m) }
        var total = probs.reduce(0, +)
        if p.topP < 1 {
            var cum: Float = 0
            var keep = 0
            for (j, q) in probs.enumerated() {
                cum += q / total
                keep = j + 1
                if cum >= p.topP { break }
            }
            order = Array(order.prefix(keep)); probs = Array(probs.prefix(keep)); total = probs.reduce(0, +)
        }
        let u = rng.nextFloat() * total
        var acc: Float = 0
        var chosen = order.count - 1
        for (j, q) in probs.enumerated() {
            acc += q
            if u < acc { chosen = j; break }
        }
        let token = candidates[order[chosen]]
        return SampledToken(token: token, probability: probs[chosen] / total, logprob: logits[token] - lseAll)
    }
}
