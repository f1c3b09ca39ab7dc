import Foundation
import Testing
@testable import Training

/// The GRPO pieces on hand-computed values, and finite-difference checks of every dLoss/dlogp.
@Suite struct RLGRPOMathTests {
    func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool { abs(a - b) <= tol }

    // MARK: Advantages

    @Test func advantagesSubtractTheGroupMean() {
        // Groups [1, 0, 0.5, 0.25] (mean 0.4375) and [0.2, 0.9, 0.9, 0.1] (mean 0.525).
        let a = GRPOAdvantages.compute(rewards: [1, 0, 0.5, 0.25, 0.2, 0.9, 0.9, 0.1], groupSize: 4, scaling: .none)
        let expected = [0.5625, -0.4375, 0.0625, -0.1875, -0.325, 0.375, 0.375, -0.425]
        for (x, y) in zip(a, expected) { #expect(close(x, y)) }
    }

    @Test func groupScalingDividesByBesselStdPlusEpsilon() {
        // Σ(r − mean)² = 0.31640625 + 0.19140625 + 0.00390625 + 0.03515625 = 0.546875; / (n − 1) = 0.18229166…
        let std = (0.546875 / 3).squareRoot()
        let a = GRPOAdvantages.compute(rewards: [1, 0, 0.5, 0.25], groupSize: 4, scaling: .group)
        #expect(close(a[0], 0.5625 / (std + 1e-4)))
        #expect(close(a[3], -0.1875 / (std + 1e-4)))
        #expect(close(a[0], 1.3171565532684326, 1e-7), "TRL's value")
    }

    @Test func tiedGroupsHaveZeroAdvantageAndAreFlagged() {
        let r = [0.5, 0.5, 0.5, 0.5, 0, 1, 0, 1]
        #expect(GRPOAdvantages.tiedGroups(rewards: r, groupSize: 4) == [true, false])
        for scaling in AdvantageScaling.allCases {
            let a = GRPOAdvantages.compute(rewards: r, groupSize: 4, scaling: scaling)
            #expect(a[0..<4].allSatisfy { $0 == 0 }, "\(scaling): no NaN from a zero std")
        }
        #expect(GRPOAdvantages.tiedGroups(rewards: [1, 1 + 1e-12], groupSize: 2) == [true])
        #expect(GRPOAdvantages.tiedGroups(rewards: [1, 1 + 1e-6], groupSize: 2) == [false])
    }

    // MARK: Per-token terms

    @Test func surrogateInsideTheClipRangeIsMinusRatioTimesAdvantage() {
        let t = GRPOLoss.clippedSurrogate(logp: -2, oldLogp: -2, advantage: 2, epsilonLow: 0.2, epsilonHigh: 0.28)
        #expect(t == ValueAndSlope(value: -2, slope: -2))
        let r = exp(0.1)  // 1.105…, inside [0.8, 1.28]
        let u = GRPOLoss.clippedSurrogate(logp: -1.9, oldLogp: -2, advantage: -1, epsilonLow: 0.2, epsilonHigh: 0.28)
        #expect(close(u.value, r) && close(u.slope, r))
    }

    @Test func surrogateClipsOnlyInTheDirectionTheAdvantagePushes() {
        let hi = exp(0.5), lo = exp(-0.5)  // 1.6487 above 1.28; 0.6065 below 0.8
        // A > 0, ratio too high: clipped, no gradient.
        #expect(GRPOLoss.clippedSurrogate(logp: 0.5, oldLogp: 0, advantage: 1, epsilonLow: 0.2, epsilonHigh: 0.28)
            == ValueAndSlope(value: -1.28, slope: 0))
        // A < 0, ratio too high: the unclipped term is the smaller; full gradient.
        let b = GRPOLoss.clippedSurrogate(logp: 0.5, oldLogp: 0, advantage: -1, epsilonLow: 0.2, epsilonHigh: 0.28)
        #expect(close(b.value, hi) && close(b.slope, hi))
        // A < 0, ratio too low: clipped at 0.8.
        let c = GRPOLoss.clippedSurrogate(logp: -0.5, oldLogp: 0, advantage: -1, epsilonLow: 0.2, epsilonHigh: 0.28)
        #expect(close(c.value, 0.8) && c.slope == 0)
        // A > 0, ratio too low: unclipped.
        let d = GRPOLoss.clippedSurrogate(logp: -0.5, oldLogp: 0, advantage: 1, epsilonLow: 0.2, epsilonHigh: 0.28)
        #expect(close(d.value, -lo) && close(d.slope, -lo))
    }

    @Test func k3IsZeroAtTheReferenceAndPositiveElsewhere() {
        #expect(GRPOLoss.k3(logp: -3, refLogp: -3) == ValueAndSlope(value: 0, slope: 0))
        // logp = ref + ln 2: exp(−ln 2) + ln 2 − 1 = ln 2 − 0.5; slope 1 − 0.5.
        let k = GRPOLoss.k3(logp: -3 + log(2), refLogp: -3)
        #expect(close(k.value, log(2) - 0.5) && close(k.slope, 0.5))
    }

