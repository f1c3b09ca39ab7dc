import Foundation

/// How per-token losses become one number (TRL's `loss_type`).
public enum GRPOLossType: String, Codable, Sendable, CaseIterable {
    /// Mean over each completion's tokens, then mean over completions (DeepSeekMath; biased towards short wrong answers).
    case grpo
    /// Masked sum / (rows × max_completion_length), a constant: Dr. GRPO's unbiased aggregation; the default here.
    case drGRPO = "dr_grpo"
    /// Masked mean over all tokens of the batch (DAPO, Yu et al. 2025).
    case dapo
}

/// The GRPO objective's constants (TRL names in the coding keys).
public struct GRPOLossConfig: Codable, Sendable, Equatable {
    public var lossType: GRPOLossType
    /// Clip range of the importance ratio: [1 − epsilonLow, 1 + epsilonHigh] (DAPO's asymmetric "clip-higher").
    public var epsilonLow: Double
    public var epsilonHigh: Double
    /// Weight of the k3 KL estimate to the reference policy; 0 disables it (and the reference forward pass).
    public var beta: Double
    /// Multiply the KL term by the importance ratio, as trl 1.16.0 does by default (`use_bias_correction_kl`).
    public var klTimesRatio: Bool

    public init(lossType: GRPOLossType = .drGRPO, epsilonLow: Double = 0.2, epsilonHigh: Double = 0.28, beta: Double = 0,
                klTimesRatio: Bool = true) {
        self.lossType = lossType; self.epsilonLow = epsilonLow; self.epsilonHigh = epsilonHigh; self.beta = beta
        self.klTimesRatio = klTimesRatio
    }

    private enum CodingKeys: String, CodingKey {
        case lossType = "loss_type", epsilonLow = "epsilon_low", epsilonHigh = "epsilon_high", beta
        case klTimesRatio = "use_bias_correction_kl"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GRPOLossConfig()
        lossType = try c.decodeIfPresent(GRPOLossType.self, forKey: .lossType) ?? d.lossType
        epsilonLow = try c.decodeIfPresent(Double.self, forKey: .epsilonLow) ?? d.epsilonLow
        epsilonHigh = try c.decodeIfPresent(Double.self, forKey: .epsilonHigh) ?? d.epsilonHigh
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? d.beta
        klTimesRatio = try c.decodeIfPresent(Bool.self, forKey: .klTimesRatio) ?? d.klTimesRatio
    }
}

/// A value and its derivative with respect to the token's log-probability under the current policy.
public struct ValueAndSlope: Sendable, Equatable {
    public var value: Double
    /// d value / d logp
    public var slope: Double
}

/// The rows of one GRPO batch: per completion token, the current, old (sampling-time) and reference log-probs.
public struct GRPORows: Sendable {
    /// [B][T_b] log p_θ(token) — what the gradient flows into.
    public var logps: [[Float]]
    /// [B][T_b] log p_θ_old(token), fixed for the μ passes over a batch.
    public var oldLogps: [[Float]]
    /// [B][T_b] log p_ref(token) (adapter off); needed only when β ≠ 0.
    public var refLogps: [[Float]]?
    /// [B]
    public var advantages: [Double]
    /// [B][T_b] false = token left out (padding, or a masked truncated completion).
    public var masks: [[Bool]]

    public init(logps: [[Float]], oldLogps: [[Float]], refLogps: [[Float]]? = nil, advantages: [Double], masks: [[Bool]]) {
        precondition(logps.count == oldLogps.count && logps.count == advantages.count && logps.count == masks.count)
        for b in logps.indices {
            precondition(logps[b].count == oldLogps[b].count && logps[b].count == masks[b].count, "row \(b): ragged inputs")
            if let refLogps { precondition(refLogps[b].count == logps[b].count, "row \(b): ragged reference log-probs") }
        }
        self.logps = logps; self.oldLogps = oldLogps; self.refLogps = refLogps; self.advantages = advantages; self.masks = masks
    }

