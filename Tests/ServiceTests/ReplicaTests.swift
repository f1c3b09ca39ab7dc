import Foundation
import Hummingbird
import HummingbirdTesting
import Scoring
import ServiceLifecycle
import Testing
@testable import Service
import Storage

/// Two replicas — two complete services, each with its own connection pool, scorer and HTTP server on a real socket —
/// on one real PostgreSQL database and one shared adapters folder, as docs/DEPLOYMENT.md runs them. (A `kill -9` of
/// one replica is scripts/crash-test-replicas.sh, with the release binary.)
struct ReplicaPair {
    let a: SafetyService
    let b: SafetyService
    let directory: URL
    let adminKey: String
    let reviewerKey: String
    let clientKey: String

    static func make(_ configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws -> ReplicaPair {
        let url = try await TemporaryPostgresServer.makeDatabase(prefix: "replicas")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adapters"), withIntermediateDirectories: true)
        var cfg = ServiceConfiguration()
        cfg.databaseURL = url
        cfg.migrationsPath = ServicePaths.migrations.path
        cfg.publicPath = ServicePaths.publicDir.path
        cfg.adaptersPath = dir.appendingPathComponent("adapters").path
        cfg.maxNewTokens = 340
        cfg.port = 0
        cfg.retrainControlPath = ""
        cfg.adapterSyncSeconds = 1
        cfg.retrainLeaseSeconds = 3
        cfg.retrainSchedule = "off"
        configure(&cfg)
        func replica() async throws -> SafetyService {
            let db = try await Database.open(location: cfg.databaseLocation, migrationsDirectory: ServicePaths.migrations)
            var options = ScorerOptions()
            options.maxNewTokens = cfg.maxNewTokens
            let scorer = try Scorer(model: TinyModel.model, tokenizer: TinyModel.tokenizer, prompt: .default,
                                    baseModelID: "tiny-random", options: options)
            return SafetyService(configuration: cfg, database: db, scorer: scorer, modelID: "tiny-random")
        }
        let a = try await replica()
        let b = try await replica()
        #expect(a.database.backend == .postgres && a.replicaID != b.replicaID)
        let admin = try await a.database.apiKeys.create(role: .admin, label: "admin")
        let reviewer = try await a.database.apiKeys.create(role: .reviewer, label: "reviewer")
        let client = try await a.database.apiKeys.create(role: .client, label: "client")
        return ReplicaPair(a: a, b: b, directory: dir, adminKey: admin.secret, reviewerKey: reviewer.secret, clientKey: client.secret)
    }

    /// Both replicas served on real sockets (each on its own port), with the services a server runs beside them.
    func live(services: (SafetyService) throws -> [any ServiceLifecycle.Service] = { [AdapterSyncService(service: $0)] },
              _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        let appA = buildApplication(a, services: try services(a))
        let appB = buildApplication(b, services: try services(b))
        try await appA.test(.live) { clientA in
            try await appB.test(.live) { clientB in
                try await body(clientA, clientB)
            }
        }
    }

    func close() async {
        await a.shutdown()
        await b.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.serialized) struct ReplicaTests {
    @Test func aRequestScoredOnOneReplicaIsReadableOnTheOtherAndACorrectionOnEitherIsSeenByBoth() async throws {
        let pair = try await ReplicaPair.make()
        defer { Task { await pair.close() } }
        let (clientKey, reviewerKey) = (pair.clientKey, pair.reviewerKey)
        try await pair.live { a, b in
            let scored = try await a.call(.post, "/v1/score", key: clientKey, json: #"{"text": "在副本A上评分的文本", "client_request_id": "r-1"}"#)
            #expect(scored.status == .ok, "\(scored.body)")
            let id = try #require(scored.body["id"] as? String)
            // Readable on the other replica at once: the row was committed before A answered.
            let onB = try await b.call(.get, "/v1/requests/\(id)", key: reviewerKey)
            #expect(onB.status == .ok, "\(onB.body)")
            #expect((onB.body["request"] as? [String: Any])?["text"] as? String == "在副本A上评分的文本")
            // A client retrying on the other replica gets the same request, not a second one.
            let retried = try await b.call(.post, "/v1/score", key: clientKey, json: #"{"text": "在副本A上评分的文本", "client_request_id": "r-1"}"#)
            #expect(retried.body["id"] as? String == id)
            let listedOnB = try await b.call(.get, "/v1/requests?limit=10", key: reviewerKey)
            #expect((listedOnB.body["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])

            // A correction made on B is seen on A: in the request, and the review queue of both leaves it out.
            let correction = try await b.call(.post, "/v1/requests/\(id)/corrections", key: reviewerKey,
                                              json: #"{"scores": \#(scoresJSON(30)), "reasoning": "副本B上的复核"}"#)
            #expect(correction.status == .created || correction.status == .ok, "\(correction.body)")
            let onA = try await a.call(.get, "/v1/requests/\(id)", key: reviewerKey)
            let corrections = onA.body["corrections"] as? [[String: Any]]
            #expect(corrections?.count == 1)
            #expect(corrections?.first?["reasoning"] as? String == "副本B上的复核")
            for client in [a, b] {
                let queue = try await client.call(.get, "/v1/review-queue?limit=10", key: reviewerKey)
                #expect((queue.body["items"] as? [[String: Any]])?.isEmpty == true, "\(queue.body)")
            }
            // And a second correction on A is the latest on B.
            _ = try await a.call(.post, "/v1/requests/\(id)/corrections", key: reviewerKey, json: #"{"scores": \#(scoresJSON(60))}"#)
            let latest = try await b.call(.get, "/v1/requests/\(id)", key: reviewerKey)
            #expect((latest.body["corrections"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test func anAdapterActivatedOnOneReplicaIsServedByEveryReplicaWithinFifteenSeconds() async throws {
        let pair = try await ReplicaPair.make()
        defer { Task { await pair.close() } }
        // An adapter in the shared folder, registered once (any replica's database is the same database).
        let adapter = LoRAAdapter.fresh(id: "shared1", model: TinyModel.model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q, .v]), seed: 5)
        let folder = URL(fileURLWithPath: pair.a.configuration.adaptersPath).appendingPathComponent("shared1")
        try adapter.save(to: folder)
        _ = try await pair.a.database.adapters.register(NewAdapter(id: "shared1", contentHash: try AdapterFolder.contentHash(of: folder),
                                                                   path: folder.path, baseModelID: "tiny-random"))
        let (adminKey, clientKey) = (pair.adminKey, pair.clientKey)
        try await pair.live { a, b in
            func servedAdapter(_ client: any TestClientProtocol) async throws -> String? {
                let r = try await client.call(.post, "/v1/score", key: clientKey, json: #"{"text": "哪个适配器在服务"}"#)
                #expect(r.status == .ok, "\(r.body)")
                return (r.body["model"] as? [String: Any])?["adapter"] as? String
            }
            #expect(try await servedAdapter(b) == nil)
            let activated = try await a.call(.post, "/v1/admin/adapters/shared1/activate", key: adminKey)
            #expect(activated.status == .ok, "\(activated.body)")
            #expect(try await servedAdapter(a) == "shared1")
            // B learns of it from the database (adapter_sync_seconds = 1 here; 5 by default), well within 15 s.
            let clock = ContinuousClock()
            let start = clock.now
            var onB = try await servedAdapter(b)
            while onB != "shared1" && clock.now - start < .seconds(15) {
                try await Task.sleep(for: .milliseconds(200))
                onB = try await servedAdapter(b)
            }
            let waited = clock.now - start
            print("replica B served the adapter activated on A after \(waited)")
            #expect(onB == "shared1", "replica B still serves \(onB ?? "the base model") after 15 s")
            #expect(waited < .seconds(15))

            // A rollback on B (to the base model) reaches A the same way.
            let rolledBack = try await b.call(.post, "/v1/admin/adapters/base/activate", key: adminKey)
            #expect(rolledBack.status == .ok, "\(rolledBack.body)")
            let back = clock.now
            var onA = try await servedAdapter(a)
            while onA != nil && clock.now - back < .seconds(15) {
                try await Task.sleep(for: .milliseconds(200))
                onA = try await servedAdapter(a)
            }
            #expect(onA == nil, "replica A still serves \(onA ?? "?") after the rollback on B")
        }
    }

    @Test func oneRetrainRunsAtATimeAcrossReplicasAndADeadReplicasRunIsFailedWhenItsLeaseExpires() async throws {
        let pair = try await ReplicaPair.make()
        defer { Task { await pair.close() } }
        let (a, b, adminKey) = (pair.a, pair.b, pair.adminKey)
        // A third replica that died in the middle of a run (kill -9): its run is `running` and its lease, last
        // renewed just now, lapses in 3 s.
        let dead = try await a.database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
        _ = try await a.database.trainingRuns.transition(id: dead.id, to: .running, decision: nil, error: nil)
        #expect(try await a.database.leases.acquire(LeaseName.retrain, holder: "dead-replica", for: .seconds(3)))
        // A replica starting now leaves that run alone: its holder's lease has not expired.
        try await b.recoverInterruptedRuns()
        #expect(try await b.database.trainingRuns.get(id: dead.id)?.state == .running)

        try await pair.live(services: { [try RetrainService(service: $0, pollInterval: .milliseconds(100))] }) { clientA, clientB in
            // One run at a time across replicas: while it runs, neither replica queues another.
            for client in [clientA, clientB] {
                let refused = try await client.call(.post, "/v1/admin/retrain", key: adminKey, json: #"{"reason": "replica test"}"#)
                #expect(refused.status == .conflict, "\(refused.body)")
            }
            try await Task.sleep(for: .seconds(1))
            #expect(try await a.database.trainingRuns.get(id: dead.id)?.state == .running, "a live lease must be respected")

            // Once the lease lapses, one of the replicas marks the run failed (within a lease period).
            let clock = ContinuousClock()
            let start = clock.now
            var run = try await a.database.trainingRuns.get(id: dead.id)
            while run?.state == .running && clock.now - start < .seconds(15) {
                try await Task.sleep(for: .milliseconds(200))
                run = try await a.database.trainingRuns.get(id: dead.id)
            }
            #expect(run?.state == .failed, "\(String(describing: run))")
            #expect(run?.error?.contains("lease expired") == true, "\(run?.error ?? "")")

            // Now a run can be asked for on either replica, and exactly one replica executes it (this one fails at
            // once: nobody corrected anything, so there is nothing to train on).
            let queued = try await clientB.call(.post, "/v1/admin/retrain", key: adminKey, json: #"{"reason": "replica test"}"#)
            #expect(queued.status == .accepted || queued.status == .ok || queued.status == .created, "\(queued.body)")
            let runID = try #require(queued.body["run_id"] as? Int)
            var next = try await a.database.trainingRuns.get(id: Int64(runID))
            while next.map({ !$0.state.isFinal }) ?? false && clock.now - start < .seconds(40) {
                try await Task.sleep(for: .milliseconds(200))
                next = try await a.database.trainingRuns.get(id: Int64(runID))
            }
            #expect(next?.state == .failed && next?.startedAt != nil, "\(String(describing: next))")
            #expect(try await a.database.leases.current(LeaseName.retrain) == nil, "the lease is released after the run")
        }
    }
}
