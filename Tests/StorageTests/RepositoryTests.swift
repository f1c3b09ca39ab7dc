import Foundation
import GRDB
import Testing
@testable import Storage

@Test(arguments: TestBackend.allCases) func apiKeysAreShownOnceAndStoredOnlyAsTheirHash(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let created = try await database.apiKeys.create(role: .admin, label: "ops")
    #expect(created.secret.hasPrefix("cs_"))
    #expect(created.secret.count == 3 + 43)  // 32 bytes in unpadded base64url
    #expect(created.key.prefix == String(created.secret.prefix(8)))
    #expect(try await database.apiKeys.find(secret: created.secret) == created.key)
    #expect(try await database.apiKeys.find(secret: created.secret + "x") == nil)

    let stored = try await database.fetchRaw("SELECT key_hash FROM api_keys WHERE id = ?", [created.key.id])
    #expect(stored == [SHA256Digest.hex(created.secret)])
    let everything = try await database.fetchRaw("SELECT key_hash || prefix || label FROM api_keys").compactMap { $0 }.joined()
    #expect(!everything.contains(created.secret))

    // Revoking keeps the record (requests refer to it) and is idempotent.
    let revoked = try await database.apiKeys.revoke(id: created.key.id)
    #expect(revoked.isRevoked)
    let again = try await database.apiKeys.revoke(id: created.key.id)
    #expect(again.revokedAt == revoked.revokedAt)
    #expect(try await database.apiKeys.find(secret: created.secret)?.isRevoked == true)
    await #expect(throws: StorageError.notFound(entity: "API key", id: "77")) {
        try await database.apiKeys.revoke(id: 77)
    }

    // last_used_at is written at most once a minute.
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)
    try await database.apiKeys.touch(id: created.key.id, at: t0)
    try await database.apiKeys.touch(id: created.key.id, at: t0 + 30)
    #expect(try await database.apiKeys.get(id: created.key.id)?.lastUsedAt == t0)
    try await database.apiKeys.touch(id: created.key.id, at: t0 + 60)
    #expect(try await database.apiKeys.get(id: created.key.id)?.lastUsedAt == t0 + 60)

    // Two keys never share a hash; a registered bootstrap key works like a created one.
    let bootstrap = try await database.apiKeys.register(secret: "cs_bootstrap_admin_key_1234", role: .admin,
                                                        label: "bootstrap")
    #expect(try await database.apiKeys.find(secret: "cs_bootstrap_admin_key_1234") == bootstrap)
    await #expect(throws: StorageError.constraintViolation(.init(kind: .unique, detail: "api_keys.key_hash"))) {
        try await database.apiKeys.register(secret: "cs_bootstrap_admin_key_1234", role: .client, label: "dup")
    }
    #expect(try await database.apiKeys.list().map(\.label) == ["ops", "bootstrap"])
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func trainingRunsMoveOnlyThroughAllowedStates(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let admin = try await database.apiKeys.create(role: .admin, label: "admin").key.id
    let runs = database.trainingRuns

    await #expect(throws: StorageError.constraintViolation(.init(kind: .check, detail: "training_runs_admin_has_requester"))) {
        try await runs.create(trigger: .admin, requestedBy: nil)
    }
    let run = try await runs.create(trigger: .admin, requestedBy: admin)
    #expect(run.state == .queued && run.startedAt == nil)
    #expect(try await runs.nextQueued()?.id == run.id)
    await #expect(throws: StorageError.invalidTransition(runID: run.id, from: "queued", to: "succeeded")) {
        try await runs.transition(id: run.id, to: .succeeded, decision: nil, error: nil)
    }
    let running = try await runs.transition(id: run.id, to: .running, decision: nil, error: nil)
    #expect(running.state == .running && running.startedAt != nil && running.finishedAt == nil)

    // One run at a time.
    let second = try await runs.create(trigger: .schedule, requestedBy: nil)
    await #expect(throws: StorageError.constraintViolation(.init(kind: .unique, detail: "training_runs.state"))) {
        try await runs.transition(id: second.id, to: .running, decision: nil, error: nil)
    }

    try await runs.updateProgress(id: run.id, phase: "grpo", progress: ["step": 3, "of": 10])
    try await runs.appendPoints(runID: run.id, [
        CurvePoint(phase: "sft", step: 0, loss: 2.5), CurvePoint(phase: "sft", step: 1, loss: 2.0),
        CurvePoint(phase: "grpo", step: 0, reward: -1.5, data: ["kl": 0.01]),
    ])
    try await runs.appendPoints(runID: run.id, [CurvePoint(phase: "sft", step: 1, loss: 1.9)])  // replaces step 1
    let points = try await runs.points(runID: run.id, afterID: 0)
    #expect(points.map(\.point.phase) == ["sft", "sft", "grpo"])
    #expect(points[1].point.loss == 1.9)
    #expect(points[2].point.data == ["kl": 0.01])
    #expect(try await runs.points(runID: run.id, afterID: points[0].id).count == 2)

    _ = try await database.adapters.register(NewAdapter(id: "v1", contentHash: SHA256Digest.hex("v1"), path: "/adapters/v1",
                                                    baseModelID: "qwen", runID: run.id))
    try await runs.recordResults(id: run.id, metrics: ["sft_loss": 1.9], eval: ["mae": 4.2], candidateAdapterID: "v1",
                                 lastCorrectionID: 17)
    #expect(try await runs.lastConsumedCorrectionID() == 0, "a running run has not consumed its corrections yet")
    let rejected = try await runs.transition(id: run.id, to: .rejected, decision: "MAE worse on bias", error: nil)
    #expect(try await runs.lastConsumedCorrectionID() == 17)
    #expect(rejected.state == .rejected && rejected.finishedAt != nil)
    #expect(rejected.decision == "MAE worse on bias" && rejected.candidateAdapterID == "v1")
    #expect(rejected.progress == ["step": 3, "of": 10] && rejected.eval == ["mae": 4.2])
    await #expect(throws: StorageError.invalidTransition(runID: run.id, from: "rejected", to: "running")) {
        try await runs.transition(id: run.id, to: .running, decision: nil, error: nil)
    }
    // The schema holds the same rule even for raw SQL.
    await #expect(throws: StorageError.constraintViolation(.init(kind: .trigger, detail: "invalid training run state transition"))) {
        try await database.executeRaw("UPDATE training_runs SET state = 'queued' WHERE id = ?", [run.id])
    }
    #expect(try await runs.list(limit: 10, beforeID: nil).map(\.id) == [second.id, run.id])
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func runsLeftRunningByACrashAreMarkedFailedAtStartup(_ backend: TestBackend) async throws {
    let (store, database) = try await openDatabase(backend)
    let run = try await database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
    _ = try await database.trainingRuns.transition(id: run.id, to: .running, decision: nil, error: nil)
    let queued = try await database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
    try await database.close()

    let restarted = try await store.open()
    #expect(try await restarted.trainingRuns.failInterruptedRuns(reason: "server restarted") == [run.id])
    let failed = try #require(try await restarted.trainingRuns.get(id: run.id))
    #expect(failed.state == .failed && failed.error == "server restarted" && failed.finishedAt != nil)
    #expect(try await restarted.trainingRuns.get(id: queued.id)?.state == .queued)
    try await restarted.close()
}

