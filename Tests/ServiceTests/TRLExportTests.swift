import Foundation
import Hummingbird
import HummingbirdTesting
import Scoring
import Testing
@testable import Service
import Storage
import Training

/// `safety-server export trl` writes what the next retrain would train and be judged on, with the scorer's prompt.
@Suite(.serialized) struct TRLExportTests {
    @Test func theExportHoldsTheRetrainsDataWithTheScorersPrompts() async throws {
        let t = try await AdapterImportTests().makeApp()
        defer { Task { await t.close() } }
        let scored: [(id: String, text: String)] = try await t.application.test(.router) { client in
            var scored: [(id: String, text: String)] = []
            for (i, text) in AdapterImportTests.texts.enumerated() {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "\#(text)"}"#)
                let id = try #require(r.body["id"] as? String)
                // Every third correction flags bias and has no reasoning: the retrain states one from the scores.
                let flagged = i % 3 == 0
                let body = flagged ? #"{"scores": \#(scoresJSON(100, override: ["带有偏见、仇恨、歧视或侮辱": "35"]))}"#
                                   : #"{"scores": \#(scoresJSON(100)), "reasoning": "文本描述天气和交通，未发现问题。"}"#
                #expect(try await client.call(.post, "/v1/requests/\(id)/corrections", key: t.reviewerKey, json: body).status == .created)
                scored.append((id, text))
            }
            return scored
        }
        let heldOutTexts = Set(scored.filter { HeldOut.contains(requestID: $0.id, fraction: 0.25) }.map(\.text))
        let trainTexts = Set(scored.map(\.text)).subtracting(heldOutTexts)
        #expect(!heldOutTexts.isEmpty && !trainTexts.isEmpty)
        let out = t.directory.appendingPathComponent("export")
        let cfg = t.service.configuration
        let manifest = try await TRLExport.write(database: t.service.database, configuration: cfg, modelConfig: LearningModel.model.config,
                                                 tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt, out: out)

        func rows(_ name: String) throws -> [[String: Any]] {
            let text = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
            return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        let train = try rows("train.jsonl"), grpo = try rows("grpo.jsonl"), held = try rows("held_out.jsonl"), control = try rows("control.jsonl")
        #expect(Set(train.compactMap { $0["text"] as? String }) == trainTexts, "train holds exactly the non-held-out corrections")
        #expect(Set(held.compactMap { $0["text"] as? String }) == heldOutTexts, "held_out holds exactly the held-out corrections")
        #expect(grpo.count == train.count && control.isEmpty)
        #expect(manifest.files["train"]?.rows == train.count && manifest.files["held_out"]?.rows == held.count)
        for row in train + held {
            let text = try #require(row["text"] as? String)
            let scores = try #require(row["scores"] as? [String: Int])
            #expect(Set(scores.keys) == Set(Dimension.allCases.map(\.key)))
            let dims = try DimensionScores(values: Dimension.allCases.map { scores[$0.key] ?? -1 })
            let reasoning = try #require(row["reasoning"] as? String)
            // The prompt is the scorer's own input; the completion the canonical answer the retrain trains on.
            #expect(row["prompt"] as? String == LearningModel.prompt.renderChatML(text: text))
            #expect(row["completion"] as? String == ScoringPrompt.completion(reasoning: reasoning, scores: dims))
            if dims[.bias] == 35 {
                #expect(reasoning == ReferenceReasoning.describe(dims), "a correction without a reasoning gets one stated from its scores")
            } else {
                #expect(reasoning == "文本描述天气和交通，未发现问题。")
            }
        }
        #expect(train.allSatisfy { $0["source"] as? String == "correction" } && held.allSatisfy { $0["source"] as? String == "held_out" })
        // The reward's TF-IDF corpus: the reviewers' own reasonings of the training corrections (none for the bias ones).
        let corpus = try JSONDecoder().decode([String].self, from: Data(contentsOf: out.appendingPathComponent("reward_corpus.json")))
        #expect(corpus.count == train.filter { ($0["scores"] as? [String: Int])?["带有偏见、仇恨、歧视或侮辱"] == 100 }.count)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
        let reward = try #require(written["reward"] as? [String: Double])
        #expect(reward["score_error_scale"] == 0.5 && reward["exact_score_bonus"] == 2 && reward["unparseable_penalty"] == -500)
        #expect((written["prompt"] as? [String: Any])?["system"] as? String == LearningModel.prompt.system)
        #expect(written["min_held_out"] as? Int == 3 && written["run_seed"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("README.md").path))

        // Never over an earlier export; nothing to train on is the retrain's own refusal.
        await #expect(throws: TRLExport.ExportError.outputNotEmpty(out.path)) {
            try await TRLExport.write(database: t.service.database, configuration: cfg, modelConfig: LearningModel.model.config,
                                      tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt, out: out)
        }
        let empty = try await AdapterImportTests().makeApp()
        defer { Task { await empty.close() } }
        await #expect(throws: TRLExport.ExportError.noTrainingData(heldOut: 0)) {
            try await TRLExport.write(database: empty.service.database, configuration: empty.service.configuration, modelConfig: LearningModel.model.config,
                                      tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt, out: empty.directory.appendingPathComponent("x"))
        }
    }
}
