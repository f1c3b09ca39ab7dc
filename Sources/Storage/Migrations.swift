import Foundation
import GRDB

/// One numbered SQL file from `migrations/` (`0001_initial.sql` → id 1, name `0001_initial`).
public struct Migration: Sendable, Equatable {
    public let id: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the SQL text with line endings normalised to `\n`, so a Windows checkout does not look edited.
    public let checksum: String

    public init(fileName: String, sql: String) throws {
        guard fileName.hasSuffix(".sql") else { throw StorageError.invalidMigrationFileName(fileName) }
        let name = String(fileName.dropLast(4))
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        let rest = name.dropFirst(digits.count)
        guard !digits.isEmpty, let id = Int(digits), id > 0, rest.first == "_", rest.count > 1,
              rest.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { throw StorageError.invalidMigrationFileName(fileName) }
        self.id = id
        self.name = name
        self.sql = sql
        self.checksum = SHA256Digest.hex(sql.replacingOccurrences(of: "\r\n", with: "\n"))
    }
}

/// A migration the database has applied, as recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Equatable, Codable {
    public let id: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, checksum
        case appliedAt = "applied_at"
    }
}

/// The ordered list of migrations the program knows, read from a folder or handed over in memory.
///
/// Locating the folder: SwiftPM resources must live inside a target's own folder (a symlink to `../../migrations`
/// is copied as a dangling link), so the SQL is not bundled; the server finds the top-level `migrations/` at run
/// time instead (`locate`). A build that wants the SQL inside the binary can pass `MigrationSet(embedded:)`, e.g.
/// from a generated source file.
public struct MigrationSet: Sendable {
    public let migrations: [Migration]
    /// Where the migrations came from (a folder path, or "embedded"), for error messages and logs.
    public let source: String

    /// Reads every `*.sql` file of `directory`; other files (a README) are ignored.
    public init(directory: URL) throws {
        let fileManager = FileManager.default
        let names: [String]
        do {
            names = try fileManager.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StorageError.migrationsDirectoryNotFound(searched: [directory.path])
        }
        var files: [(String, String)] = []
        for name in names where name.hasSuffix(".sql") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            guard let data = fileManager.contents(atPath: url.path) else {
                throw StorageError.invalidArgument("cannot read migration file \(url.path)")
            }
            files.append((name, String(decoding: data, as: UTF8.self)))
        }
        try self.init(files: files, source: directory.path)
    }

    /// Migrations compiled into the program: (file name, SQL) pairs, in any order.
    public init(embedded files: [(fileName: String, sql: String)]) throws {
        try self.init(files: files.map { ($0.fileName, $0.sql) }, source: "embedded")
    }

    private init(files: [(String, String)], source: String) throws {
        let parsed = try files.map { try Migration(fileName: $0.0, sql: $0.1) }.sorted { $0.id < $1.id }
        for (index, migration) in parsed.enumerated() {
            let expected = index + 1
            if migration.id == expected { continue }
            if migration.id < expected {
                let clash = parsed.filter { $0.id == migration.id }.map { $0.name + ".sql" }
                throw StorageError.duplicateMigrationID(migration.id, files: clash)
            }
            throw StorageError.missingMigrationNumber(expected)
        }
        self.migrations = parsed
        self.source = source
    }

    /// The folder `migrations/` to use, in this order:
    /// 1. `explicit`, when given (it must exist);
    /// 2. `$SAFETY_MIGRATIONS_DIR`, when set (it must exist);
    /// 3. `./migrations` under the current directory;
    /// 4. `migrations/` in the executable's folder or the nearest folder above it, so `.build/debug/safety-server`
    ///    run from anywhere finds the checkout's `migrations/`.
    /// A folder counts only if it holds a `0001_*.sql` file.
    public static func locate(
        explicit: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        executable: URL? = Bundle.main.executableURL
    ) throws -> URL {
        if let explicit {
            guard isMigrationsFolder(explicit) else {
                throw StorageError.migrationsDirectoryNotFound(searched: [explicit.path])
            }
            return explicit
        }
        if let fromEnvironment = environment["SAFETY_MIGRATIONS_DIR"], !fromEnvironment.isEmpty {
            let url = URL(fileURLWithPath: fromEnvironment, relativeTo: currentDirectory).standardizedFileURL
            guard isMigrationsFolder(url) else {
                throw StorageError.migrationsDirectoryNotFound(searched: ["$SAFETY_MIGRATIONS_DIR=\(url.path)"])
            }
            return url
        }
        var searched: [String] = []
        var candidates = [currentDirectory.appendingPathComponent("migrations")]
        if let executable {
            var folder = executable.resolvingSymlinksInPath().deletingLastPathComponent().standardizedFileURL
            while true {
                candidates.append(folder.appendingPathComponent("migrations"))
                let parent = folder.deletingLastPathComponent().standardizedFileURL
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        for candidate in candidates {
            if isMigrationsFolder(candidate) { return candidate.standardizedFileURL }
            searched.append(candidate.path)
        }
        throw StorageError.migrationsDirectoryNotFound(searched: searched)
    }

    private static func isMigrationsFolder(_ url: URL) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return false }
        return names.contains { $0.hasPrefix("0001_") && $0.hasSuffix(".sql") }
    }
}