@Test(arguments: TestBackend.allCases) func activatingAnAdapterDeactivatesTheOthersAtomically(_ backend: TestBackend) async throws {
    let (store, database) = try await openDatabase(backend)
    let adapters = database.adapters
    for id in ["v1", "v2", "v3"] {
        _ = try await adapters.register(NewAdapter(
            id: id, contentHash: SHA256Digest.hex(id), path: "/adapters/\(id)", baseModelID: "qwen",
            parentAdapterID: id == "v1" ? nil : "v1"))
    }
    #expect(try await adapters.active() == nil)
    _ = try await adapters.activate(id: "v1")
    let v2 = try await adapters.activate(id: "v2")
    #expect(v2.isActive && v2.activatedAt != nil)
    #expect(try await adapters.active()?.id == "v2")
    #expect(try await adapters.list().filter(\.isActive).map(\.id) == ["v2"])
    await #expect(throws: StorageError.notFound(entity: "adapter", id: "v9")) {
        try await adapters.activate(id: "v9")
    }
    #expect(try await adapters.active()?.id == "v2")  // the failed activation rolled back

    // Concurrent activations: whatever the interleaving, exactly one adapter ends up active.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<30 {
            group.addTask { _ = try await adapters.activate(id: ["v1", "v2", "v3"][index % 3]) }
        }
        try await group.waitForAll()
    }
    #expect(try await adapters.list().filter(\.isActive).count == 1)
    await #expect(throws: StorageError.constraintViolation(.init(kind: .unique, detail: "adapters.active"))) {
        try await database.executeRaw("UPDATE adapters SET active = \(store.sqlTrue), activated_at = 1")
    }
    try await adapters.deactivateAll()
    #expect(try await adapters.active() == nil)
    try await database.close()
}

