import Foundation
import Testing
@testable import Scoring

/// A tiny random model over the real Qwen2 vocabulary: its reasoning is noise, so every well-formed answer it gives is
/// the grammar's doing.
enum TinyScoringModel {
    static let config: Qwen2Config = {
        Qwen2Config(vocabSize: 151_936, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
                    numAttentionHeads: 4, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
                    maxPositionEmbeddings: 4096, tieWordEmbeddings: true)
    }()
    static let model = Qwen2Model.random(config: config, format: .f32, seed: 5)
    static let tokenizer: Tokenizer = try! Tokenizer.load(directory: TestPaths.qwen2Tokenizer)

    static func scorer(_ configure: (inout ScorerOptions) -> Void = { _ in }) throws -> Scorer {
        var o = ScorerOptions()
        o.maxNewTokens = 360
        configure(&o)
        return try Scorer(model: model, tokenizer: tokenizer, prompt: .default, baseModelID: "tiny-random", options: o)
    }
}

@Suite(.serialized) struct ScorerTests {
    @Test func everyAnswerIsWellFormedWhateverTheModelPrefers() async throws {
        let scorer = try TinyScoringModel.scorer()
        defer { scorer.shutdown() }
        let r = try await scorer.score("这是一段需要检测的文本。")
        #expect(r.formatOK, "problems: \(r.problems); raw: \(r.rawOutput.suffix(400))")
        #expect(r.scores != nil)
        #expect(r.confidence.count == 9)
        for (_, c) in r.confidence { #expect(c > 0 && c <= 1) }
        #expect(r.completionTokens <= 360)
        #expect(r.adapterID == nil)
        #expect(AnswerParser.parse(r.rawOutput).scores == r.scores)
    }

    @Test func concurrentRequestsAreBatchedAndAllAnswered() async throws {
        let scorer = try TinyScoringModel.scorer { $0.maxBatch = 4 }
        defer { scorer.shutdown() }
        let batchSizes = LockedBox<[Int]>([])
        scorer.observeSteps { step in batchSizes.mutate { $0.append(step.sequences) } }
        let texts = (0..<6).map { "测试文本 \($0)：今天天气很好。" }
        let results = try await withThrowingTaskGroup(of: ScoreResult.self) { group in
            for t in texts { group.addTask { try await scorer.score(t) } }
            var out: [ScoreResult] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(results.count == 6)
        let allWellFormed = results.allSatisfy { $0.formatOK }
        #expect(allWellFormed)
        let largest = batchSizes.value.max() ?? 0
        #expect(largest > 1, "requests were never decoded together")
        #expect(largest <= 4)
    }

    @Test func theSameTextScoredTwiceGivesTheSameAnswer() async throws {
        let scorer = try TinyScoringModel.scorer()
        defer { scorer.shutdown() }
        let a = try await scorer.score("重复的文本")
        let b = try await scorer.score("重复的文本")
        #expect(a.rawOutput == b.rawOutput)
        #expect(a.scores == b.scores)
    }

    @Test func aFullQueueRefusesWithATypedError() async throws {
        let scorer = try TinyScoringModel.scorer { $0.maxBatch = 1; $0.queueCapacity = 1 }
        defer { scorer.shutdown() }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do { _ = try await scorer.score("文本 \(i)"); return "ok" } catch let e as ScorerError {
                        return e == .queueFull(capacity: 1) ? "full" : "other"
                    } catch { return "other" }
                }
            }
            var all: [String] = []
            for await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.contains("full"))
        #expect(outcomes.contains("ok"))
        #expect(!outcomes.contains("other"))
    }

    @Test func emptyTextsAreRefusedAndTextsPastOnePassAreScoredInWindows() async throws {
        let scorer = try TinyScoringModel.scorer { $0.maxPromptTokens = 700 }
        defer { scorer.shutdown() }
        await #expect(throws: ScorerError.emptyText) { try await scorer.score("") }
        let text = String(repeating: "很长的文本。", count: 200)
        #expect(scorer.promptIDs(for: text).count > 700)
        let r = try await scorer.score(text)
        #expect(r.windows.count > 1)
        for w in r.windows { #expect(scorer.promptIDs(for: text.scalarSlice(w.span)).count <= 700) }
    }

    @Test func requestsKeepTheAdapterTheyStartedWith() async throws {
        let scorer = try TinyScoringModel.scorer { $0.maxBatch = 8 }
        defer { scorer.shutdown() }
        let model = TinyScoringModel.model
        let cfg = LoRAConfig(r: 2, alpha: 4, targets: [.q, .v])
        let a1 = LoRAAdapter.fresh(id: "v1", model: model, config: cfg, seed: 1)
        let a2 = LoRAAdapter.fresh(id: "v2", model: model, config: cfg, seed: 2)
        scorer.setAdapter(a1)
        let steps = LockedBox(0)
        scorer.observeSteps { _ in steps.mutate { $0 += 1 } }
        let first = Task { try await scorer.score("第一条") }
        // Swap once the first request is decoding.
        for _ in 0..<500 where steps.value < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(steps.value >= 3)
        scorer.setAdapter(a2)
        let second = try await scorer.score("第二条")
        let r1 = try await first.value
        #expect(r1.adapterID == "v1")
        #expect(second.adapterID == "v2")
        #expect(scorer.adapterID == "v2")
    }
}

/// A value behind a lock, for collecting results from concurrent callbacks in tests.
final class LockedBox<T>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

@Suite struct PaddedVocabularyTests {
    /// Qwen2 checkpoints pad the embedding past the tokenizer (151,936 rows, 151,665 tokens): an id without text is
    /// counted as a violation instead of crashing, and the limit is exposed so samplers can ban those ids.
    @Test func idsPastTheTokenizerAreViolationsNotCrashes() throws {
        let tok = TinyScoringModel.tokenizer
        let grammar = try AnswerGrammar(tokenBytes: tok.allTokenBytes, eosTokenIDs: tok.eosTokenIDs, specialTokenIDs: tok.specialTokenIDs)
        var c = ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve)
        #expect(c.vocabularyLimit == tok.vocabularySize)
        c.advance(token: 151_900, probability: 1)
        #expect(c.state.violations == 1)
        #expect(!c.isComplete)
    }
}
