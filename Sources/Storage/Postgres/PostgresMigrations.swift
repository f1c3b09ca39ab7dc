import Foundation
import Logging
import PostgresNIO

extension Database {
    /// Opens PostgreSQL: one direct connection first (so a wrong host, password or database name fails here, with the
    /// server's reason), the migrations applied on it under an advisory lock (replicas starting together migrate
    /// once), then the pool the stores use.
    static func openPostgres(url: PostgresURL, migrations: MigrationSet, options: Options, upTo: Int? = nil) async throws
        -> Database
    {
        let connection = try await PostgresEngine.connectOnce(url, timeout: options.connectTimeout)
        do {
            try await PostgresMigrationRunner(set: migrations).migrate(connection, upTo: upTo)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw StorageError.wrap(error)
        }
        let engine = try PostgresEngine(url: url, maximumConnections: options.maximumConnections,
                                        connectTimeout: options.connectTimeout)
        let queue = InsertQueue(maximumBatchSize: max(1, min(options.maximumBatchSize, PostgresRequestStore.maximumRowsPerStatement))) { rows in
            try await PostgresRequestStore.insertBatch(rows, engine: engine)
        }
        return Database(postgres: engine, queue: queue)
    }
}

/// Applies the PostgreSQL migrations (`migrations/postgres/*.sql`): the same rules as SQLite's runner (numbered,
/// append-only, checksummed in `schema_migrations`, one transaction each — DDL is transactional in PostgreSQL).
struct PostgresMigrationRunner {
    let set: MigrationSet
    /// Any constant shared by every replica: `pg_advisory_lock` takes a 64-bit key.
    static let lockKey: Int64 = 0x5AFE_0000_0001

    @discardableResult
    func migrate(_ connection: PostgresConnection, upTo limit: Int? = nil) async throws -> [Int] {
        let logger = Logger(label: "safety.postgres.migrations")
        func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> [PGRow] {
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect().map(PGRow.init)
        }
        // Held until the connection closes (the caller closes it right after), so no unlock is needed.
        _ = try await run("SELECT pg_advisory_lock(\(Self.lockKey))")
        _ = try await run("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id         INTEGER PRIMARY KEY,
                name       TEXT    NOT NULL,
                checksum   TEXT    NOT NULL,
                applied_at BIGINT  NOT NULL
            )
            """)
        let applied = try await run("SELECT id, name, checksum FROM schema_migrations ORDER BY id").map {
            (id: try $0.value("id", as: Int.self), name: try $0.value("name", as: String.self),
             checksum: try $0.value("checksum", as: String.self))
        }
        let known = Dictionary(uniqueKeysWithValues: set.migrations.map { ($0.id, $0) })
        for record in applied {
            guard let migration = known[record.id] else {
                throw StorageError.appliedMigrationMissing(id: record.id, name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw StorageError.appliedMigrationChanged(id: record.id, name: record.name, recordedChecksum: record.checksum,
                                                           fileChecksum: migration.checksum)
            }
        }
        let appliedIDs = Set(applied.map(\.id))
        var done: [Int] = []
        for migration in set.migrations where !appliedIDs.contains(migration.id) {
            if let limit, migration.id > limit { break }
            do {
                _ = try await run("BEGIN")
                do {
                    // The extended protocol takes one statement per query, so the file is split first.
                    for statement in SQLStatements.split(migration.sql) { _ = try await run(statement) }
                    _ = try await run(
                        "INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                        .of([migration.id, migration.name, migration.checksum, Date().unixMilliseconds]))
                    _ = try await run("COMMIT")
                } catch {
                    _ = try? await run("ROLLBACK")
                    throw error
                }
            } catch {
                let message = (error as? PSQLError).map(PostgresEngine.reason) ?? "\(error)"
                throw StorageError.migrationFailed(id: migration.id, name: migration.name, message: message)
            }
            done.append(migration.id)
        }
        return done
    }
}

/// Splits a SQL file into statements at top-level semicolons, leaving alone those inside quotes ('…', "…"),
/// dollar-quoted bodies ($$…$$, $fn$…$fn$) and comments. Written here because postgres-nio sends each query through
/// the extended protocol, which takes one statement at a time.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {  // line comment
                while i < chars.count && chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "/" && next == "*" {  // block comment
                current.append(c); current.append("*"); i += 2
                while i < chars.count && !(chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/") { current.append(chars[i]); i += 1 }
                if i < chars.count { current.append("*"); current.append("/"); i += 2 }
                continue
            }
            if c == "'" || c == "\"" {  // quoted literal or identifier; a doubled quote stays inside
                current.append(c); i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { current.append(c); i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$" {  // dollar quote: $tag$ … $tag$
                var j = i + 1
                while j < chars.count && (chars[j].properties.isAlphabetic || chars[j] == "_" || ("0"..."9").contains(chars[j])) { j += 1 }
                if j < chars.count && chars[j] == "$" {
                    let tag = Array(chars[i...j])
                    for s in tag { current.append(s) }
                    i = j + 1
                    while i < chars.count {
                        if chars[i] == "$" && i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag {
                            for s in tag { current.append(s) }
                            i += tag.count
                            break
                        }
                        current.append(chars[i]); i += 1
                    }
                    continue
                }
            }
            if c == ";" { flush(); i += 1; continue }
            current.append(c); i += 1
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}