    public var count: Int { logps.count }
    public var tokenCounts: [Int] { masks.map { $0.reduce(0) { $0 + ($1 ? 1 : 0) } } }
}

/// Counters over the unmasked tokens of a batch; sums, so micro-batches merge by adding.
public struct GRPOLossStats: Sendable, Equatable, Codable {
    public var tokens = 0
    /// Σ k3 estimate of KL(π_θ ‖ π_ref) (before any ratio factor); 0 when β = 0.
    public var klSum = 0.0
    /// Tokens whose ratio fell below 1 − ε_low with a negative advantage (the clip is active), as TRL counts them.
    public var clippedLow = 0
    /// Tokens whose ratio rose above 1 + ε_high with a positive advantage.
    public var clippedHigh = 0
    public var ratioSum = 0.0

    public init() {}

    public var meanKL: Double { tokens > 0 ? klSum / Double(tokens) : 0 }
    public var clipLowFraction: Double { tokens > 0 ? Double(clippedLow) / Double(tokens) : 0 }
    public var clipHighFraction: Double { tokens > 0 ? Double(clippedHigh) / Double(tokens) : 0 }
    public var clipFraction: Double { tokens > 0 ? Double(clippedLow + clippedHigh) / Double(tokens) : 0 }
    public var meanRatio: Double { tokens > 0 ? ratioSum / Double(tokens) : 0 }

    public static func + (a: GRPOLossStats, b: GRPOLossStats) -> GRPOLossStats {
        var s = a
        s.tokens += b.tokens; s.klSum += b.klSum; s.clippedLow += b.clippedLow; s.clippedHigh += b.clippedHigh
        s.ratioSum += b.ratioSum
        return s
    }
}

/// The loss of a batch and its gradient per token: dLogps[b][t] = dLoss / dlogps[b][t] (0 at masked tokens) — the
/// input of `TrainableQwen2.backward`.
public struct GRPOLossResult: Sendable {
    public var loss: Double
    /// [B][T_b]
    public var dLogps: [[Float]]
    public var stats: GRPOLossStats
}

/// The GRPO objective as small pure functions (trl 1.16.0 `GRPOTrainer._compute_loss`, grpo_trainer.py line 3020;
/// see Tests/Fixtures/training/grpo.json "note"). Per token, with ratio ρ = exp(logp − old):
///
///     ℓ = −min(ρ·A, clamp(ρ, 1 − ε_low, 1 + ε_high)·A) + β·k3·ρ,   k3 = exp(ref − logp) − (ref − logp) − 1
///
/// and the batch loss is Σ_b w_b Σ_t mask·ℓ with the row weights of the loss type.
public enum GRPOLoss {
    /// −min(ρA, clip(ρ)A) and its slope. Where the clipped term is the smaller one the clamp is active and the slope
    /// is 0; otherwise it is −ρA (torch.minimum splits a tie's gradient, and within the clip range both terms are ρA).
    public static func clippedSurrogate(logp: Double, oldLogp: Double, advantage a: Double, epsilonLow: Double,
                                        epsilonHigh: Double) -> ValueAndSlope {
        let ratio = exp(logp - oldLogp)
        let unclipped = ratio * a
        let clipped = min(max(ratio, 1 - epsilonLow), 1 + epsilonHigh) * a
        if clipped < unclipped { return ValueAndSlope(value: -clipped, slope: 0) }
        return ValueAndSlope(value: -unclipped, slope: -unclipped)
    }

    /// Schulman's k3 estimator of KL(π_θ ‖ π_ref) from one sample: exp(ref − logp) − (ref − logp) − 1 ≥ 0.
    /// d/dlogp = 1 − exp(ref − logp).
    public static func k3(logp: Double, refLogp: Double) -> ValueAndSlope {
        let d = refLogp - logp
        let e = exp(d)
        return ValueAndSlope(value: e - d - 1, slope: 1 - e)
    }

