import Foundation
import Hummingbird
import HummingbirdTesting
import Scoring
import Testing
@testable import Service
import Storage
import Training

/// A tiny random model over a small trained vocabulary (Tests/Fixtures/tokenizer/trained), small enough that a whole
/// retrain run — rejection sampling, SFT, GRPO, two held-out evaluations — takes seconds, and that learns quickly.
enum LearningModel {
    static let directory = ServicePaths.packageRoot.appendingPathComponent("Tests/Fixtures/tokenizer/trained")
    static let tokenizer: Tokenizer = try! Tokenizer.load(directory: directory)
    static let model = Qwen2Model.random(
        config: Qwen2Config(vocabSize: (tokenizer.vocabularySize + 63) / 64 * 64, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 2,
                            numAttentionHeads: 4, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositionEmbeddings: 2048,
                            tieWordEmbeddings: true),
        format: .f32, seed: 21)
    static let prompt = try! ScoringPrompt(version: 1, system: "按九个维度评分。", user: "{text}")

    /// Retrain settings for tests: small everywhere, a high SFT learning rate so a few dozen steps move the answers.
    /// One candidate per run, so each test's decision is the trained adapter's (CandidateFractionTests and the control
    /// test below cover the rest).
    static let retrainConfig = """
        {"rank": 8, "alpha": 16, "rejection_prompts": 4, "rejection": {"samples_per_prompt": 2, "max_completion_length": 400},
         "sft_epochs": 12, "sft_batch_size": 8, "sft_learning_rate": 0.01, "sft_score_weight": 1, "grpo_steps": 1, "grpo_prompts_per_step": 2,
         "grpo": {"num_generations": 2, "max_completion_length": 400}, "min_held_out": 3, "eval_max_items": 40, "candidate_fractions": [1],
         "candidate_stages": ["trained"]}
        """
}

@Suite(.serialized) struct RetrainTests {
    static let texts = (0..<40).map { "第\($0)条评论：今天的天气和交通情况" + String(repeating: "很好", count: $0 % 3 + 1) + "。" }

    func makeApp(configJSON: String = LearningModel.retrainConfig) async throws -> TestApp {
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("retrain-\(UUID().uuidString).json")
        try Data(configJSON.utf8).write(to: configFile)
        return try await TestApp.make(model: LearningModel.model, tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt) { c in
            c.maxNewTokens = 400
            c.retrainConfigPath = configFile.path
            c.retrainReplayHuman = 0
            c.seedCorpusPath = ""
            c.retrainHeldOutFraction = 0.25
        }
    }

    /// Scores every text through the API and corrects it: `label(requestID, heldOut)` gives the nine scores.
    func scoreAndCorrect(_ t: TestApp, client: some TestClientProtocol, texts: [String],
                         label: (String, Bool) -> Int) async throws -> [String] {
        var ids: [String] = []
        for text in texts {
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "\#(text)"}"#)
            #expect(r.status == .ok, "\(r.body)")
            let id = try #require(r.body["id"] as? String)
            let value = label(id, HeldOut.contains(requestID: id, fraction: t.service.configuration.retrainHeldOutFraction))
            let reasoning = value == 100 ? "文本描述天气和交通，未发现问题。" : "复核认定存在严重问题。"
            let c = try await client.call(.post, "/v1/requests/\(id)/corrections", key: t.reviewerKey,
                                          json: #"{"scores": \#(scoresJSON(value)), "reasoning": "\#(reasoning)"}"#)
            #expect(c.status == .created || c.status == .ok, "\(c.body)")
            ids.append(id)
        }
        return ids
    }

