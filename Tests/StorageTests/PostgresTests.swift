import Foundation
import Testing
@testable import Storage

@Test func postgresURLsAreParsedAndTheirPasswordsNeverPrinted() throws {
    let url = try PostgresURL("postgres://safety:s%40cret@db.internal:6543/scoring?sslmode=require")
    #expect(url.host == "db.internal" && url.port == 6543 && url.user == "safety" && url.password == "s@cret")
    #expect(url.database == "scoring" && url.sslMode == .require)
    #expect(url.redacted == "postgres://safety:***@db.internal:6543/scoring")
    #expect(try PostgresURL(url.string) == url)
    #expect(try PostgresURL("postgresql://u@h/d").port == 5432)
    for bad in ["postgres://h/d", "postgres://u@h", "postgres://u@h:99999/d", "postgres://u@h/d?sslmode=maybe",
                "postgres://u@h/d?timeout=3", "mysql://u@h/d"] {
        #expect(throws: StorageError.self, "\(bad)") { try PostgresURL(bad) }
    }
    #expect(PostgresURL.looksLikePostgres("postgres://u@h/d") && !PostgresURL.looksLikePostgres("var/safety.sqlite"))
}

@Test func anUnreachableServerFailsAtOnceNamingIt() async throws {
    // Port 9 on loopback: nothing listens there, so the connection is refused at once.
    let clock = ContinuousClock()
    let start = clock.now
    do {
        _ = try await Database.open(location: "postgres://nobody:pw@127.0.0.1:9/none?sslmode=disable", migrationsDirectory: migrationsDirectory)
        Issue.record("opening an unreachable server should fail")
    } catch let error as StorageError {
        guard case .unavailable(let message) = error else { Issue.record("unexpected error \(error)"); return }
        #expect(message.contains("postgres://nobody:***@127.0.0.1:9/none"), "\(message)")
        #expect(!message.contains("pw@"))
    }
    // Without the direct first connection the pool would retry quietly and the open would hang. The bound is loose
    // because the whole suite shares two cores: this task can wait tens of seconds for a thread.
    #expect(clock.now - start < .seconds(90))
}

@Test func aMissingDatabaseOrAWrongUserIsRefusedWithTheServersReason() async throws {
    let server = try await TemporaryPostgresServer.shared()
    var missing = server.url
    missing.database = "no_such_database"
    await #expect(throws: StorageError.self) {
        _ = try await Database.open(location: missing.string, migrationsDirectory: migrationsDirectory)
    }
    do {
        _ = try await Database.open(location: missing.string, migrationsDirectory: migrationsDirectory)
    } catch {
        #expect("\(error)".contains("no_such_database"), "\(error)")
    }
}

@Test func postgresMigrationsAreAppliedOnceRecordedAndAppendOnly() async throws {
    let store = try await TestStore(.postgres)
    let database = try await store.open()
    #expect(try await database.appliedMigrations().map(\.id) == [1, 2, 3])
    try await database.close()
    // Opening again (another replica starting) applies nothing and changes nothing.
    let again = try await store.open()
    #expect(try await again.appliedMigrations().map(\.name) == ["0001_initial", "0002_leases", "0003_adapter_import"])
    try await again.close()

    // An applied file that was edited is refused, naming it.
    let copy = try store.folder.copyOfMigrations()
    let first = copy.appendingPathComponent("postgres/0001_initial.sql")
    try (try String(contentsOf: first, encoding: .utf8) + "\n-- edited\n").write(to: first, atomically: true, encoding: .utf8)
    do {
        _ = try await Database.open(location: store.location, migrationsDirectory: copy)
        Issue.record("an edited migration must be refused")
    } catch let error as StorageError {
        guard case .appliedMigrationChanged(let id, _, _, _) = error else { Issue.record("\(error)"); return }
        #expect(id == 1)
    }
}

@Test func sqlFilesAreSplitAtTopLevelSemicolonsOnly() {
    let sql = """
        -- a comment; with a semicolon
        CREATE TABLE a (x TEXT DEFAULT 'a;b');
        CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'no; never';
        END;
        $$;
        /* block; comment */ SELECT "odd;name" FROM a;
        -- trailing comment only
        """
    let statements = SQLStatements.split(sql)
    #expect(statements.count == 3, "\(statements)")
    #expect(statements[0].hasSuffix("DEFAULT 'a;b')"))
    #expect(statements[1].contains("RAISE EXCEPTION 'no; never';\nEND;\n$$"))
    #expect(statements[2].hasSuffix("SELECT \"odd;name\" FROM a"))
    // Both shipped PostgreSQL files split into statements PostgreSQL accepted (the migration test above ran them).
}

@Test(arguments: TestBackend.allCases) func aLeaseHasOneHolderUntilItExpiresOrIsReleased(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let leases = database.leases
    #expect(try await leases.current("retrain") == nil)
    #expect(try await leases.acquire("retrain", holder: "replica-a", for: .seconds(2)))
    #expect(try await leases.acquire("retrain", holder: "replica-b", for: .seconds(2)) == false)
    let held = try #require(try await leases.current("retrain"))
    #expect(held.holder == "replica-a" && held.expiresAt > held.acquiredAt)
    // Renewing keeps the holder and its first acquisition time, and pushes the expiry out.
    try await Task.sleep(for: .milliseconds(300))
    #expect(try await leases.acquire("retrain", holder: "replica-a", for: .seconds(2)))
    let renewed = try #require(try await leases.current("retrain"))
    #expect(renewed.acquiredAt == held.acquiredAt && renewed.expiresAt > held.expiresAt)
    // A holder that stops renewing (it died) loses the lease once it expires.
    #expect(try await leases.acquire("retrain", holder: "replica-a", for: .milliseconds(200)))
    try await Task.sleep(for: .milliseconds(400))
    #expect(try await leases.acquire("retrain", holder: "replica-b", for: .seconds(2)))
    #expect(try await leases.current("retrain")?.holder == "replica-b")
    // Releasing is only the holder's to do.
    try await leases.release("retrain", holder: "replica-a")
    #expect(try await leases.current("retrain")?.holder == "replica-b")
    try await leases.release("retrain", holder: "replica-b")
    #expect(try await leases.current("retrain") == nil)
    // Concurrent takers: exactly one wins.
    let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
        for index in 0..<12 { group.addTask { try await leases.acquire("race", holder: "r\(index)", for: .seconds(5)) } }
        return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
    }
    #expect(wins == 1)
    try await database.close()
}

@Test func twoConnectionsToOneDatabaseSeeEachOthersWritesAtOnce() async throws {
    // Two replicas are two processes with their own pools; here, two `Database`s on one PostgreSQL database.
    let store = try await TestStore(.postgres)
    let a = try await store.open()
    let b = try await store.open()
    let client = try await a.makeClient()
    let inserted = try await a.requests.insert(newRequest(client: client, clientRequestID: "shared-1")).request
    #expect(try await b.requests.get(id: inserted.id) == inserted)
    // A retry of the same client request on the other replica returns the first row.
    let retry = try await b.requests.insert(newRequest(client: client, text: "again", clientRequestID: "shared-1"))
    #expect(!retry.inserted && retry.request.id == inserted.id)
    let correction = try await b.corrections.add(NewCorrection(requestID: inserted.id, reviewerKeyID: client, scores: PerDimension(repeating: 40)))
    #expect(try await a.corrections.latest(requestID: inserted.id) == correction)
    #expect(try await a.requests.get(id: inserted.id)?.correctionCount == 1)
    try await a.close()
    try await b.close()
}