    @Test func klPenaltyTimesRatioHasSlopeBetaRatioTimesLogRatioToReference() {
        let (lp, old, ref, beta) = (-2.0, -2.3, -2.5, 0.04)
        let rho = exp(lp - old)
        let k3 = exp(ref - lp) - (ref - lp) - 1
        let t = GRPOLoss.klPenalty(logp: lp, oldLogp: old, refLogp: ref, beta: beta, timesRatio: true)
        #expect(close(t.value, beta * k3 * rho))
        #expect(close(t.slope, beta * rho * (lp - ref)))
        let plain = GRPOLoss.klPenalty(logp: lp, oldLogp: old, refLogp: ref, beta: beta, timesRatio: false)
        #expect(close(plain.value, beta * k3) && close(plain.slope, beta * (1 - exp(ref - lp))))
    }

    @Test func tokenSlopesMatchFiniteDifferences() {
        let h = 1e-6
        var worst = 0.0
        for a in [-1.3, -0.2, 0.7, 2.0] {
            // ratios 0.5, 0.9, 1.0, 1.2, 1.5 — none within h of a clip bound
            for off in [log(0.5), log(0.9), 0, log(1.2), log(1.5)] {
                for (beta, timesRatio) in [(0.0, true), (0.04, true), (0.1, false)] {
                    let cfg = GRPOLossConfig(lossType: .grpo, beta: beta, klTimesRatio: timesRatio)
                    let (old, ref) = (-2.0, -1.7)
                    let f = { (lp: Double) in GRPOLoss.token(logp: lp, oldLogp: old, refLogp: ref, advantage: a, config: cfg).value }
                    let lp = old + off
                    let numeric = (f(lp + h) - f(lp - h)) / (2 * h)
                    let analytic = GRPOLoss.token(logp: lp, oldLogp: old, refLogp: ref, advantage: a, config: cfg).slope
                    worst = max(worst, abs(numeric - analytic))
                }
            }
        }
        #expect(worst < 1e-7, "max |numeric − analytic| = \(worst)")
    }

    // MARK: Aggregation

    @Test func rowWeightsFollowTheLossType() {
        let n = [6, 3, 0]
        let g = GRPOLoss.rowWeights(tokenCounts: n, lossType: .grpo, maxCompletionLength: 6)
        #expect(close(g[0], 1.0 / 18) && close(g[1], 1.0 / 9) && close(g[2], 1.0 / 3))
        #expect(GRPOLoss.rowWeights(tokenCounts: n, lossType: .drGRPO, maxCompletionLength: 6).allSatisfy { close($0, 1.0 / 18) })
        #expect(GRPOLoss.rowWeights(tokenCounts: n, lossType: .dapo, maxCompletionLength: 6).allSatisfy { close($0, 1.0 / 9) })
    }

    /// Two rows, ratio 1 everywhere (old = current): each token's loss is −A.
    /// Row 0: A = 1, 2 tokens; row 1: A = −0.5, 1 token (+ 1 masked).
    func handBatch() -> GRPORows {
        GRPORows(logps: [[-1, -2], [-3, -4]], oldLogps: [[-1, -2], [-3, -4]], advantages: [1, -0.5],
                 masks: [[true, true], [true, false]])
    }

    @Test func grpoLossAveragesPerSequenceThenOverSequences() {
        let r = GRPOLoss.compute(handBatch(), config: GRPOLossConfig(lossType: .grpo), maxCompletionLength: 4)
        // ((−1 − 1) / 2 + 0.5 / 1) / 2 = −0.25
        #expect(close(r.loss, -0.25))
        #expect(r.dLogps == [[-0.25, -0.25], [0.25, 0]])
    }

    @Test func drGRPOLossDividesByRowsTimesMaxLength() {
        let r = GRPOLoss.compute(handBatch(), config: GRPOLossConfig(lossType: .drGRPO), maxCompletionLength: 4)
        // (−1 − 1 + 0.5) / (2 · 4)
        #expect(close(r.loss, -1.5 / 8))
        #expect(r.dLogps == [[-0.125, -0.125], [0.0625, 0]])
    }

    @Test func dapoLossAveragesOverAllTokens() {
        let r = GRPOLoss.compute(handBatch(), config: GRPOLossConfig(lossType: .dapo), maxCompletionLength: 4)
        #expect(close(r.loss, -1.5 / 3))
        #expect(r.dLogps[0][0] == Float(-1.0 / 3) && r.dLogps[1][1] == 0)
    }

