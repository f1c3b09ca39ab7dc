import Foundation
import GRDB
import Testing
@testable import Storage

private func tables(_ database: Storage.Database) throws -> Set<String> {
    try database.pool.read { db in
        Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
    }
}

private func schemaDump(_ database: Storage.Database) throws -> [String] {
    try database.pool.read { db in
        try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
    }
}

@Test func migratingAnEmptyDatabaseStepByStep() async throws {
    let folder = try TemporaryDirectory()

    let first = try folder.open(upTo: 1)
    #expect(try await first.appliedMigrations().map(\.id) == [1])
    let afterFirst = try tables(first)
    #expect(afterFirst.isSuperset(of: ["schema_migrations", "api_keys", "requests", "corrections",
                                       "latest_corrections", "audit_log"]))
    #expect(!afterFirst.contains("training_runs"))
    let requestColumns = try await first.pool.read { db in try db.columns(in: "requests").map(\.name) }
    for dimension in Dimension.allCases {
        #expect(requestColumns.contains(dimension.rawValue))
        #expect(requestColumns.contains("confidence_" + dimension.rawValue))
    }
    let indexes = try await first.pool.read { db in try db.indexes(on: "requests").map(\.name) }
    #expect(Set(indexes).isSuperset(of: ["requests_by_time", "requests_by_adapter", "requests_review_queue"]))
    // Rows written at version 1 (by the code of that version: no windows column yet) must survive the next migrations.
    let client = try await first.makeClient()
    try await first.pool.write { db in
        try db.execute(sql: """
            INSERT INTO requests (id, text, text_sha256, client_key_id, format_ok, raw_output, model_id, latency_ms,
                                  prompt_tokens, completion_tokens, created_at)
            VALUES ('0193f5c2-7a1e-7b3c-9d4e-5f6a7b8c9d0e', '一段文本', ?, ?, 1, '', 'tiny', 1, 1, 1, 1)
            """, arguments: [String(repeating: "a", count: 64), client])
    }
    try await first.close()

    let second = try folder.open(upTo: 2)
    #expect(try await second.appliedMigrations().map(\.id) == [1, 2])
    #expect(try tables(second).isSuperset(of: ["training_runs", "training_run_points", "adapters"]))
    #expect(try await second.requests.count() == 1)
    let applied = try await second.appliedMigrations()
    #expect(applied.map(\.name) == ["0001_initial", "0002_training"])
    #expect(applied.allSatisfy { $0.checksum.count == 64 })
    try await second.close()

    let third = try folder.open(upTo: 4)
    #expect(try await third.appliedMigrations().map(\.name) == ["0001_initial", "0002_training", "0003_request_windows", "0004_verdicts"])
    let old = try #require(try await third.requests.list(RequestQuery(), cursor: nil).items.first)
    #expect(old.windows.isEmpty, "a row from before windows reads with none")
    let stored = try await third.requests.insert(newRequest(client: client, windows: [
        RequestWindow(start: 0, end: 5, scores: uniformScores(100), reasoning: "无", formatOK: true, decides: []),
        RequestWindow(start: 3, end: 9, scores: uniformScores(35), reasoning: "有", formatOK: true, decides: [.bias]),
    ]))
    let back = try #require(try await third.requests.get(id: stored.request.id))
    #expect(back.windows == stored.request.windows && back.windows.count == 2)
    // The column only holds a JSON array.
    #expect(throws: (any Error).self) {
        try third.pool.write { db in try db.execute(sql: "UPDATE requests SET windows = '{\"a\": 1}'") }
    }
    // Runs written at version 4 kept the last correction they trained on only in their metrics JSON.
    try await third.pool.write { db in
        try db.execute(sql: """
            INSERT INTO training_runs (state, triggered_by, created_at, started_at, finished_at, metrics) VALUES
                ('rejected', 'schedule', 1, 1, 2, '{"max_correction_id": 42, "sft_loss": 1.5}'),
                ('succeeded', 'schedule', 3, 3, 4, '{"sft_loss": 1.2}'),
                ('failed', 'schedule', 5, 5, 6, NULL)
            """)
    }
    try await third.close()

    let fourth = try folder.open(upTo: 5)
    #expect(try await fourth.appliedMigrations().map(\.name).last == "0005_run_last_correction")
    let backFilled = try await fourth.pool.read { db in
        try Int64?.fetchAll(db, sql: "SELECT last_correction_id FROM training_runs ORDER BY id")
    }
    #expect(backFilled == [42, nil, nil])
    #expect(try await fourth.trainingRuns.lastConsumedCorrectionID() == 42)
    // An adapter registered at version 5 (by a retrain run, the only way then).
    try await fourth.pool.write { db in
        try db.execute(sql: """
            INSERT INTO adapters (id, content_hash, path, base_model_id, created_at, run_id, active, activated_at)
            VALUES ('run2-abc', 'abc', '/adapters/abc', 'tiny', 4, 2, 1, 4)
            """)
    }
    try await fourth.close()

    let sixth = try folder.open(upTo: 6)
    #expect(try await sixth.appliedMigrations().map(\.name).last == "0006_adapter_import")
    let kept = try #require(try await sixth.adapters.get(id: "run2-abc"))
    #expect(kept.origin == .retrain && kept.gateState == nil && kept.gatePassed && kept.isActive, "\(kept)")
    // An import without a gate state, or a retrain adapter with one, is refused by the schema.
    await #expect(throws: StorageError.self) {
        _ = try await sixth.adapters.register(NewAdapter(id: "i1", contentHash: "h1", path: "/a/h1", baseModelID: "tiny", origin: .imported))
    }
    await #expect(throws: StorageError.self) {
        _ = try await sixth.adapters.register(NewAdapter(id: "r1", contentHash: "h2", path: "/a/h2", baseModelID: "tiny", gateState: .passed))
    }
    try await sixth.close()
}