/// An imported adapter waits for its gate (pending → evaluating → passed/rejected/failed), is found by its content, and
/// the schema refuses to serve it before its gate passed unless an override reason is recorded in the same write.
@Test(arguments: TestBackend.allCases) func anImportedAdapterServesOnlyAfterItsGateOrWithARecordedOverride(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let adapters = database.adapters
    let admin = try await database.apiKeys.create(role: .admin, label: "admin")
    for (id, hash) in [("import-a", "ha"), ("import-b", "hb")] {
        let a = try await adapters.register(NewAdapter(id: id, contentHash: hash, path: "/adapters/\(hash)", baseModelID: "qwen",
                                                       origin: .imported, label: "from trl", sourcePath: "/tmp/\(id)", gateState: .pending))
        #expect(a.origin == .imported && a.gateState == .pending && !a.gatePassed && a.label == "from trl")
    }
    #expect(try await adapters.find(contentHash: "hb")?.id == "import-b")
    #expect(try await adapters.find(contentHash: "nope") == nil)
    // The same files imported twice: the schema keeps one.
    await #expect(throws: StorageError.self) {
        _ = try await adapters.register(NewAdapter(id: "import-a2", contentHash: "ha", path: "/adapters/ha", baseModelID: "qwen",
                                                   origin: .imported, gateState: .pending))
    }

    // Oldest first, one at a time; an interrupted evaluation goes back to pending.
    #expect(try await adapters.gateQueue() == (pending: 2, evaluating: 0))
    #expect(try await adapters.claimNextGateEvaluation()?.id == "import-a")
    #expect(try await adapters.gateQueue() == (pending: 1, evaluating: 1))
    #expect(try await adapters.claimNextGateEvaluation()?.id == "import-b")
    #expect(try await adapters.claimNextGateEvaluation() == nil)
    #expect(try await adapters.gateQueue() == (pending: 0, evaluating: 2))
    #expect(try await adapters.requeueInterruptedGateEvaluations() == ["import-a", "import-b"])
    #expect(try await adapters.get(id: "import-a")?.gateState == .pending)

    let passed = try await adapters.recordGate(id: "import-a", state: .passed, eval: .object(["held_out": .int(12)]), detail: "passed: MAE 3.1 → 2.0")
    #expect(passed.gatePassed && passed.gateDetail == "passed: MAE 3.1 → 2.0" && passed.eval == .object(["held_out": .int(12)]))
    _ = try await adapters.recordGate(id: "import-b", state: .rejected, eval: nil, detail: "rejected: MAE rose")
    #expect(try await adapters.activate(id: "import-a").isActive)

    // A rejected import does not serve without a reason: the trigger refuses, and the active adapter stays.
    let refused = await #expect(throws: StorageError.self) { try await adapters.activate(id: "import-b") }
    guard case .constraintViolation(let v)? = refused else { Issue.record("expected a constraint violation, got \(String(describing: refused))"); return }
    #expect(v.kind == .trigger && v.detail.contains("adapters_activation_needs_gate"), "\(v)")
    #expect(try await adapters.active()?.id == "import-a")
    let overridden = try await adapters.activate(id: "import-b", override: AdapterOverride(reason: "needed for the ads domain", keyID: admin.key.id))
    #expect(overridden.isActive && overridden.overrideReason == "needed for the ads domain" && overridden.overrideBy == admin.key.id)
    #expect(overridden.overrideAt != nil && overridden.gateState == .rejected)
    // Rolling back to the passed import and forward again: the recorded override still stands.
    _ = try await adapters.activate(id: "import-a")
    #expect(try await adapters.activate(id: "import-b").isActive)
    // A retrain's adapter has no gate of its own, and an import must have one.
    await #expect(throws: StorageError.self) {
        _ = try await adapters.register(NewAdapter(id: "import-c", contentHash: "hc", path: "/adapters/hc", baseModelID: "qwen",
                                                   origin: .imported, gateState: nil))
    }
    await #expect(throws: StorageError.self) {
        _ = try await adapters.register(NewAdapter(id: "retrain-c", contentHash: "hc", path: "/adapters/hc", baseModelID: "qwen",
                                                   origin: .retrain, gateState: .pending))
    }
    try await database.close()
}