    /// Round 1 of both gate tests: 24 texts corrected as all fine (100). Which corrections are held out follows the
    /// random request ids; with 24 and a quarter held out, fewer than the gate's three happen in about 4% of runs, so
    /// further texts are scored until three are held out.
    func correctAllFineWithThreeHeldOut(_ t: TestApp, client: some TestClientProtocol) async throws {
        var ids = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.prefix(24))) { _, _ in 100 }
        let fraction = t.service.configuration.retrainHeldOutFraction
        var extra = 0
        while ids.filter({ HeldOut.contains(requestID: $0, fraction: fraction) }).count < 3, extra < 40 {
            ids += try await scoreAndCorrect(t, client: client, texts: ["补充第\(extra)条：今天的天气和交通情况很好。"]) { _, _ in 100 }
            extra += 1
        }
        #expect(ids.filter { HeldOut.contains(requestID: $0, fraction: fraction) }.count >= 3)
    }

    func runQueued(_ t: TestApp) async throws -> TrainingRun {
        let retrain = try RetrainService(service: t.service)
        let queued = try #require(try await t.service.database.trainingRuns.nextQueued())
        await retrain.execute(queued)
        return try #require(try await t.service.database.trainingRuns.get(id: queued.id))
    }

    @Test func aBetterCandidateGoesLiveAndAWorseOneIsRefused() async throws {
        // More SFT epochs than the shared settings: with 12, the random model learned all nine scores of "100" only in
        // about 12 runs of 13 (which texts train and which are held out follows the random request ids).
        let t = try await makeApp(configJSON: LearningModel.retrainConfig.replacingOccurrences(of: #""sft_epochs": 12"#, with: #""sft_epochs": 30"#))
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            // Round 1: every text is fine (all 100). The random base model answers noise, so the candidate must win.
            try await correctAllFineWithThreeHeldOut(t, client: client)
            let r = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey)
            #expect(r.status == .accepted)
            let run = try await runQueued(t)
            #expect(run.state == .succeeded, "decision: \(run.decision ?? "-"), error: \(run.error ?? "-")")
            let adapterID = try #require(run.candidateAdapterID)
            #expect(t.service.scorer.adapterID == adapterID)
            let adapter = try #require(try await t.service.database.adapters.get(id: adapterID))
            #expect(adapter.isActive && adapter.runID == run.id)
            // Stored under its content hash, with its eval report; the hash matches the files.
            let dir = URL(fileURLWithPath: adapter.path)
            #expect(dir.lastPathComponent == String(adapter.contentHash.prefix(16)))
            #expect(try AdapterFolder.contentHash(of: dir) == adapter.contentHash)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("eval_report.json").path))
            // The decision and both evaluations are stored with the run; the candidate's MAE is lower.
            guard case let .object(eval)? = run.eval, case let .object(cand)? = eval["candidate"], case let .object(act)? = eval["active"],
                  let candMAE = number(cand["overall_mae"]), let actMAE = number(act["overall_mae"])
            else { Issue.record("run.eval lacks the two reports: \(String(describing: run.eval))"); return }
            #expect(candMAE < actMAE)
            let points = try await t.service.database.trainingRuns.points(runID: run.id, afterID: 0)
            for phase in ["rejection_sampling", "sft", "grpo", "eval"] { #expect(points.contains { $0.point.phase == phase }, "no \(phase) points") }
            #expect(points.filter { $0.point.phase == "sft" }.allSatisfy { $0.point.loss?.isFinite == true })
            // Responses name the new adapter.
            let scored = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "新的请求"}"#)
            #expect((scored.body["model"] as? [String: Any])?["adapter"] as? String == adapterID)

            // Round 2: deliberately wrong corrections (everything 0) on the training side, the truth (100) held out.
            _ = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.suffix(16))) { _, heldOut in heldOut ? 100 : 0 }
            #expect(try await client.call(.post, "/v1/admin/retrain", key: t.adminKey).status == .accepted)
            let bad = try await runQueued(t)
            #expect(bad.state == .rejected, "decision: \(bad.decision ?? "-"), error: \(bad.error ?? "-")")
            #expect(bad.candidateAdapterID == nil)
            #expect(bad.decision?.contains("kept \(adapterID)") == true, "\(bad.decision ?? "-")")
            #expect(t.service.scorer.adapterID == adapterID)
            #expect(try await t.service.database.adapters.active()?.id == adapterID)
            #expect(try await t.service.database.adapters.list().count == 1)
        }
    }

    /// The gate's control set: a candidate that learned the corrections but got worse on labelled texts outside them
    /// is refused, and the run record carries both models' figures on the control set. With `candidate_stages` both,
    /// the adapter after SFT is judged too, after the trained one, and both trials are recorded.
    @Test func aCandidateWorseOnTheControlSetIsRefused() async throws {
        let control = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID().uuidString).jsonl")
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("retrain-\(UUID().uuidString).json")
        // The go-live test's epochs: with 12 the random model sometimes does not learn the corrections.
        try Data(LearningModel.retrainConfig.replacingOccurrences(of: #""sft_epochs": 12"#, with: #""sft_epochs": 30"#)
            .replacingOccurrences(of: #""candidate_stages": ["trained"]"#, with: #""candidate_stages": ["trained", "sft"]"#).utf8).write(to: configFile)
        let t = try await TestApp.make(model: LearningModel.model, tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt) { c in
            c.maxNewTokens = 400
            c.retrainConfigPath = configFile.path
            c.retrainReplayHuman = 0
            c.seedCorpusPath = ""
            c.retrainHeldOutFraction = 0.25
            c.retrainControlPath = control.path
        }
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            // The control texts' labels are the active model's own answers, so its control MAE is 0 and a candidate
            // that answers them differently is worse there by construction, whatever the random model says.
            var lines: [String] = []
            for i in 0..<8 {
                let text = "对照文本\(i)：全部违规"
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "\#(text)"}"#)
                let scores = try #require(r.body["scores"] as? [String: Any], "\(r.body)")
                let json = String(decoding: try JSONSerialization.data(withJSONObject: scores, options: [.sortedKeys]), as: UTF8.self)
                lines.append(#"{"text": "\#(text)", "scores": \#(json), "reasoning": "对照。"}"#)
            }
            try Data(lines.joined(separator: "\n").utf8).write(to: control)
            // The corrections say "all fine"; the candidate learns to answer 100 everywhere, the control texts included.
            try await correctAllFineWithThreeHeldOut(t, client: client)
            #expect(try await client.call(.post, "/v1/admin/retrain", key: t.adminKey).status == .accepted)
            let run = try await runQueued(t)
            #expect(run.state == .rejected, "decision: \(run.decision ?? "-"), error: \(run.error ?? "-")")
            guard case let .object(eval)? = run.eval, case let .object(ctl)? = eval["control"],
                  case let .object(cand)? = ctl["candidate"], case let .object(act)? = ctl["active"],
                  case let .object(heldCand)? = eval["candidate"], case let .object(heldAct)? = eval["active"],
                  let c = number(cand["overall_mae"]), let a = number(act["overall_mae"]),
                  let hc = number(heldCand["overall_mae"]), let ha = number(heldAct["overall_mae"])
            else { Issue.record("run.eval lacks the control reports: \(String(describing: run.eval))"); return }
            #expect(number(ctl["items"]) == 8)
            #expect(hc < ha, "the candidate learned the corrections (held-out MAE \(ha) → \(hc))")
            #expect(c > a, "and got worse on the control set (\(a) → \(c))")
            #expect(run.decision?.contains("control") == true, "\(run.decision ?? "-")")
            #expect(t.service.scorer.adapterID == nil)
            // Both stages were judged, the trained adapter first, and the decision names the last one tried.
            guard case let .object(m)? = run.metrics, case let .array(trials)? = m["gateTrials"] else {
                Issue.record("no gate trials: \(String(describing: run.metrics))"); return
            }
            let stages = trials.compactMap { trial -> String? in
                guard case let .object(o) = trial, case let .string(s)? = o["stage"] else { return nil }
                return s
            }
            #expect(stages == ["trained", "sft"], "\(trials)")
            #expect(m["candidateStage"] == .string("sft"))
            #expect(run.decision?.contains("SFT-only 1.00") == true && run.decision?.contains("after trying 1.00, SFT-only 1.00") == true,
                    "\(run.decision ?? "-")")
        }
    }

    /// The replay beside new corrections: the seed texts most like them (the look-alikes), then seed texts flagged on
    /// the dimensions they flag (with their own severities), then a few flagged on each other dimension, then a random
    /// sample; never the corrected texts themselves.
    @Test func theReplayHoldsTheLookAlikesAndTheCorrectedDimensionsOwnTexts() async throws {
        func line(_ text: String, commercial: Int = 100, bias: Int = 100) -> String {
            var scores = Dimension.allCases.map { "\"\($0.key)\": 100" }
            scores[Dimension.commercial.index] = "\"\(Dimension.commercial.key)\": \(commercial)"
            scores[Dimension.bias.index] = "\"\(Dimension.bias.key)\": \(bias)"
            return #"{"text": "\#(text)", "scores": {\#(scores.joined(separator: ", "))}, "reasoning": "种子语料。"}"#
        }
        let lookAlike = "我的QQ号是3194704877，快递到了请联系我。"
        let spam = ["刷单兼职日结，详情咨询客服。", "低价代购名牌包，欢迎选购。", "贷款秒批，无需抵押。"]
        let insults = (0..<20).map { "第\($0)条侮辱性言论。" }
        let filler = (0..<60).map { "第\($0)天的天气预报：晴转多云。" }
        let seedLines = [line(lookAlike)] + spam.map { line($0, commercial: 35) } + insults.map { line($0, bias: 30) } + filler.map { line($0) }
        let seedFile = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).jsonl")
        try Data(seedLines.joined(separator: "\n").utf8).write(to: seedFile)
        let t = try await TestApp.make(model: LearningModel.model, tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt) { c in
            c.maxNewTokens = 400
            c.seedCorpusPath = seedFile.path
            c.retrainReplaySimilar = 1
            c.retrainReplayPerDimension = 3
            c.retrainReplayOtherDimensions = 2
            c.retrainReplaySeed = 5
            c.retrainReplaySeedMax = 5
            c.retrainHeldOutFraction = 0.001  // every ad is a training correction
        }
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let ads = ["出售游戏账号，加QQ 3194704877 私聊。", "高价回收账号，加QQ 3194704877。", "代练上分加QQ 3194704877。",
                       "出售外挂，加QQ 3194704877。", "游戏币批发，加QQ 3194704877。", "卖号，QQ 3194704877。"]
            var scores = Dimension.allCases.map { "\"\($0.key)\": 100" }
            scores[Dimension.commercial.index] = "\"\(Dimension.commercial.key)\": 35"
            for text in ads {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "\#(text)"}"#)
                let id = try #require(r.body["id"] as? String)
                let c = try await client.call(.post, "/v1/requests/\(id)/corrections", key: t.reviewerKey,
                                              json: #"{"scores": {\#(scores.joined(separator: ", "))}, "reasoning": "群聊广告引流。"}"#)
                #expect(c.status == .created || c.status == .ok, "\(c.body)")
            }
            let (inputs, _) = try await RetrainService(service: t.service).gatherInputs(runID: 1, config: t.service.configuration)
            // The look-alike is replayed on its label; the dimension's texts and the random sample are anchors.
            #expect(inputs.replay.map(\.text) == [lookAlike])
            let replayed = inputs.replay.map(\.text) + inputs.anchor.map(\.text)
            #expect(replayed.count == 11, "look-alike 1, commercial 3, bias 2, random 5: \(replayed)")
            // Commercial is the only dimension the corrections flag: all three of its seed texts; then two carriers of
            // bias, the only other dimension the seed corpus flags.
            #expect(Set(replayed[1..<4]) == Set(spam), "\(replayed)")
            #expect(replayed[4..<6].allSatisfy { insults.contains($0) }, "\(replayed)")
            #expect(Set(replayed).count == replayed.count)
            #expect(!replayed.contains { ads.contains($0) })
        }
    }

    /// The seed-corpus replay is an anchor: by default it is trained on the active model's own answers (the run then
    /// changes what the corrections teach and little else); "label" trains on the corpus labels instead.
    @Test func anchorTextsAreTrainedOnTheActiveModelsOwnAnswers() async throws {
        let seedFile = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).jsonl")
        let zero = "{" + Dimension.allCases.map { "\"\($0.key)\": 0" }.joined(separator: ", ") + "}"
        try Data((0..<6).map { #"{"text": "种子文本\#($0)：天气晴。", "scores": \#(zero), "reasoning": "标注。"}"# }
            .joined(separator: "\n").utf8).write(to: seedFile)
        for targets in ["model", "label"] {
            let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("retrain-\(UUID().uuidString).json")
            let json = LearningModel.retrainConfig.replacingOccurrences(of: #""rank": 8"#, with: #""anchor_targets": "\#(targets)", "rank": 8"#)
            try Data(json.utf8).write(to: configFile)
            let t = try await TestApp.make(model: LearningModel.model, tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt) { c in
                c.maxNewTokens = 400
                c.retrainConfigPath = configFile.path
                c.seedCorpusPath = seedFile.path
                c.retrainReplaySeed = 6
                c.retrainReplaySeedMax = 6
                c.retrainReplaySimilar = 0
                c.retrainReplayPerDimension = 0
                c.retrainReplayOtherDimensions = 0
                c.retrainHeldOutFraction = 0.25
            }
            try await t.application.test(.router) { client in
                _ = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.prefix(12))) { _, _ in 100 }
                #expect(try await client.call(.post, "/v1/admin/retrain", key: t.adminKey).status == .accepted)
                let run = try await runQueued(t)
                guard case let .object(m)? = run.metrics else { Issue.record("no metrics: \(run.error ?? "-")"); return }
                #expect(number(m["anchor"]) == 6, "\(targets): \(m)")
                // The random model's answers parse for some texts and not others; "label" never asks it.
                let fromModel = number(m["anchorFromModel"]) ?? -1
                if targets == "model" {
                    let points = try await t.service.database.trainingRuns.points(runID: run.id, afterID: 0)
                    #expect(points.contains { $0.point.phase == "anchor" })
                    #expect(fromModel >= 0 && fromModel <= 6)
                    #expect(number(m["sftSamples"]).map { $0 >= (number(m["corrections"]) ?? 0) + fromModel } == true, "\(m)")
                } else {
                    #expect(fromModel == 0)
                    #expect(number(m["sftSamples"]).map { $0 >= (number(m["corrections"]) ?? 0) + 6 } == true, "\(m)")
                }
            }
            await t.close()
        }
    }

    /// A long document a reviewer corrected as a whole (serving scored it in windows) is longer than the model's
    /// context: it is left out of the run's training data instead of reaching the engine (which would stop the process).
    @Test func correctionsOfTextsPastTheContextAreLeftOutNotFatal() async throws {
        let t = try await makeApp()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let long = String(repeating: "今天的天气和交通情况很好，市民出行顺利。", count: 200)
            #expect(ScoringExample.promptTokens(text: long, prompt: LearningModel.prompt, tokenizer: LearningModel.tokenizer).count
                    > LearningModel.model.contextLength - 512)
            _ = try await scoreAndCorrect(t, client: client, texts: [long, long + "。"]) { _, _ in 100 }
            _ = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.prefix(12))) { _, _ in 100 }
            #expect(try await client.call(.post, "/v1/admin/retrain", key: t.adminKey).status == .accepted)
            let run = try await runQueued(t)
            #expect(run.state == .succeeded || run.state == .rejected, "state \(run.state), error: \(run.error ?? "-")")
        }
    }

    @Test func aRunWithoutNewCorrectionsFailsAndANaNLossAborts() async throws {
        let t = try await makeApp(configJSON: #"{"rejection_prompts": 0, "sft_epochs": 3, "sft_learning_rate": 1e30, "grpo_steps": 0, "min_held_out": 1}"#)
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            _ = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey)
            let empty = try await runQueued(t)
            #expect(empty.state == .failed && empty.error?.contains("no new corrections") == true, "\(empty.error ?? "-")")

            _ = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.prefix(12))) { _, _ in 100 }
            _ = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey)
            let exploded = try await runQueued(t)
            #expect(exploded.state == .failed, "\(exploded.state)")
            #expect(exploded.error?.contains("the loss is") == true, "\(exploded.error ?? "-")")
            #expect(t.service.scorer.adapterID == nil)
            #expect(try await t.service.database.adapters.list().isEmpty)
        }
    }

    @Test func cancellingARunningRunStopsItAndChangesNothing() async throws {
        let t = try await makeApp(configJSON: #"{"rejection_prompts": 0, "sft_epochs": 400, "sft_learning_rate": 0.001, "grpo_steps": 0, "min_held_out": 1}"#)
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            _ = try await scoreAndCorrect(t, client: client, texts: Array(Self.texts.prefix(12))) { _, _ in 100 }
            let r = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey)
            let runID = try #require(r.body["run_id"] as? Int)
            let retrain = try RetrainService(service: t.service)
            let queued = try #require(try await t.service.database.trainingRuns.nextQueued())
            let job = Task { await retrain.execute(queued) }
            // Wait until SFT is under way, then cancel through the API.
            var phase: String?
            for _ in 0..<600 where phase != "sft" {
                try await Task.sleep(for: .milliseconds(50))
                phase = try await t.service.database.trainingRuns.get(id: Int64(runID))?.phase
            }
            #expect(phase == "sft")
            let c = try await client.call(.post, "/v1/admin/runs/\(runID)/cancel", key: t.adminKey)
            #expect(c.body["state"] as? String == "cancelled")
            let t0 = Date()
            await job.value
            #expect(Date().timeIntervalSince(t0) < 30, "the run should stop at its next step")
            let run = try #require(try await t.service.database.trainingRuns.get(id: Int64(runID)))
            #expect(run.state == .cancelled)
            #expect(t.service.scorer.adapterID == nil)
            #expect(try await t.service.database.adapters.list().isEmpty)
            #expect(t.service.retrain.runningID == nil)
        }
    }

    @Test func aRunInterruptedByACrashIsMarkedFailedAtTheNextStart() async throws {
        let t = try await makeApp()
        defer { Task { await t.close() } }
        let run = try await t.service.database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
        _ = try await t.service.database.trainingRuns.transition(id: run.id, to: .running, decision: nil, error: nil)
        let root = URL(fileURLWithPath: t.service.configuration.adaptersPath)
        let partial = root.appendingPathComponent(".partial-run\(run.id)-deadbeef")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try await t.service.recoverInterruptedRuns()
        let after = try #require(try await t.service.database.trainingRuns.get(id: run.id))
        #expect(after.state == .failed && after.error?.contains("stopped during the run") == true)
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }
}