/// Applies pending migrations: one transaction each, recorded with its checksum in `schema_migrations`.
struct MigrationRunner {
    let set: MigrationSet

    /// Checks the applied migrations against the files, then applies the pending ones with `id <= upTo`.
    /// Returns the ids it applied (empty when the database was up to date).
    @discardableResult
    func migrate(_ writer: some DatabaseWriter, upTo limit: Int? = nil) throws -> [Int] {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id         INTEGER PRIMARY KEY,
                    name       TEXT    NOT NULL,
                    checksum   TEXT    NOT NULL,
                    applied_at INTEGER NOT NULL
                ) STRICT
                """)
        }
        let applied = try writer.read { db in try Self.applied(db) }
        let known = Dictionary(uniqueKeysWithValues: set.migrations.map { ($0.id, $0) })
        for record in applied {
            guard let migration = known[record.id] else {
                throw StorageError.appliedMigrationMissing(id: record.id, name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw StorageError.appliedMigrationChanged(
                    id: record.id, name: record.name, recordedChecksum: record.checksum,
                    fileChecksum: migration.checksum)
            }
        }
        let appliedIDs = Set(applied.map(\.id))
        var done: [Int] = []
        for migration in set.migrations where !appliedIDs.contains(migration.id) {
            if let limit, migration.id > limit { break }
            let didApply = try writer.writeWithoutTransaction { db in
                var didApply = false
                do {
                    try db.inTransaction(.immediate) {
                        // Another process may have applied it since we looked.
                        let already = try Bool.fetchOne(
                            db, sql: "SELECT 1 FROM schema_migrations WHERE id = ?", arguments: [migration.id]) ?? false
                        if already { return .commit }
                        try db.execute(sql: migration.sql)
                        if let row = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
                            let table = row["table"] as String? ?? "?"
                            throw StorageError.invalidArgument("foreign key violation left in table \(table)")
                        }
                        try db.execute(
                            sql: "INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                            arguments: [migration.id, migration.name, migration.checksum, Date().unixMilliseconds])
                        didApply = true
                        return .commit
                    }
                } catch {
                    let message = (error as? DatabaseError)?.message ?? String(describing: error)
                    throw StorageError.migrationFailed(id: migration.id, name: migration.name, message: message)
                }
                return didApply
            }
            if didApply { done.append(migration.id) }
        }
        return done
    }

    static func applied(_ db: GRDB.Database) throws -> [AppliedMigration] {
        try Row.fetchAll(db, sql: "SELECT id, name, checksum, applied_at FROM schema_migrations ORDER BY id").map {
            AppliedMigration(id: $0["id"], name: $0["name"], checksum: $0["checksum"],
                             appliedAt: Date(unixMilliseconds: $0["applied_at"]))
        }
    }
}
