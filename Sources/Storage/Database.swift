import Foundation
import GRDB

/// The service's database, migrated on open, with one repository per table family behind the same protocols on
/// either backend: a SQLite file in WAL mode behind a GRDB `DatabasePool` (one writer, several concurrent readers; the
/// default, one machine), or PostgreSQL over postgres-nio (several replicas on one database).
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
        /// PostgreSQL: most connections this process opens (the group-commit writer takes one, readers the rest).
        public var maximumConnections: Int = 8
        /// PostgreSQL: how long connecting may take before start-up fails with the server named.
        public var connectTimeout: Duration = .seconds(10)

        public init(synchronous: Synchronous = .full, busyTimeout: TimeInterval = 5) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
        }
    }

    public enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    /// Which engine holds the data.
    public enum Backend: String, Sendable {
        /// One SQLite file (WAL): one machine, the default.
        case sqlite
        /// A PostgreSQL database: several replicas may share it.
        case postgres
    }

    public let backend: Backend
    /// Where the data is: the SQLite file's path, or the PostgreSQL URL without its password (safe to log).
    public let path: String
    /// When a commit is durable: SQLite's `synchronous` ("FULL", "NORMAL"), or "synchronous_commit=on" for
    /// PostgreSQL (the server's WAL is flushed before COMMIT returns).
    public let durability: String
    public let requests: any RequestStore
    public let corrections: any CorrectionStore
    public let apiKeys: any APIKeyStore
    public let trainingRuns: any TrainingRunStore
    public let adapters: any AdapterStore
    public let auditLog: any AuditLog
    /// Named leases with an expiry: one retrain at a time across the replicas that share this database.
    public let leases: any LeaseStore

    /// The SQLite pool (nil on PostgreSQL).
    let sqlitePool: DatabasePool?
    /// The PostgreSQL connections (nil on SQLite).
    let postgres: PostgresEngine?
    let insertQueue: InsertQueue

    /// Opens the database `location` names: a `postgres://` (or `postgresql://`) URL opens PostgreSQL, anything else
    /// is the path of a SQLite file. Migrations come from `migrationsDirectory` (PostgreSQL's from its `postgres/`
    /// subfolder), or from the folder `MigrationSet.locate` finds when it is nil. An unreachable server, a refused login
    /// or a malformed URL is a `StorageError` that says which.
    public static func open(location: String, migrationsDirectory: URL? = nil, options: Options = Options()) async throws
        -> Database
    {
        if PostgresURL.looksLikePostgres(location) {
            let url = try PostgresURL(location)
            let directory = try MigrationSet.locate(explicit: migrationsDirectory)
            let migrations = try MigrationSet(directory: directory.appendingPathComponent("postgres"))
            return try await openPostgres(url: url, migrations: migrations, options: options)
        }
        return try open(path: location, migrationsDirectory: migrationsDirectory, options: options)
    }

    /// Opens (creating it and its folder when needed) the SQLite database at `path` and applies pending migrations
    /// from `migrationsDirectory`, or from the folder `MigrationSet.locate` finds when it is nil.
    public static func open(path: String, migrationsDirectory: URL? = nil, options: Options = Options()) throws
        -> Database
    {
        let directory = try MigrationSet.locate(explicit: migrationsDirectory)
        return try open(path: path, migrations: MigrationSet(directory: directory), options: options)
    }

    /// Opens the SQLite database at `path` and applies pending migrations from `migrations`.
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
        return Database(sqlitePath: path, pool: pool, options: options)
    }

    private init(sqlitePath path: String, pool: DatabasePool, options: Options) {
        let queue = InsertQueue(maximumBatchSize: max(1, options.maximumBatchSize)) { rows in
            // A failing row (a CHECK, a missing key) aborts only its own statement; the others still commit.
            try await pool.write { db in rows.map { row in Result { try SQLiteRequestStore.insert(row, in: db) } } }
        }
        self.backend = .sqlite
        self.path = path
        self.durability = options.synchronous.rawValue
        self.sqlitePool = pool
        self.postgres = nil
        self.insertQueue = queue
        self.requests = SQLiteRequestStore(pool: pool, queue: queue)
        self.corrections = SQLiteCorrectionStore(pool: pool)
        self.apiKeys = SQLiteAPIKeyStore(pool: pool)
        self.trainingRuns = SQLiteTrainingRunStore(pool: pool)
        self.adapters = SQLiteAdapterStore(pool: pool)
        self.auditLog = SQLiteAuditLog(pool: pool)
        // One SQLite file is served by one process, so a lease only has to exclude within it.
        self.leases = InProcessLeaseStore()
    }

    init(postgres engine: PostgresEngine, queue: InsertQueue) {
        self.backend = .postgres
        self.path = engine.url.redacted
        self.durability = "synchronous_commit=on"
        self.sqlitePool = nil
        self.postgres = engine
        self.insertQueue = queue
        self.requests = PostgresRequestStore(engine: engine, queue: queue)
        self.corrections = PostgresCorrectionStore(engine: engine)
        self.apiKeys = PostgresAPIKeyStore(engine: engine)
        self.trainingRuns = PostgresTrainingRunStore(engine: engine)
        self.adapters = PostgresAdapterStore(engine: engine)
        self.auditLog = PostgresAuditLog(engine: engine)
        self.leases = PostgresLeaseStore(engine: engine)
    }

    /// The migrations this database has applied, in order.
    public func appliedMigrations() async throws -> [AppliedMigration] {
        if let postgres { return try await postgres.appliedMigrations() }
        guard let sqlitePool else { return [] }
        return try await mappingErrors { try await sqlitePool.read { db in try MigrationRunner.applied(db) } }
    }

    /// Group-commit statistics since the database was opened.
    public var groupCommitStatistics: GroupCommitStatistics { insertQueue.statistics }

    /// SQLite: copies the WAL into the main file and truncates the WAL (e.g. before a backup). PostgreSQL: nothing
    /// (the server checkpoints on its own).
    public func checkpoint() async throws {
        guard let sqlitePool else { return }
        try await mappingErrors {
            try await sqlitePool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
    }

    /// Waits for queued inserts to commit, refuses new ones, and closes every connection.
    public func close() async throws {
        await insertQueue.close()
        if let postgres { await postgres.close() }
        if let sqlitePool { try mappingErrors { try sqlitePool.close() } }
    }
}

extension Database {
    /// Proves the database can take a write right now (readiness probe). SQLite: begins an immediate transaction and
    /// rolls it back, writing nothing. PostgreSQL: a round trip to a primary that is not read-only.
    public func checkWritable() async throws {
        if let postgres { return try await postgres.checkWritable() }
        guard let sqlitePool else { return }
        try await mappingErrors {
            try await sqlitePool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
        }
    }
}
