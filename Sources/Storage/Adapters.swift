import Foundation
import GRDB

/// An adapter to register.
public struct NewAdapter: Sendable, Equatable {
    public var id: String
    public var contentHash: String
    public var path: String
    public var baseModelID: String
    public var runID: Int64?
    public var eval: JSONValue?
    public var parentAdapterID: String?
    public var createdAt: Date

    public init(
        id: String, contentHash: String, path: String, baseModelID: String, runID: Int64? = nil,
        eval: JSONValue? = nil, parentAdapterID: String? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.contentHash = contentHash
        self.path = path
        self.baseModelID = baseModelID
        self.runID = runID
        self.eval = eval
        self.parentAdapterID = parentAdapterID
        self.createdAt = createdAt
    }
}

/// A registered LoRA adapter. At most one is active; none active means the base model serves alone.
public struct Adapter: Sendable, Equatable, Codable {
    public var id: String
    public var contentHash: String
    public var path: String
    public var baseModelID: String
    public var createdAt: Date
    /// The training run that produced it (nil for adapters imported by hand).
    public var runID: Int64?
    public var eval: JSONValue?
    public var isActive: Bool
    /// Most recent activation.
    public var activatedAt: Date?
    /// The adapter this one was trained from.
    public var parentAdapterID: String?

    enum CodingKeys: String, CodingKey {
        case id
        case contentHash = "content_hash"
        case path
        case baseModelID = "base_model_id"
        case createdAt = "created_at"
        case runID = "run_id"
        case eval
        case isActive = "active"
        case activatedAt = "activated_at"
        case parentAdapterID = "parent_adapter_id"
    }
}

public protocol AdapterStore: Sendable {
    func register(_ adapter: NewAdapter) async throws -> Adapter
    /// Makes `id` the only active adapter, in one transaction.
    func activate(id: String) async throws -> Adapter
    /// Deactivates every adapter: the base model serves alone.
    func deactivateAll() async throws
    func active() async throws -> Adapter?
    func get(id: String) async throws -> Adapter?
    /// Newest first.
    func list() async throws -> [Adapter]
}

public final class SQLiteAdapterStore: AdapterStore {
    let pool: DatabasePool

    init(pool: DatabasePool) { self.pool = pool }

    public func register(_ adapter: NewAdapter) async throws -> Adapter {
        try await mappingErrors {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO adapters (id, content_hash, path, base_model_id, created_at, run_id, eval,
                                              parent_adapter_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [adapter.id, adapter.contentHash, adapter.path, adapter.baseModelID,
                                adapter.createdAt.unixMilliseconds, adapter.runID, adapter.eval?.jsonText,
                                adapter.parentAdapterID])
                return try Self.fetch(adapter.id, in: db)
            }
        }
    }

    public func activate(id: String) async throws -> Adapter {
        let now = Date().unixMilliseconds
        return try await mappingErrors {
            try await pool.write { db in
                // Both updates commit together, so readers never see two active adapters or none in between.
                try db.execute(sql: "UPDATE adapters SET active = 0 WHERE active = 1 AND id <> ?", arguments: [id])
                try db.execute(sql: "UPDATE adapters SET active = 1, activated_at = ? WHERE id = ?",
                               arguments: [now, id])
                guard db.changesCount == 1 else { throw StorageError.notFound(entity: "adapter", id: id) }
                return try Self.fetch(id, in: db)
            }
        }
    }

    public func deactivateAll() async throws {
        try await mappingErrors {
            try await pool.write { db in try db.execute(sql: "UPDATE adapters SET active = 0 WHERE active = 1") }
        }
    }

    public func active() async throws -> Adapter? {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE active = 1").map(Self.decode)
            }
        }
    }

    public func get(id: String) async throws -> Adapter? {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE id = ?", arguments: [id]).map(Self.decode)
            }
        }
    }

    public func list() async throws -> [Adapter] {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM adapters ORDER BY created_at DESC, id DESC").map(Self.decode)
            }
        }
    }

    static func fetch(_ id: String, in db: GRDB.Database) throws -> Adapter {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE id = ?", arguments: [id]) else {
            throw StorageError.notFound(entity: "adapter", id: id)
        }
        return try decode(row)
    }

    static func decode(_ row: Row) throws -> Adapter {
        Adapter(
            id: row["id"], contentHash: row["content_hash"], path: row["path"], baseModelID: row["base_model_id"],
            createdAt: Date(unixMilliseconds: row["created_at"]), runID: row["run_id"],
            eval: try (row["eval"] as String?).map(JSONValue.init(jsonText:)), isActive: row["active"],
            activatedAt: (row["activated_at"] as Int64?).map(Date.init(unixMilliseconds:)),
            parentAdapterID: row["parent_adapter_id"])
    }
}
