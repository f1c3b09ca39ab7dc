import Foundation
import Hummingbird
import HummingbirdTesting
import Scoring
import Testing
@testable import Service
import Storage
import Training

/// Adapters trained elsewhere: `POST /v1/admin/adapters` refuses anything the served model cannot use with a precise
/// 4xx, and an imported adapter passes the retrain's own gate before it may serve (or an admin overrides, on record).
@Suite(.serialized) struct AdapterImportTests {
    /// 48 texts: with a quarter held out by a hash of random request ids, fewer than 3 held out (the gate's minimum) has
    /// odds of about 1 in 7,000 (with 24 it was 1 in 25, and the import gate then refused for too few labels).
    static let texts = (0..<48).map { "第\($0)条评论：今天的天气和交通情况" + String(repeating: "很好", count: $0 % 3 + 1) + "。" }

    func makeApp() async throws -> TestApp {
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("retrain-\(UUID().uuidString).json")
        try Data(LearningModel.retrainConfig.utf8).write(to: configFile)
        return try await TestApp.make(model: LearningModel.model, tokenizer: LearningModel.tokenizer, prompt: LearningModel.prompt) { c in
            c.maxNewTokens = 400
            c.retrainConfigPath = configFile.path
            c.retrainSchedule = "off"
            c.seedCorpusPath = ""
            c.retrainHeldOutFraction = 0.25
        }
    }

    /// A PEFT folder holding `adapter`, with the served prompt.
    func folder(_ adapter: LoRAAdapter, in t: TestApp, _ name: String, prompt: ScoringPrompt = LearningModel.prompt) throws -> URL {
        let dir = t.directory.appendingPathComponent("elsewhere/\(name)")
        try adapter.save(to: dir)
        try prompt.save(directory: dir)
        return dir
    }

    func importBody(_ path: String, label: String = "trained elsewhere") -> String {
        let body = try! JSONSerialization.data(withJSONObject: ["path": path, "label": label])
        return String(decoding: body, as: UTF8.self)
    }