/// A JSON number, whether it was stored as an integer or not.
func number(_ v: JSONValue?) -> Double? {
    switch v {
    case let .int(i)?: Double(i)
    case let .double(d)?: d
    default: nil
    }
}

@Suite struct CronScheduleTests {
    let utc = TimeZone(identifier: "UTC")!

    func date(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: s)!
    }

    @Test func nightlyAtThreeIsTheNextThreeOClock() throws {
        let c = try CronSchedule("0 3 * * *", timeZone: utc)
        #expect(c.next(after: date("2026-11-21T10:06:13Z")) == date("2026-11-22T03:00:00Z"))
        #expect(c.next(after: date("2026-11-21T02:59:59Z")) == date("2026-11-21T03:00:00Z"))
        // Strictly after: at 03:00:00 the next one is tomorrow's.
        #expect(c.next(after: date("2026-11-21T03:00:00Z")) == date("2026-11-22T03:00:00Z"))
    }

    @Test func stepsRangesListsAndWeekdays() throws {
        #expect(try CronSchedule("*/15 * * * *", timeZone: utc).next(after: date("2026-11-21T10:16:00Z")) == date("2026-11-21T10:30:00Z"))
        // Mondays to Fridays at 02:30; 2026-11-21 is a Saturday.
        #expect(try CronSchedule("30 2 * * 1-5", timeZone: utc).next(after: date("2026-11-21T00:00:00Z")) == date("2026-11-23T02:30:00Z"))
        // 7 is Sunday too.
        #expect(try CronSchedule("0 0 * * 7", timeZone: utc).next(after: date("2026-11-21T00:00:00Z")) == date("2026-11-22T00:00:00Z"))
        // Day of month or day of week when both are restricted: the 1st, or a Sunday, whichever comes first.
        #expect(try CronSchedule("0 12 1 * 0", timeZone: utc).next(after: date("2026-11-23T00:00:00Z")) == date("2026-11-29T12:00:00Z"))
        #expect(try CronSchedule("0 12 1,15 * *", timeZone: utc).next(after: date("2026-11-21T00:00:00Z")) == date("2026-12-01T12:00:00Z"))
        // February 30th never comes.
        #expect(try CronSchedule("0 0 30 2 *", timeZone: utc).next(after: date("2026-11-21T00:00:00Z")) == nil)
    }

    @Test func badExpressionsNameTheField() {
        for (expr, needle) in [("0 3 * *", "five fields"), ("61 3 * * *", "minute"), ("0 24 * * *", "hour"), ("0 3 0 * *", "day of month"),
                               ("0 3 * 13 *", "month"), ("0 3 * * 8", "day of week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "range"),
                               ("a * * * *", "minute")] {
            do {
                _ = try CronSchedule(expr, timeZone: utc)
                Issue.record("\(expr) was accepted")
            } catch {
                #expect("\(error)".contains(needle), "\(expr): \(error)")
            }
        }
    }
}

/// The random anchor sample grows with the share of new corrections that flag something (`retrain_replay_seed_max`):
/// a batch of nothing but violations gets the most anchors, a batch of benign corrections the base sample.
@Test func theAnchorSampleGrowsWithTheShareOfViolatingCorrections() {
    #expect(RetrainData.anchorCount(base: 200, max: 1000, violating: 0, of: 500) == 200)
    #expect(RetrainData.anchorCount(base: 200, max: 1000, violating: 60, of: 500) == 296)
    #expect(RetrainData.anchorCount(base: 200, max: 1000, violating: 150, of: 150) == 1000)
    #expect(RetrainData.anchorCount(base: 200, max: 1000, violating: 0, of: 0) == 200)
    #expect(RetrainData.anchorCount(base: 200, max: 100, violating: 10, of: 10) == 200, "a max below the base changes nothing")
    #expect(RetrainData.anchorCount(base: 0, max: 10, violating: 1, of: 4) == 3)
}