@Test func theHeldOutSplitIsStableAndRoughlyTheRequestedFraction() async throws {
    let ids = (0..<4000).map { _ in RequestID.make() }
    let held = ids.filter { HeldOut.contains(requestID: $0, fraction: 0.2) }
    #expect(abs(Double(held.count) / 4000 - 0.2) < 0.03)
    #expect(held == ids.filter { HeldOut.contains(requestID: $0, fraction: 0.2) })
    #expect(!ids.contains { HeldOut.contains(requestID: $0, fraction: 0) })
    #expect(ids.allSatisfy { HeldOut.contains(requestID: $0, fraction: 1) })
    // Pinned values: the split must not change between releases or machines.
    #expect(HeldOut.contains(requestID: "0190f5a2-0000-7000-8000-000000000000", fraction: 0.5)
        == (SHA256Digest.bytes("0190f5a2-0000-7000-8000-000000000000".utf8)[0] < 128))

    for backend in TestBackend.allCases {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    for _ in 0..<40 {
        let request = try await database.requests.insert(newRequest(client: client)).request
        _ = try await database.corrections.add(
            NewCorrection(requestID: request.id, reviewerKeyID: client, scores: PerDimension(repeating: 50)))
    }
    let training = try await database.corrections.labelledRequests(split: .training, heldOutFraction: 0.3,
                                                                   afterCorrectionID: 0)
    let heldOut = try await database.corrections.labelledRequests(split: .heldOut, heldOutFraction: 0.3,
                                                                  afterCorrectionID: 0)
    #expect(training.count + heldOut.count == 40)
    #expect(Set(training.map(\.requestID)).isDisjoint(with: heldOut.map(\.requestID)))
    #expect(heldOut.allSatisfy { HeldOut.contains(requestID: $0.requestID, fraction: 0.3) })
    let all = try await database.corrections.list(afterID: 0, limit: 1000)
    #expect(all.count == 40)
    #expect(try await database.corrections.list(afterID: all[9].id, limit: 1000).map(\.id) == all.dropFirst(10).map(\.id))
    #expect(try await database.corrections.list(since: all[35].createdAt, limit: 1000).count >= 5)
    try await database.close()
    }
}

@Test func recordsEncodeAsSnakeCaseJSONWithAsciiDimensionKeys() throws {
    let correction = Correction(id: 1, requestID: "r", reviewerKeyID: 2, scores: PerDimension(repeating: 100),
                                reasoning: nil, note: "n", createdAt: Date(timeIntervalSince1970: 0))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(correction), as: UTF8.self)
    #expect(json.contains("\"reviewer_key_id\":2"))
    #expect(json.contains("\"terrorism_violence\":100"))
    let decoded = try JSONDecoder().decode(Correction.self, from: Data(json.utf8))
    #expect(decoded == correction)

    #expect(Dimension.allCases.map(\.key) == [
        "商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题", "敏感数据泄露",
        "敏感词", "虚假信息", "诱导&&违法不良信息",
    ])
    #expect(Dimension(key: "敏感词") == .sensitiveWords)
    let value: JSONValue = ["a": [1, 2.5, "x", nil, true], "b": ["c": false]]
    #expect(try JSONValue(jsonText: value.jsonText) == value)
    #expect(value.jsonText == #"{"a":[1,2.5,"x",null,true],"b":{"c":false}}"#)
}

@Test func requestIDsAreTimeOrderedUUIDv7() {
    let early = RequestID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
    let late = RequestID.make(at: Date(timeIntervalSince1970: 1_700_000_001))
    #expect(early < late)
    #expect(early.count == 36)
    #expect(Array(early)[14] == "7")
    #expect("89ab".contains(Array(early)[19]))
}

@Test(arguments: TestBackend.allCases) func protocolConveniencesWorkThroughTheProtocolTypes(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let keys: any APIKeyStore = database.apiKeys
    let audit: any AuditLog = database.auditLog
    let runs: any TrainingRunStore = database.trainingRuns
    let requests: any RequestStore = database.requests
    let corrections: any CorrectionStore = database.corrections

    let key = try await keys.create(role: .admin, label: "a").key
    try await keys.touch(id: key.id)
    #expect(try await keys.get(id: key.id)?.lastUsedAt != nil)
    try await audit.record(keyID: key.id, action: "retrain.trigger")
    let run = try await runs.create(trigger: .admin, requestedBy: key.id)
    #expect(try await runs.transition(id: run.id, to: .cancelled).state == .cancelled)
    #expect(try await requests.scoreHistograms().count == 9)
    #expect(try await corrections.labelledRequests(split: .training, heldOutFraction: 0.1).isEmpty)
    try await database.close()
}
