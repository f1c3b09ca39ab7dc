import Foundation
@testable import Scoring
@testable import Training

/// A bigram policy small enough to check by hand: logits(next | prev) = base[prev, next] + θ[prev, next], where base
/// is frozen (the "reference model") and θ is the trained part (the "adapter"). It records the calls the trainer
/// makes, so the tests can check the order of sampling, reference, old-policy and training passes.
final class TabularPolicy: GRPOPolicy {
    let V: Int
    let base: [Float]     // [V, V]
    var theta: [Float]    // [V, V]
    var grad: [Float]     // [V, V]
    var calls: [String] = []

    struct Pass { let batch: [TrainingSequence] }

    init(vocabulary V: Int, seed: UInt64, baseStd: Float = 0.1) {
        self.V = V
        var rng = SplitMix64(seed: seed)
        var b = [Float](repeating: 0, count: V * V)
        b.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: V * V, std: baseStd) }
        base = b
        theta = [Float](repeating: 0, count: V * V)
        grad = theta
    }

    func logProbabilities(after prev: Int, adapter: Bool) -> [Double] {
        let row = (0..<V).map { Double(base[prev * V + $0]) + (adapter ? Double(theta[prev * V + $0]) : 0) }
        let m = row.max()!
        let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
        return row.map { $0 - lse }
    }

    func sample(prompts: [[Int]], count: Int, parameters: [SamplingParameters],
                constraint: (any TokenConstraint)?) -> [[Generation]] {
        calls.append("sample")
        return zip(prompts, parameters).map { prompt, p in
            (0..<count).map { j in
                var rng = SplitMix64(seed: p.seed &+ UInt64(j))
                var g = Generation(tokens: [], probabilities: [], logprobs: [], finishReason: .length)
                var prev = prompt.last!
                while g.tokens.count < p.maxTokens {
                    let lp = logProbabilities(after: prev, adapter: true)
                    let scaled = lp.map { exp($0 / Double(p.temperature)) }
                    let u = Double(rng.nextFloat()) * scaled.reduce(0, +)
                    var acc = 0.0, token = V - 1
                    for (k, w) in scaled.enumerated() { acc += w; if u < acc { token = k; break } }
                    g.tokens.append(token); g.logprobs.append(Float(lp[token])); g.probabilities.append(Float(exp(lp[token])))
                    prev = token
                    if p.stopTokens.contains(token) { g.finishReason = .stop; break }
                }
                return g
            }
        }
    }

    func scored(_ s: TrainingSequence, adapter: Bool) -> [Float] {
        (s.targetStart..<(s.tokens.count - 1)).map { t in Float(logProbabilities(after: s.tokens[t], adapter: adapter)[s.tokens[t + 1]]) }
    }

    func forwardLogprobs(_ batch: [TrainingSequence]) -> (pass: Pass, logprobs: [[Float]]) {
        calls.append("forward")
        return (Pass(batch: batch), batch.map { scored($0, adapter: true) })
    }

    func backward(_ pass: Pass, dLogprobs: [[Float]]) {
        calls.append("backward")
        for (s, d) in zip(pass.batch, dLogprobs) {
            precondition(d.count == s.tokens.count - 1 - s.targetStart)
            for (k, t) in (s.targetStart..<(s.tokens.count - 1)).enumerated() where d[k] != 0 {
                let prev = s.tokens[t], next = s.tokens[t + 1]
                let p = logProbabilities(after: prev, adapter: true).map(exp)
                for v in 0..<V { grad[prev * V + v] += d[k] * Float((v == next ? 1 : 0) - p[v]) }
            }
        }
    }

    func logprobs(_ batch: [TrainingSequence], adapterEnabled: Bool) -> [[Float]] {
        calls.append(adapterEnabled ? "logprobs(policy)" : "logprobs(reference)")
        return batch.map { scored($0, adapter: adapterEnabled) }
    }

    func zeroGrad() {
        calls.append("zeroGrad")
        grad = [Float](repeating: 0, count: V * V)
    }
}

/// Plain Adam (no weight decay) over θ, for the toy runs.
struct ToyAdam {
    var lr: Float
    var m: [Float] = [], v: [Float] = []
    var t = 0

    mutating func step(_ p: TabularPolicy) {
        if m.isEmpty { m = .init(repeating: 0, count: p.theta.count); v = m }
        t += 1
        let (b1, b2): (Float, Float) = (0.9, 0.999)
        for i in p.theta.indices {
            m[i] = b1 * m[i] + (1 - b1) * p.grad[i]
            v[i] = b2 * v[i] + (1 - b2) * p.grad[i] * p.grad[i]
            let mh = m[i] / (1 - pow(b1, Float(t))), vh = v[i] / (1 - pow(b2, Float(t)))
            p.theta[i] -= lr * mh / (vh.squareRoot() + 1e-8)
        }
        p.calls.append("step")
    }
}
