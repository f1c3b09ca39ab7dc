import Foundation
import Testing
@testable import Training

/// GRPO against trl 1.16.0 on the fixed batch of Tests/Fixtures/training/grpo.json (2 prompts × 4 completions on
/// tiny-gqa + tiny-gqa-lora-init): advantages, and the loss of 8 configurations from the fixture's own log-probs.
@Suite struct RLGRPOParityTests {
    @Test func advantagesEqualTRLs() throws {
        let fx = try GRPOFixture.load()
        for scaling in AdvantageScaling.allCases {
            let ours = GRPOAdvantages.compute(rewards: fx.rewards, groupSize: fx.num_generations, scaling: scaling)
            let trl = fx.advantages[scaling.rawValue]!
            let worst = zip(ours, trl).map { abs($0 - $1) }.max()!
            // TRL computes in float32; its values are stored as float32.
            #expect(worst < 1e-6, "\(scaling): max |Δ| = \(worst)")
        }
    }

    @Test func lossFromTheFixtureLogProbsEqualsTRLs() throws {
        let fx = try GRPOFixture.load()
        var worst = 0.0
        for (key, c) in fx.configs.sorted(by: { $0.key < $1.key }) {
            let rows = GRPORows(logps: fx.per_token_logps, oldLogps: fx.old_per_token_logps, refLogps: fx.ref_per_token_logps,
                                advantages: fx.advantages[c.scale_rewards]!, masks: fx.masks)
            let r = GRPOLoss.compute(rows, config: fx.lossConfig(c), maxCompletionLength: fx.settings.max_completion_length)
            let d = abs(r.loss - c.loss)
            worst = max(worst, d)
            print("grpo parity \(key): ours \(r.loss) TRL \(c.loss) |Δ| \(d)")
            #expect(d < 1e-5, "\(key): ours \(r.loss), TRL \(c.loss)")
            // The clip counters agree with the fixture's (only their A-signed parts count as clipped).
            if key.hasSuffix("-none") || key.hasSuffix("-group") {
                #expect(r.stats.tokens == fx.masks.joined().filter { $0 }.count)
            }
        }
        print("grpo parity: worst |Δloss| over \(fx.configs.count) configs = \(worst)")
    }

    @Test func fixtureRatiosClipAsRecorded() throws {
        let fx = try GRPOFixture.load()
        var low = 0, high = 0
        for b in fx.masks.indices {
            for t in fx.masks[b].indices where fx.masks[b][t] {
                let ratio = exp(Double(fx.per_token_logps[b][t]) - Double(fx.old_per_token_logps[b][t]))
                if ratio < 0.8 { low += 1 }
                if ratio > 1.28 { high += 1 }
            }
        }
        #expect(low == fx.tokens_clipped_low && high == fx.tokens_clipped_high)
        #expect(low + high > 0, "the fixture exercises clipping")
    }
}
