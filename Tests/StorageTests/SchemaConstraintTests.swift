import Foundation
import GRDB
import Testing
@testable import Storage

private func violation(_ kind: ConstraintViolation.Kind, _ detail: String) -> StorageError {
    .constraintViolation(ConstraintViolation(kind: kind, detail: detail))
}

@Test(arguments: TestBackend.allCases) func scoresOutsideZeroToHundredAreRejectedWithTheConstraintNamed(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()

    var tooHigh = uniformScores(50)
    tooHigh[.commercial] = 101
    await #expect(throws: violation(.check, "requests_commercial_range")) {
        try await database.requests.insert(newRequest(client: client, scores: tooHigh))
    }
    var negative = uniformScores(50)
    negative[.illegalInducement] = -1
    await #expect(throws: violation(.check, "requests_illegal_inducement_range")) {
        try await database.requests.insert(newRequest(client: client, scores: negative))
    }
    await #expect(throws: violation(.check, "requests_confidence_bias_range")) {
        var request = newRequest(client: client)
        request.confidence[.bias] = 1.5
        return try await database.requests.insert(request)
    }
    #expect(try await database.requests.count() == 0)

    // An unparseable answer has no scores at all, and that is allowed.
    var unparsed = newRequest(client: client, scores: PerDimension(repeating: nil), confidence: nil)
    unparsed.formatOK = false
    let stored = try await database.requests.insert(unparsed).request
    #expect(stored.scores == PerDimension(repeating: nil))
    #expect(stored.minConfidence == 0)

    var correction = PerDimension<Int>(repeating: 80)
    correction[.dataLeak] = 101
    let reviewer = try await database.makeReviewer()
    await #expect(throws: violation(.check, "corrections_data_leak_range")) {
        try await database.corrections.add(
            NewCorrection(requestID: stored.id, reviewerKeyID: reviewer, scores: correction))
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func anUnknownRoleIsRejectedWithTheConstraintNamed(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    await #expect(throws: violation(.check, "api_keys_role")) {
        try await database.executeRaw("""
            INSERT INTO api_keys (key_hash, prefix, role, label, created_at)
            VALUES (?, 'cs_abcde', 'superuser', 'x', 0)
            """, [SHA256Digest.hex("some key")])
    }
    await #expect(throws: violation(.notNull, "api_keys.label")) {
        try await database.executeRaw("""
            INSERT INTO api_keys (key_hash, prefix, role, label, created_at)
            VALUES (?, 'cs_abcde', 'client', NULL, 0)
            """, [SHA256Digest.hex("another key")])
    }
    await #expect(throws: violation(.check, "api_keys_key_hash_hex")) {
        try await database.executeRaw("""
            INSERT INTO api_keys (key_hash, prefix, role, label, created_at)
            VALUES ('cs_the_clear_key_must_never_be_stored_here_000000000000000000000', 'cs_the_c', 'client', 'x', 0)
            """)
    }
    // JSON columns hold JSON, on both backends (json_valid / safety_json_valid).
    await #expect(throws: violation(.check, "audit_log_details_json")) {
        try await database.executeRaw("INSERT INTO audit_log (action, details, created_at) VALUES ('x', '{not json', 0)")
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func foreignKeysAreEnforced(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let foreignKey = violation(.foreignKey, "")

    await #expect(throws: foreignKey) {
        try await database.requests.insert(newRequest(client: 9999))
    }
    let client = try await database.makeClient()
    let request = try await database.requests.insert(newRequest(client: client)).request
    await #expect(throws: foreignKey) {
        try await database.corrections.add(
            NewCorrection(requestID: "no-such-request", reviewerKeyID: client, scores: PerDimension(repeating: 50)))
    }
    await #expect(throws: foreignKey) {
        try await database.corrections.add(
            NewCorrection(requestID: request.id, reviewerKeyID: 4242, scores: PerDimension(repeating: 50)))
    }
    await #expect(throws: foreignKey) {
        try await database.trainingRuns.create(trigger: .admin, requestedBy: 4242)
    }
    if backend == .sqlite {
        #expect(try await database.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func theAuditLogAndCorrectionsAreAppendOnly(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let entry = try await database.auditLog.record(keyID: nil, action: "adapter.activate", target: "v1",
                                                   details: ["reason": "better"])
    await #expect(throws: violation(.trigger, "the audit log is append-only")) {
        try await database.executeRaw("UPDATE audit_log SET action = 'nothing' WHERE id = ?", [entry.id])
    }
    await #expect(throws: violation(.trigger, "the audit log is append-only")) {
        try await database.executeRaw("DELETE FROM audit_log")
    }
    #expect(try await database.auditLog.list(limit: 10, beforeID: nil) == [entry])

    let client = try await database.makeClient()
    let request = try await database.requests.insert(newRequest(client: client)).request
    let correction = try await database.corrections.add(
        NewCorrection(requestID: request.id, reviewerKeyID: client, scores: PerDimension(repeating: 10)))
    await #expect(throws: violation(.trigger, "corrections are append-only: add a new correction instead")) {
        try await database.executeRaw("UPDATE corrections SET commercial = 0 WHERE id = ?", [correction.id])
    }
    try await database.close()
}

@Test func theDatabaseFileIsInWALModeWithDurableCommits() async throws {
    let folder = try TemporaryDirectory()
    let database = try folder.open()
    let client = try await database.makeClient()
    _ = try await database.requests.insert(newRequest(client: client))
    let (journal, synchronous) = try await database.pool.read { db in
        (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
    }
    #expect(journal == "wal")
    #expect(synchronous == 2)  // FULL
    #expect(FileManager.default.fileExists(atPath: folder.databasePath + "-wal"))
    try await database.close()

    let normal = try folder.open(options: Database.Options(synchronous: .normal))
    #expect(try await normal.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1)
    try await normal.close()
}

@Test(arguments: TestBackend.allCases) func dataSurvivesClosingAndReopening(_ backend: TestBackend) async throws {
    let (store, database) = try await openDatabase(backend)
    let created = try await database.apiKeys.create(role: .reviewer, label: "alice")
    let request = try await database.requests.insert(
        newRequest(client: created.key.id, clientRequestID: "retry-1")).request
    let correction = try await database.corrections.add(
        NewCorrection(requestID: request.id, reviewerKeyID: created.key.id, scores: PerDimension(repeating: 70),
                      reasoning: "人工复核", note: "ok"))
    try await database.close()
    await #expect(throws: StorageError.closed) {
        try await database.requests.insert(newRequest(client: created.key.id))
    }

    let reopened = try await store.open()
    let detail = try #require(try await reopened.requests.detail(id: request.id))
    var expected = request
    expected.correctedAt = correction.createdAt
    expected.correctionCount = 1
    #expect(detail.request == expected)
    #expect(detail.corrections == [correction])
    #expect(try await reopened.apiKeys.find(secret: created.secret)?.label == "alice")
    try await reopened.close()
}