@Test func rerunningMigrationsIsANoOp() async throws {
    let folder = try TemporaryDirectory()
    let database = try folder.open()
    let before = try schemaDump(database)
    let applied = try MigrationRunner(set: MigrationSet(directory: migrationsDirectory)).migrate(database.pool)
    #expect(applied.isEmpty)
    #expect(try schemaDump(database) == before)
    try await database.close()

    let reopened = try folder.open()
    #expect(try schemaDump(reopened) == before)
    #expect(try await reopened.appliedMigrations().map(\.id) == [1, 2, 3, 4, 5, 6])
    try await reopened.close()
}

@Test func aChangedAppliedMigrationIsRefused() async throws {
    let folder = try TemporaryDirectory()
    let migrations = try folder.copyOfMigrations()
    try await folder.open(migrations: migrations).close()

    let file = migrations.appendingPathComponent("0001_initial.sql")
    let original = try String(contentsOf: file, encoding: .utf8)
    try (original + "\nCREATE INDEX sneaky ON requests (model_id);\n").write(to: file, atomically: true, encoding: .utf8)
    let error = #expect(throws: StorageError.self) { try folder.open(migrations: migrations) }
    guard case .appliedMigrationChanged(let id, let name, let recorded, let found)? = error else {
        Issue.record("expected appliedMigrationChanged, got \(String(describing: error))")
        return
    }
    #expect(id == 1 && name == "0001_initial" && recorded != found)
    #expect(error?.description.contains("append-only") == true)

    // CRLF line endings alone do not count as a change.
    try original.replacingOccurrences(of: "\n", with: "\r\n").write(to: file, atomically: true, encoding: .utf8)
    try await folder.open(migrations: migrations).close()
}

@Test func aMissingAppliedMigrationIsRefused() async throws {
    let folder = try TemporaryDirectory()
    let migrations = try folder.copyOfMigrations()
    try await folder.open(migrations: migrations).close()
    try FileManager.default.removeItem(at: migrations.appendingPathComponent("0006_adapter_import.sql"))
    #expect(throws: StorageError.appliedMigrationMissing(id: 6, name: "0006_adapter_import")) {
        try folder.open(migrations: migrations)
    }
}