    @Test func foldersTheModelCannotUseAreRefusedWithTheProblemNamed() async throws {
        let t = try await makeApp()
        defer { Task { await t.close() } }
        let model = LearningModel.model
        let good = try folder(LoRAAdapter.fresh(id: "x", model: model, config: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases), seed: 1), in: t, "good")
        try await t.application.test(.router) { client in
            func refused(_ json: String, _ status: HTTPResponse.Status, _ code: String, _ words: [String] = [], key: String? = nil) async throws {
                let r = try await client.call(.post, "/v1/admin/adapters", key: key ?? t.adminKey, json: json)
                #expect(r.status == status && errorCode(r.body) == code, "\(json.prefix(120)): \(r.status) \(r.body)")
                for w in words { #expect(errorMessage(r.body).contains(w), "\(errorMessage(r.body)) lacks \(w)") }
            }
            // The request itself.
            try await refused(#"{"label": "x"}"#, .badRequest, "missing_field", ["body.path"])
            try await refused(#"{"path": "relative/dir", "label": "x"}"#, .badRequest, "invalid_path")
            try await refused(importBody(good.path, label: " \u{3000} "), .badRequest, "invalid_label")
            try await refused(#"{"path": "/x", "label": "x", "paht": 1}"#, .badRequest, "unknown_field", ["paht"])
            try await refused(importBody(good.path), .forbidden, "forbidden", key: t.reviewerKey)
            // The folder.
            try await refused(importBody(t.directory.appendingPathComponent("nowhere").path), .unprocessableContent, "adapter_invalid", ["no such folder"])
            // "/" then an emoji modifier is one Character but still an absolute path: a folder problem, not a bad path.
            try await refused("{\"path\": \"/\u{1F3FB}\", \"label\": \"x\"}", .unprocessableContent, "adapter_invalid")
            let fm = FileManager.default
            func variant(_ name: String, _ change: (URL) throws -> Void) throws -> URL {
                let dir = t.directory.appendingPathComponent("elsewhere/\(name)")
                try fm.copyItem(at: good, to: dir)
                try change(dir)
                return dir
            }
            let noWeights = try variant("no-weights") { try fm.removeItem(at: $0.appendingPathComponent("adapter_model.safetensors")) }
            try await refused(importBody(noWeights.path), .unprocessableContent, "adapter_invalid", ["adapter_model.safetensors"])
            let corrupt = try variant("corrupt") { try Data((0..<300).map { UInt8($0 % 251) }).write(to: $0.appendingPathComponent("adapter_model.safetensors")) }
            try await refused(importBody(corrupt.path), .unprocessableContent, "adapter_invalid", ["safetensors"])
            let badConfig = try variant("bad-config") { try Data("{not json".utf8).write(to: $0.appendingPathComponent("adapter_config.json")) }
            try await refused(importBody(badConfig.path), .unprocessableContent, "adapter_invalid", ["adapter_config.json"])
            let dora = try variant("dora") { dir in
                var c = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("adapter_config.json"))) as! [String: Any]
                c["use_dora"] = true
                try JSONSerialization.data(withJSONObject: c).write(to: dir.appendingPathComponent("adapter_config.json"))
            }
            try await refused(importBody(dora.path), .unprocessableContent, "adapter_invalid", ["DoRA"])
            // Trained for another model: hidden size 32, not 64.
            let other = try folder(LoRAAdapter.fresh(id: "o", model: TinyModel.model, config: LoRAConfig(r: 4, alpha: 8, targets: [.q]), seed: 1), in: t, "other-model")
            try await refused(importBody(other.path), .unprocessableContent, "adapter_invalid", ["shape", "expected"])
            // NaN weights.
            let nan = try variant("nan") { dir in
                var w = SafeTensorsWriter(metadata: ["format": "pt"])
                let file = try SafeTensorsFile(url: good.appendingPathComponent("adapter_model.safetensors"))
                for name in file.tensors.keys.sorted() {
                    var values = try file.floats(name)
                    if name.hasSuffix("layers.1.mlp.down_proj.lora_B.weight") { values[0] = .nan }
                    w.add(.init(name: name, shape: try file.info(name).shape, values: values))
                }
                try w.write(to: dir.appendingPathComponent("adapter_model.safetensors"))
            }
            try await refused(importBody(nan.path), .unprocessableContent, "adapter_invalid", ["layers.1.mlp.down_proj.lora_B.weight", "NaN"])
            // Trained under another prompt.
            let otherPrompt = try variant("other-prompt") { dir in
                try ScoringPrompt(version: 7, system: "另一个提示。", user: "{text}").save(directory: dir)
            }
            try await refused(importBody(otherPrompt.path), .unprocessableContent, "adapter_invalid", ["scoring_prompt.json", "version 7"])
            #expect(try await t.service.database.adapters.list().isEmpty, "nothing refused was registered")
            let root = URL(fileURLWithPath: t.service.configuration.adaptersPath)
            #expect(((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).isEmpty, "nothing refused was copied")

            // A good folder: 202, pending; the same files again: 200 and the same adapter, nothing new on disk.
            let first = try await client.call(.post, "/v1/admin/adapters", key: t.adminKey, json: importBody(good.path))
            #expect(first.status == .accepted, "\(first.body)")
            let id = try #require(first.body["id"] as? String)
            #expect(first.headers[.location] == "/v1/admin/adapters/\(id)")
            #expect(first.body["origin"] as? String == "imported" && first.body["gate_state"] as? String == "pending")
            #expect(first.body["label"] as? String == "trained elsewhere" && first.body["source_path"] as? String == good.path)
            let stored = try #require(try await t.service.database.adapters.get(id: id))
            #expect(URL(fileURLWithPath: stored.path).deletingLastPathComponent().standardizedFileURL.path == root.standardizedFileURL.path)
            #expect(try AdapterFolder.contentHash(of: URL(fileURLWithPath: stored.path)) == stored.contentHash)
            #expect(try AdapterFolder.contentHash(of: good) == stored.contentHash)
            let again = try await client.call(.post, "/v1/admin/adapters", key: t.adminKey, json: importBody(good.path, label: "again"))
            #expect(again.status == .ok && again.body["id"] as? String == id && again.body["label"] as? String == "trained elsewhere")
            #expect(try await t.service.database.adapters.list().count == 1)
            #expect(try fm.contentsOfDirectory(atPath: root.path).count == 1)
            // Not evaluated yet: it does not serve without an override.
            let early = try await client.call(.post, "/v1/admin/adapters/\(id)/activate", key: t.adminKey)
            #expect(early.status == .conflict && errorCode(early.body) == "gate_not_passed", "\(early.body)")
            #expect(errorMessage(early.body).contains("override_reason"))
            let blank = try await client.call(.post, "/v1/admin/adapters/\(id)/activate", key: t.adminKey, json: #"{"override_reason": "  "}"#)
            #expect(blank.status == .badRequest && errorCode(blank.body) == "invalid_override_reason")
            #expect(t.service.scorer.adapterID == nil)
            let got = try await client.call(.get, "/v1/admin/adapters/\(id)", key: t.reviewerKey)
            #expect(got.status == .ok && got.body["gate_state"] as? String == "pending")
            #expect(try await client.call(.get, "/v1/admin/adapters/nope", key: t.reviewerKey).status == .notFound)
        }
    }

    /// The whole path over a real socket: an adapter trained outside the server (the `train sft` code on files) is
    /// imported, passes the retrain's gate in the background, serves (responses name it); a second import fails the
    /// gate, is refused, then served on an admin's recorded override; both roll back.
    @Test func anAdapterTrainedElsewhereIsImportedGatedActivatedAndRolledBack() async throws {
        let t = try await makeApp()
        defer { Task { await t.close() } }
        // Train outside the server: a model folder on disk, labelled JSONL, `SFTJob` (what `safety-server train sft` runs).
        let fm = FileManager.default
        let modelDir = t.directory.appendingPathComponent("elsewhere/model")
        try LearningModel.model.save(directory: modelDir, dtype: .f32)
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            try fm.copyItem(at: LearningModel.directory.appendingPathComponent(f), to: modelDir.appendingPathComponent(f))
        }
        try LearningModel.prompt.save(directory: modelDir)
        let reasoning = "文本描述天气和交通，未发现问题。"
        let lines = Self.texts.map { text in
            String(decoding: try! JSONSerialization.data(withJSONObject: [
                "text": text, "reasoning": reasoning, "scores": Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0.key, 100) }),
            ]), as: UTF8.self)
        }
        let data = t.directory.appendingPathComponent("elsewhere/labels.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: data)
        var job = SFTJob(modelDirectory: modelDir, dataFile: data, output: t.directory.appendingPathComponent("elsewhere/sft-adapter"))
        job.rank = 8
        job.alpha = 16
        job.settings.trainer.epochs = 12
        job.settings.trainer.batchSize = 8
        job.settings.trainer.optimizer = AdamWConfig(learningRate: 0.01, weightDecay: 0)
        let summary = try job.prepare().run()
        #expect(summary.steps > 0)
        let trained = job.settings.output
        // And one that changes nothing (B = 0): it cannot beat the base model, so the gate refuses it.
        let unchanged = try folder(LoRAAdapter.fresh(id: "f", model: LearningModel.model, config: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases), seed: 3),
                                   in: t, "unchanged")

        let retrain = try RetrainService(service: t.service, pollInterval: .milliseconds(50))
        try await buildApplication(t.service, services: [retrain]).test(.live) { client in
            // Reviewers' labels: the held-out quarter is what the gate judges on.
            for text in Self.texts {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "\#(text)"}"#)
                let rid = try #require(r.body["id"] as? String)
                let c = try await client.call(.post, "/v1/requests/\(rid)/corrections", key: t.reviewerKey,
                                              json: #"{"scores": \#(scoresJSON(100)), "reasoning": "\#(reasoning)"}"#)
                #expect(c.status == .created || c.status == .ok, "\(c.body)")
            }
            func importAndWait(_ dir: URL, _ label: String) async throws -> [String: Any] {
                let r = try await client.call(.post, "/v1/admin/adapters", key: t.adminKey, json: importBody(dir.path, label: label))
                #expect(r.status == .accepted, "\(r.body)")
                let id = try #require(r.body["id"] as? String)
                for _ in 0..<1200 {
                    let g = try await client.call(.get, "/v1/admin/adapters/\(id)", key: t.reviewerKey)
                    if let s = g.body["gate_state"] as? String, !["pending", "evaluating"].contains(s) { return g.body }
                    try await Task.sleep(for: .milliseconds(100))
                }
                Issue.record("the gate of \(id) did not finish")
                return [:]
            }
            let good = try await importAndWait(trained, "sft elsewhere")
            let goodID = try #require(good["id"] as? String)
            #expect(good["gate_state"] as? String == "passed", "\(good["gate_detail"] ?? "-")")
            let eval = try #require(good["eval"] as? [String: Any])
            let cand = try #require(eval["candidate"] as? [String: Any]), act = try #require(eval["active"] as? [String: Any])
            #expect(try #require(cand["overall_mae"] as? Double) < (try #require(act["overall_mae"] as? Double)))
            #expect(eval["decision"] != nil && eval["gate"] != nil && (eval["held_out"] as? Int ?? 0) >= 3)
            #expect(t.service.scorer.adapterID == nil, "a passed gate does not activate by itself")

            let bad = try await importAndWait(unchanged, "does nothing")
            let badID = try #require(bad["id"] as? String)
            #expect(bad["gate_state"] as? String == "rejected", "\(bad["gate_detail"] ?? "-")")
            #expect((bad["gate_detail"] as? String)?.hasPrefix("rejected:") == true)

            // The passed one serves; responses name it.
            let on = try await client.call(.post, "/v1/admin/adapters/\(goodID)/activate", key: t.adminKey)
            #expect(on.status == .ok && on.body["serving"] as? String == goodID, "\(on.body)")
            let scored = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "导入的适配器"}"#)
            #expect((scored.body["model"] as? [String: Any])?["adapter"] as? String == goodID)
            // The rejected one: refused, then served on a recorded override.
            let refused = try await client.call(.post, "/v1/admin/adapters/\(badID)/activate", key: t.adminKey)
            #expect(refused.status == .conflict && errorCode(refused.body) == "gate_not_passed")
            #expect(t.service.scorer.adapterID == goodID)
            let reason = "checked by hand on the ads domain"
            let forced = try await client.call(.post, "/v1/admin/adapters/\(badID)/activate", key: t.adminKey, json: #"{"override_reason": "\#(reason)"}"#)
            #expect(forced.status == .ok, "\(forced.body)")
            let row = try #require(try await t.service.database.adapters.get(id: badID))
            #expect(row.isActive && row.overrideReason == reason && row.overrideBy != nil && row.gateState == .rejected)
            let audit = try await t.service.database.auditLog.list(limit: 50, beforeID: nil)
            #expect(audit.contains { $0.action == "adapter.activate" && $0.target == badID && $0.details?.description.contains(reason) == true })
            #expect(audit.contains { $0.action == "adapter.import" && $0.target == goodID })
            #expect(audit.contains { $0.action == "adapter.gate" && $0.target == badID })
            let forcedScore = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "覆盖后的适配器"}"#)
            #expect((forcedScore.body["model"] as? [String: Any])?["adapter"] as? String == badID)

            // Roll back: to the passed import, then to the base model.
            let back = try await client.call(.post, "/v1/admin/adapters/\(goodID)/activate", key: t.adminKey, json: #"{"override_reason": "rollback"}"#)
            #expect(back.status == .ok && back.body["serving"] as? String == goodID)
            #expect(try await t.service.database.adapters.get(id: goodID)?.overrideReason == nil, "a passed adapter needs no override")
            let base = try await client.call(.post, "/v1/admin/adapters/base/activate", key: t.adminKey)
            #expect(base.status == .ok && base.body["serving"] as? String == "base")
            let plain = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "回到基础模型"}"#)
            #expect((plain.body["model"] as? [String: Any])?["adapter"] == nil)
        }
    }
}
