import Foundation
import GRDB

/// The service's SQLite database: one file in WAL mode behind a GRDB `DatabasePool` (one writer, several concurrent
/// readers), migrated on open, with one repository per table family.
public final class Database: Sendable {
    public struct Options: Sendable {
        /// When a commit reaches the disk.
        ///
        /// In WAL mode, `NORMAL` writes each commit to the WAL without fsync: a commit survives a killed process
        /// (kill -9, crash) because the OS page cache still holds it, but a power loss or kernel panic can lose the
        /// last commits. `FULL` fsyncs the WAL at every commit, so a committed request also survives power loss.
        /// The default is `FULL`: "nothing acknowledged is ever lost" should not depend on the power staying on, and
        /// group commit amortises the fsync over every request that commits together. Measured with
        /// `benchmarkInserts` (release build, 2 shared cores, ext4): FULL and NORMAL were within run-to-run noise
        /// (≈ 6k rows/s one row per commit, 8–12k rows/s with 64 writers), so durability costs nothing visible here.
        public var synchronous: Synchronous = .full
        /// How long a write waits for a lock held by another connection (another process, a checkpoint) before
        /// failing with SQLITE_BUSY.
        public var busyTimeout: TimeInterval = 5
        /// Concurrent read connections.
        public var maximumReaderCount: Int = 4
        /// Most requests committed in one group-commit transaction.
        public var maximumBatchSize: Int = 512

        public init(synchronous: Synchronous = .full, busyTimeout: TimeInterval = 5) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
        }
    }

    public enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    /// Path of the SQLite file.
    public let path: String
    public let synchronous: Synchronous
    public let requests: SQLiteRequestStore
    public let corrections: SQLiteCorrectionStore
    public let apiKeys: SQLiteAPIKeyStore
    public let trainingRuns: SQLiteTrainingRunStore
    public let adapters: SQLiteAdapterStore
    public let auditLog: SQLiteAuditLog

    let pool: DatabasePool
    let insertQueue: InsertQueue

    /// Opens (creating it and its folder when needed) the database at `path` and applies pending migrations from
    /// `migrationsDirectory`, or from the folder `MigrationSet.locate` finds when it is nil.
    public static func open(path: String, migrationsDirectory: URL? = nil, options: Options = Options()) throws
        -> Database
    {
        let directory = try MigrationSet.locate(explicit: migrationsDirectory)
        return try open(path: path, migrations: MigrationSet(directory: directory), options: options)
    }

    /// Opens the database at `path` and applies pending migrations from `migrations`.
    public static func open(path: String, migrations: MigrationSet, options: Options = Options()) throws -> Database {
        try open(path: path, migrations: migrations, options: options, upTo: nil)
    }

    /// `upTo` stops after that migration (tests migrate step by step).
    static func open(path: String, migrations: MigrationSet, options: Options, upTo: Int?) throws -> Database {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)

        var configuration = Configuration()
        configuration.label = "safety"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.maximumReaderCount = max(1, options.maximumReaderCount)
        let synchronous = options.synchronous.rawValue
        configuration.prepareDatabase { db in
            // DatabasePool puts the file in WAL mode itself; synchronous is per connection.
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let pool = try mappingErrors { try DatabasePool(path: path, configuration: configuration) }
        _ = try mappingErrors { try MigrationRunner(set: migrations).migrate(pool, upTo: upTo) }
        return Database(path: path, pool: pool, options: options)
    }

    private init(path: String, pool: DatabasePool, options: Options) {
        let maximumBatchSize = options.maximumBatchSize
        self.path = path
        self.synchronous = options.synchronous
        self.pool = pool
        self.insertQueue = InsertQueue(pool: pool, maximumBatchSize: max(1, maximumBatchSize))
        self.requests = SQLiteRequestStore(pool: pool, queue: insertQueue)
        self.corrections = SQLiteCorrectionStore(pool: pool)
        self.apiKeys = SQLiteAPIKeyStore(pool: pool)
        self.trainingRuns = SQLiteTrainingRunStore(pool: pool)
        self.adapters = SQLiteAdapterStore(pool: pool)
        self.auditLog = SQLiteAuditLog(pool: pool)
    }

    /// The migrations this database has applied, in order.
    public func appliedMigrations() async throws -> [AppliedMigration] {
        try await mappingErrors { try await pool.read { db in try MigrationRunner.applied(db) } }
    }

    /// Group-commit statistics since the database was opened.
    public var groupCommitStatistics: GroupCommitStatistics { insertQueue.statistics }

    /// Copies the WAL into the main file and truncates the WAL (e.g. before a backup).
    public func checkpoint() async throws {
        try await mappingErrors {
            try await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
    }

    /// Waits for queued inserts to commit, refuses new ones, and closes every connection.
    public func close() async throws {
        await insertQueue.close()
        try mappingErrors { try pool.close() }
    }
}

extension Database {
    /// Proves the file can take a write lock right now (readiness probe): begins an immediate transaction and rolls
    /// it back, writing nothing.
    public func checkWritable() async throws {
        try await mappingErrors {
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
        }
    }
}