    /// β·k3, times the importance ratio when `timesRatio`: d/dlogp (k3·ρ) = (k3' + k3)·ρ = (logp − ref)·ρ.
    public static func klPenalty(logp: Double, oldLogp: Double, refLogp: Double, beta: Double,
                                 timesRatio: Bool) -> ValueAndSlope {
        let k = k3(logp: logp, refLogp: refLogp)
        guard timesRatio else { return ValueAndSlope(value: beta * k.value, slope: beta * k.slope) }
        let ratio = exp(logp - oldLogp)
        return ValueAndSlope(value: beta * k.value * ratio, slope: beta * (k.value + k.slope) * ratio)
    }

    /// One token's loss and slope (surrogate plus, when β ≠ 0, the KL penalty).
    public static func token(logp: Double, oldLogp: Double, refLogp: Double?, advantage: Double,
                             config: GRPOLossConfig) -> ValueAndSlope {
        var t = clippedSurrogate(logp: logp, oldLogp: oldLogp, advantage: advantage, epsilonLow: config.epsilonLow,
                                 epsilonHigh: config.epsilonHigh)
        if config.beta != 0 {
            guard let refLogp else { preconditionFailure("β ≠ 0 needs reference log-probs") }
            let kl = klPenalty(logp: logp, oldLogp: oldLogp, refLogp: refLogp, beta: config.beta, timesRatio: config.klTimesRatio)
            t.value += kl.value
            t.slope += kl.slope
        }
        return t
    }

    /// Weight w_b of row b's masked token sum in the batch loss:
    /// grpo 1 / (B · max(1, n_b)); dr_grpo 1 / (B · maxCompletionLength); dapo 1 / max(1, Σ n).
    public static func rowWeights(tokenCounts n: [Int], lossType: GRPOLossType, maxCompletionLength: Int) -> [Double] {
        let B = Double(n.count)
        switch lossType {
        case .grpo:
            return n.map { 1 / (B * Double(max(1, $0))) }
        case .drGRPO:
            precondition(maxCompletionLength > 0, "dr_grpo needs max_completion_length > 0")
            return n.map { _ in 1 / (B * Double(maxCompletionLength)) }
        case .dapo:
            let total = Double(max(1, n.reduce(0, +)))
            return n.map { _ in 1 / total }
        }
    }

    /// The batch loss and dLoss/dlogp per token. `rowWeights` defaults to those of `rows` as the whole batch; pass
    /// the weights computed over the full batch when `rows` is one micro-batch of it (then losses and gradients of
    /// the micro-batches add up to the full batch's).
    public static func compute(_ rows: GRPORows, config: GRPOLossConfig, maxCompletionLength: Int,
                               rowWeights: [Double]? = nil) -> GRPOLossResult {
        let w = rowWeights ?? Self.rowWeights(tokenCounts: rows.tokenCounts, lossType: config.lossType,
                                              maxCompletionLength: maxCompletionLength)
        precondition(w.count == rows.count)
        var loss = 0.0
        var stats = GRPOLossStats()
        var grads: [[Float]] = []
        grads.reserveCapacity(rows.count)
        for b in 0..<rows.count {
            let a = rows.advantages[b]
            var g = [Float](repeating: 0, count: rows.logps[b].count)
            var rowSum = 0.0
            for t in g.indices where rows.masks[b][t] {
                let lp = Double(rows.logps[b][t]), old = Double(rows.oldLogps[b][t])
                let ref = rows.refLogps.map { Double($0[b][t]) }
                let tl = token(logp: lp, oldLogp: old, refLogp: ref, advantage: a, config: config)
                rowSum += tl.value
                g[t] = Float(w[b] * tl.slope)
                let ratio = exp(lp - old)
                stats.tokens += 1
                stats.ratioSum += ratio
                if ratio < 1 - config.epsilonLow && a < 0 { stats.clippedLow += 1 }
                if ratio > 1 + config.epsilonHigh && a > 0 { stats.clippedHigh += 1 }
                if config.beta != 0, let ref { stats.klSum += k3(logp: lp, refLogp: ref).value }
            }
            loss += w[b] * rowSum
            grads.append(g)
        }
        return GRPOLossResult(loss: loss, dLogps: grads, stats: stats)
    }
}