@Test func aFailingMigrationIsRolledBackAndNotRecorded() async throws {
    let folder = try TemporaryDirectory()
    let migrations = try folder.copyOfMigrations()
    try """
        CREATE TABLE half_done (x INTEGER);
        INSERT INTO no_such_table VALUES (1);
        """.write(to: migrations.appendingPathComponent("0007_broken.sql"), atomically: true, encoding: .utf8)
    let error = #expect(throws: StorageError.self) { try folder.open(migrations: migrations) }
    guard case .migrationFailed(let id, _, let message)? = error else {
        Issue.record("expected migrationFailed, got \(String(describing: error))")
        return
    }
    #expect(id == 7 && message.contains("no_such_table"))

    try FileManager.default.removeItem(at: migrations.appendingPathComponent("0007_broken.sql"))
    let database = try folder.open(migrations: migrations)
    #expect(try await database.appliedMigrations().map(\.id) == [1, 2, 3, 4, 5, 6])
    #expect(try !tables(database).contains("half_done"))
    try await database.close()
}

@Test func migrationFilesMustBeNumberedWithoutGapsOrDuplicates() throws {
    #expect(throws: StorageError.invalidMigrationFileName("initial.sql")) {
        try MigrationSet(embedded: [("initial.sql", "")])
    }
    #expect(throws: StorageError.missingMigrationNumber(2)) {
        try MigrationSet(embedded: [("0001_a.sql", ""), ("0003_c.sql", "")])
    }
    #expect(throws: StorageError.duplicateMigrationID(1, files: ["0001_a.sql", "0001_b.sql"])) {
        try MigrationSet(embedded: [("0001_a.sql", ""), ("0001_b.sql", "")])
    }
    let set = try MigrationSet(embedded: [("0002_b.sql", "SELECT 2"), ("0001_a.sql", "SELECT 1")])
    #expect(set.migrations.map(\.id) == [1, 2])
}

@Test func theMigrationsFolderIsFoundFromConfigurationEnvironmentOrExecutable() throws {
    let folder = try TemporaryDirectory()
    let elsewhere = folder.url.appendingPathComponent("elsewhere")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)

    // Explicit wins.
    #expect(try MigrationSet.locate(explicit: migrationsDirectory, environment: [:], currentDirectory: elsewhere,
                                    executable: nil).path == migrationsDirectory.path)
    // Then $SAFETY_MIGRATIONS_DIR.
    #expect(try MigrationSet.locate(environment: ["SAFETY_MIGRATIONS_DIR": migrationsDirectory.path],
                                    currentDirectory: elsewhere, executable: nil).path == migrationsDirectory.path)
    // Then ./migrations.
    let checkout = migrationsDirectory.deletingLastPathComponent()
    #expect(try MigrationSet.locate(environment: [:], currentDirectory: checkout, executable: nil).standardizedFileURL
        .path == migrationsDirectory.standardizedFileURL.path)
    // Then walking up from .build/debug/safety-server.
    let executable = checkout.appendingPathComponent(".build/debug/safety-server")
    #expect(try MigrationSet.locate(environment: [:], currentDirectory: elsewhere, executable: executable).path
        == migrationsDirectory.standardizedFileURL.path)
    // Nothing found: the error lists where it looked.
    let error = #expect(throws: StorageError.self) {
        try MigrationSet.locate(environment: [:], currentDirectory: elsewhere,
                                executable: elsewhere.appendingPathComponent("bin/server"))
    }
    guard case .migrationsDirectoryNotFound(let searched)? = error else {
        Issue.record("expected migrationsDirectoryNotFound")
        return
    }
    #expect(searched.contains(elsewhere.appendingPathComponent("migrations").path))
    // A wrong $SAFETY_MIGRATIONS_DIR is an error, not silently skipped.
    #expect(throws: StorageError.self) {
        try MigrationSet.locate(environment: ["SAFETY_MIGRATIONS_DIR": elsewhere.path], currentDirectory: checkout,
                                executable: nil)
    }
}
