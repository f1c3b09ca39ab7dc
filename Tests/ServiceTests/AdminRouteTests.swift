import Foundation
import Hummingbird
import HummingbirdTesting
import Scoring
import Testing
@testable import Service
import Storage

@Suite(.serialized) struct AdminRouteTests {
    @Test func retrainIsQueuedListedAndCancellable() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let r = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey, json: #"{"reason": "weekly"}"#)
            #expect(r.status == .accepted)
            let runID = try #require(r.body["run_id"] as? Int)
            #expect(r.body["state"] as? String == "queued")
            let second = try await client.call(.post, "/v1/admin/retrain", key: t.adminKey)
            #expect(second.status == .conflict && errorCode(second.body) == "run_in_progress")
            let list = try await client.call(.get, "/v1/admin/runs", key: t.adminKey)
            #expect((list.body["items"] as? [[String: Any]])?.first?["id"] as? Int == runID)
            let detail = try await client.call(.get, "/v1/admin/runs/\(runID)", key: t.adminKey)
            #expect((detail.body["run"] as? [String: Any])?["trigger"] as? String == "admin")
            let cancelled = try await client.call(.post, "/v1/admin/runs/\(runID)/cancel", key: t.adminKey)
            #expect(cancelled.body["state"] as? String == "cancelled")
            let again = try await client.call(.post, "/v1/admin/runs/\(runID)/cancel", key: t.adminKey)
            #expect(again.status == .conflict)
            #expect(try await client.call(.get, "/v1/admin/runs/999", key: t.adminKey).status == .notFound)
            let audit = try await t.service.database.auditLog.list(limit: 10, beforeID: nil)
            #expect(audit.map(\.action).contains("training.request"))
            #expect(audit.map(\.action).contains("training.cancel"))
        }
    }

    @Test func keysAreCreatedOnceAndRevoked() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let created = try await client.call(.post, "/v1/admin/keys", key: t.adminKey, json: #"{"role": "reviewer", "label": "bob"}"#)
            #expect(created.status == .created)
            let secret = try #require(created.body["key"] as? String)
            let id = try #require((created.body["record"] as? [String: Any])?["id"] as? Int)
            let me = try await client.call(.get, "/v1/me", key: secret)
            #expect(me.body["role"] as? String == "reviewer")
            let listed = try await client.call(.get, "/v1/admin/keys", key: t.adminKey)
            let text = String(describing: listed.body)
            #expect(!text.contains(secret), "a key listing must never contain a key")
            #expect(try await client.call(.post, "/v1/admin/keys/\(id)/revoke", key: t.adminKey).status == .ok)
            #expect(try await client.call(.get, "/v1/me", key: secret).status == .unauthorized)
            let bad = try await client.call(.post, "/v1/admin/keys", key: t.adminKey, json: #"{"role": "superuser", "label": "x"}"#)
            #expect(errorCode(bad.body) == "invalid_role")
        }
    }

    @Test func activatingAnAdapterSwapsItAndACorruptOneIsRefused() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let good = LoRAAdapter.fresh(id: "a1", model: TinyModel.model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q, .v]), seed: 3)
        let goodDir = t.directory.appendingPathComponent("adapters/a1")
        try good.save(to: goodDir)
        let badDir = t.directory.appendingPathComponent("adapters/broken")
        try good.save(to: badDir)
        try Data("not safetensors".utf8).write(to: badDir.appendingPathComponent("adapter_model.safetensors"))
        for (id, dir) in [("a1", goodDir), ("broken", badDir)] {
            _ = try await t.service.database.adapters.register(NewAdapter(id: id, contentHash: try AdapterFolder.contentHash(of: dir),
                                                                          path: dir.path, baseModelID: "tiny-random"))
        }
        try await t.application.test(.router) { client in
            let ok = try await client.call(.post, "/v1/admin/adapters/a1/activate", key: t.adminKey)
            #expect(ok.status == .ok, "\(ok.body)")
            #expect(t.service.scorer.adapterID == "a1")
            let scored = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "换了适配器"}"#)
            #expect((scored.body["model"] as? [String: Any])?["adapter"] as? String == "a1")
            let refused = try await client.call(.post, "/v1/admin/adapters/broken/activate", key: t.adminKey)
            #expect(refused.status == .unprocessableContent)
            #expect(errorCode(refused.body) == "adapter_invalid")
            #expect(t.service.scorer.adapterID == "a1")
            #expect(try await t.service.database.adapters.active()?.id == "a1")
            #expect(try await client.call(.post, "/v1/admin/adapters/nope/activate", key: t.adminKey).status == .notFound)
            // Files swapped on disk after registration are noticed by their content hash.
            let swappedDir = t.directory.appendingPathComponent("adapters/swapped")
            try good.save(to: swappedDir)
            _ = try await t.service.database.adapters.register(NewAdapter(id: "swapped", contentHash: try AdapterFolder.contentHash(of: swappedDir),
                                                                          path: swappedDir.path, baseModelID: "tiny-random"))
            let other = LoRAAdapter.fresh(id: "x", model: TinyModel.model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q, .v]), seed: 99)
            try other.save(to: swappedDir)
            let modified = try await client.call(.post, "/v1/admin/adapters/swapped/activate", key: t.adminKey)
            #expect(modified.status == .unprocessableContent && errorCode(modified.body) == "adapter_modified", "\(modified.body)")
            #expect(t.service.scorer.adapterID == "a1")
            let base = try await client.call(.post, "/v1/admin/adapters/base/activate", key: t.adminKey)
            #expect(base.body["serving"] as? String == "base")
            #expect(t.service.scorer.adapterID == nil)
            let listed = try await client.call(.get, "/v1/admin/adapters", key: t.adminKey)
            #expect((listed.body["items"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test func healthReadinessMetricsAndStats() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            #expect(try await client.call(.get, "/healthz", key: nil).status == .ok)
            let ready = try await client.call(.get, "/readyz", key: nil)
            #expect(ready.status == .ok)
            #expect(ready.body["database"] as? String == "writable")
            _ = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "指标"}"#)
            let stats = try await client.call(.get, "/v1/admin/stats?minutes=10", key: t.reviewerKey)
            #expect(stats.status == .ok)
            #expect((stats.body["totals"] as? [String: Any])?["requests"] as? Int == 1)
            #expect((stats.body["histograms"] as? [[String: Any]])?.count == 9)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("safety_http_requests_total{"))
            #expect(metrics.contains("route=\"/v1/score\""))
            #expect(metrics.contains("safety_http_request_duration_seconds_bucket"))
            #expect(metrics.contains("safety_scoring_batch_size"))
            #expect(metrics.contains("safety_active_adapter{adapter=\"base\"} 1"))
            let missing = try await client.call(.get, "/v1/nothing-here", key: t.clientKey)
            #expect(missing.status == .notFound)
            #expect(errorCode(missing.body) == "not_found")
        }
    }

    /// Swaps and a rollback while requests keep arriving: every request is answered 200 and names the adapter (or the
    /// base model) that scored it, and each answer's adapter is one that was active while it ran.
    @Test func swapsUnderLoadFailNoRequest() async throws {
        let t = try await TestApp.make { $0.maxNewTokens = 120 }
        defer { Task { await t.close() } }
        var ids: [String] = []
        for (k, seed) in [UInt64(5), 6].enumerated() {
            let a = LoRAAdapter.fresh(id: "s\(k)", model: TinyModel.model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q, .v]), seed: seed)
            let dir = t.directory.appendingPathComponent("adapters/s\(k)")
            try a.save(to: dir)
            _ = try await t.service.database.adapters.register(NewAdapter(id: "s\(k)", contentHash: try AdapterFolder.contentHash(of: dir),
                                                                          path: dir.path, baseModelID: "tiny-random"))
            ids.append("s\(k)")
        }
        let known = Set(ids + ["base"])
        try await t.application.test(.router) { client in
            let results = try await withThrowingTaskGroup(of: [(HTTPResponse.Status, String?)].self) { group in
                for w in 0..<6 {
                    group.addTask {
                        var out: [(HTTPResponse.Status, String?)] = []
                        for i in 0..<8 {
                            let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "负载下的请求 \#(w)-\#(i)"}"#)
                            out.append((r.status, (r.body["model"] as? [String: Any]).map { $0["adapter"] as? String ?? "base" }))
                        }
                        return out
                    }
                }
                group.addTask {
                    for target in ["s0", "s1", "base", "s0"] {
                        try await Task.sleep(for: .milliseconds(150))
                        let r = try await client.call(.post, "/v1/admin/adapters/\(target)/activate", key: t.adminKey)
                        #expect(r.status == .ok, "\(r.body)")
                    }
                    return []
                }
                var all: [(HTTPResponse.Status, String?)] = []
                for try await r in group { all += r }
                return all
            }
            #expect(results.count == 48)
            var failed = 0, unnamed = 0
            for (status, adapter) in results {
                if status.code != 200 { failed += 1 }
                if adapter == nil || !known.contains(adapter!) { unnamed += 1 }
            }
            #expect(failed == 0 && unnamed == 0, "\(failed) failed, \(unnamed) without a known adapter")
            #expect(t.service.scorer.adapterID == "s0")
        }
    }
}
