import Foundation
import Testing
@testable import Training

/// Which prompts each GRPO step of a retrain samples: the corrections, and with `grpo_replay_share` texts they do not
/// cover, so the reward also pays for leaving a text alone.
@Suite struct GRPOBatchPlanTests {
    @Test func withoutAShareEveryPromptIsACorrectionAndEachComesUpOnceBeforeAnyRepeats() {
        let plan = RetrainPipeline.grpoBatches(corrections: 10, others: 50, steps: 5, perStep: 4, othersShare: 0, seed: 3)
        #expect(plan.count == 5 && plan.allSatisfy { $0.count == 4 && $0.allSatisfy { !$0.other } })
        let flat = plan.flatMap { $0.map(\.index) }
        #expect(Set(flat.prefix(10)) == Set(0..<10), "the first 10 picks are the 10 corrections, once each")
        #expect(Set(flat.dropFirst(10).prefix(10)) == Set(0..<10))
    }

    @Test func aShareTakesThatPartOfEachBatchFromTheOthers() {
        let plan = RetrainPipeline.grpoBatches(corrections: 7, others: 9, steps: 9, perStep: 4, othersShare: 0.5, seed: 1)
        #expect(plan.allSatisfy { b in b.filter(\.other).count == 2 && b.filter { !$0.other }.count == 2 })
        let others = plan.flatMap { $0.filter(\.other).map(\.index) }
        #expect(Set(others.prefix(9)) == Set(0..<9) && others.allSatisfy { (0..<9).contains($0) })
        let corrections = plan.flatMap { $0.filter { !$0.other }.map(\.index) }
        #expect(Set(corrections.prefix(7)) == Set(0..<7) && corrections.allSatisfy { (0..<7).contains($0) })
    }

    @Test func aBatchKeepsAtLeastOneCorrectionAndASmallShareAtLeastOneOther() {
        let most = RetrainPipeline.grpoBatches(corrections: 5, others: 5, steps: 3, perStep: 4, othersShare: 0.99, seed: 0)
        #expect(most.allSatisfy { b in b.filter(\.other).count == 3 && b.filter { !$0.other }.count == 1 })
        let small = RetrainPipeline.grpoBatches(corrections: 5, others: 5, steps: 3, perStep: 4, othersShare: 0.05, seed: 0)
        #expect(small.allSatisfy { b in b.filter(\.other).count == 1 && b.count == 4 })
        // Nothing to mix in, or a batch of one: corrections only.
        #expect(RetrainPipeline.grpoBatches(corrections: 5, others: 0, steps: 2, perStep: 4, othersShare: 0.5, seed: 0)
            .allSatisfy { $0.count == 4 && $0.allSatisfy { !$0.other } })
        #expect(RetrainPipeline.grpoBatches(corrections: 5, others: 5, steps: 2, perStep: 1, othersShare: 0.5, seed: 0)
            .allSatisfy { $0.count == 1 && !$0[0].other })
        #expect(RetrainPipeline.grpoBatches(corrections: 0, others: 5, steps: 2, perStep: 4, othersShare: 0.5, seed: 0).isEmpty)
    }

    @Test func theShareIsValidated() throws {
        for bad in ["1", "-0.1", "1.5"] {
            #expect(throws: RetrainError.self) { _ = try RetrainConfig.load(overriding: Data(#"{"grpo_replay_share": \#(bad)}"#.utf8)) }
        }
        #expect(try RetrainConfig.load(overriding: Data(#"{"grpo_replay_share": 0.5}"#.utf8)).grpoReplayShare == 0.5)
        #expect(RetrainConfig().grpoReplayShare == 0)
    }
}