    @Test func statsCountClippedTokensAsTRL() {
        // Row 0 (A > 0): ratios e^0.5 (high-clipped), 1; row 1 (A < 0): e^−0.5 (low-clipped), e^0.5 (not clipped).
        let rows = GRPORows(logps: [[0.5, 0], [-0.5, 0.5]], oldLogps: [[0, 0], [0, 0]], refLogps: [[0, 0], [0, 0]],
                            advantages: [1, -1], masks: [[true, true], [true, true]])
        let r = GRPOLoss.compute(rows, config: GRPOLossConfig(lossType: .dapo, beta: 0.1), maxCompletionLength: 2)
        #expect(r.stats.tokens == 4 && r.stats.clippedHigh == 1 && r.stats.clippedLow == 1)
        #expect(close(r.stats.clipFraction, 0.5))
        let k = 2 * (exp(-0.5) + 0.5 - 1) + (exp(0.5) - 0.5 - 1)
        #expect(close(r.stats.meanKL, k / 4))
    }

    /// The batch loss against central differences in each unmasked log-prob. Inputs are multiples of 2⁻¹⁰ and the step
    /// is 2⁻⁸, so Float holds every perturbed input exactly and the difference quotient is computed in Double.
    @Test func batchGradientsMatchFiniteDifferences() {
        var rng = SystemRandomNumberGenerator()
        func q(_ x: Double) -> Float { Float((x * 1024).rounded() / 1024) }
        let B = 5, T = 4
        var logps: [[Float]] = [], old: [[Float]] = [], ref: [[Float]] = [], masks: [[Bool]] = []
        for b in 0..<B {
            var l: [Float] = [], o: [Float] = [], r: [Float] = [], m: [Bool] = []
            for t in 0..<T {
                let lp = q(Double.random(in: -6 ... -1, using: &rng))
                // ratios 0.6, 0.95, 1.1, 1.45: at least 0.1 from a clip bound
                let off = [log(0.6), log(0.95), log(1.1), log(1.45)][(b + t) % 4]
                l.append(lp); o.append(q(Double(lp) - off)); r.append(q(Double(lp) + Double.random(in: -1...1, using: &rng)))
                m.append(!(b == 4 && t >= 2))
            }
            logps.append(l); old.append(o); ref.append(r); masks.append(m)
        }
        let adv = [0.8, -0.6, 1.5, -1.1, 0.3]
        let h = 1.0 / 256
        for lossType in GRPOLossType.allCases {
            for beta in [0.0, 0.04] {
                let cfg = GRPOLossConfig(lossType: lossType, beta: beta)
                let rows = GRPORows(logps: logps, oldLogps: old, refLogps: ref, advantages: adv, masks: masks)
                let analytic = GRPOLoss.compute(rows, config: cfg, maxCompletionLength: 6).dLogps
                var worst = 0.0, scale = 0.0
                for b in 0..<B {
                    for t in 0..<T {
                        func loss(_ d: Double) -> Double {
                            var p = logps
                            p[b][t] = Float(Double(p[b][t]) + d)
                            return GRPOLoss.compute(GRPORows(logps: p, oldLogps: old, refLogps: ref, advantages: adv, masks: masks),
                                                    config: cfg, maxCompletionLength: 6).loss
                        }
                        let numeric = (loss(h) - loss(-h)) / (2 * h)
                        worst = max(worst, abs(numeric - Double(analytic[b][t])))
                        scale = max(scale, abs(numeric))
                        if !masks[b][t] { #expect(analytic[b][t] == 0) }
                    }
                }
                #expect(worst <= 1e-3 * scale, "\(lossType) β=\(beta): max |numeric − analytic| = \(worst) (max |g| \(scale))")
            }
        }
    }

    @Test func microBatchesWithFullBatchWeightsAddUpToTheWholeBatch() {
        let rows = GRPORows(logps: [[-1, -2], [-3, -4], [-2, -2]], oldLogps: [[-1.1, -2], [-2.9, -4.2], [-2, -1.8]],
                            advantages: [1, -0.5, 0.2], masks: [[true, true], [true, false], [true, true]])
        for lossType in GRPOLossType.allCases {
            let cfg = GRPOLossConfig(lossType: lossType)
            let whole = GRPOLoss.compute(rows, config: cfg, maxCompletionLength: 3)
            let w = GRPOLoss.rowWeights(tokenCounts: rows.tokenCounts, lossType: lossType, maxCompletionLength: 3)
            var sum = 0.0
            var grads: [[Float]] = []
            for b in 0..<3 {
                let one = GRPORows(logps: [rows.logps[b]], oldLogps: [rows.oldLogps[b]], advantages: [rows.advantages[b]],
                                   masks: [rows.masks[b]])
                let r = GRPOLoss.compute(one, config: cfg, maxCompletionLength: 3, rowWeights: [w[b]])
                sum += r.loss
                grads += r.dLogps
            }
            #expect(close(sum, whole.loss, 1e-12), "\(lossType)")
            #expect(grads == whole.dLogps, "\(lossType)")
        }
    }
}
