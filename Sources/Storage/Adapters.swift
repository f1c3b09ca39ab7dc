import Foundation
import GRDB

/// Where an adapter came from.
public enum AdapterOrigin: String, Codable, Sendable, Equatable {
    /// Trained by the server's own learning loop; registered only after its run's gate accepted it.
    case retrain
    /// Trained elsewhere and imported through the API; it has a gate of its own (`AdapterGateState`).
    case imported
}

/// Where an imported adapter's held-out evaluation stands. It may serve without an override only once `passed`.
public enum AdapterGateState: String, Codable, Sendable, Equatable {
    case pending, evaluating, passed, rejected
    /// The evaluation could not run (the adapter's `gate_detail` says why).
    case failed
}

/// An admin's decision to serve an adapter whose gate has not passed, kept on the adapter's row.
public struct AdapterOverride: Sendable, Equatable {
    public var reason: String
    public var keyID: Int64?

    public init(reason: String, keyID: Int64?) { self.reason = reason; self.keyID = keyID }
}

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
    public var origin: AdapterOrigin
    public var label: String?
    public var sourcePath: String?
    /// Set for imports (`.pending`), nil for the retrain's adapters.
    public var gateState: AdapterGateState?

    public init(
        id: String, contentHash: String, path: String, baseModelID: String, runID: Int64? = nil,
        eval: JSONValue? = nil, parentAdapterID: String? = nil, createdAt: Date = Date(),
        origin: AdapterOrigin = .retrain, label: String? = nil, sourcePath: String? = nil, gateState: AdapterGateState? = nil
    ) {
        self.id = id
        self.contentHash = contentHash
        self.path = path
        self.baseModelID = baseModelID
        self.runID = runID
        self.eval = eval
        self.parentAdapterID = parentAdapterID
        self.createdAt = createdAt
        self.origin = origin
        self.label = label
        self.sourcePath = sourcePath
        self.gateState = gateState
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
    public var origin: AdapterOrigin = .retrain
    public var label: String?
    /// The folder an imported adapter's files were copied from.
    public var sourcePath: String?
    /// An imported adapter's gate (nil for the retrain's adapters, which are registered only once their run's gate
    /// accepted them).
    public var gateState: AdapterGateState?
    /// The gate's decision in words, or why the evaluation failed.
    public var gateDetail: String?
    /// Why an admin let it serve although its gate had not passed; who and when.
    public var overrideReason: String?
    public var overrideBy: Int64?
    public var overrideAt: Date?

    /// True when it may serve without an admin's override: the retrain's adapters, and imports whose gate passed.
    public var gatePassed: Bool { origin == .retrain || gateState == .passed }

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
        case origin, label
        case sourcePath = "source_path"
        case gateState = "gate_state"
        case gateDetail = "gate_detail"
        case overrideReason = "override_reason"
        case overrideBy = "override_by"
        case overrideAt = "override_at"
    }
}

public protocol AdapterStore: Sendable {
    func register(_ adapter: NewAdapter) async throws -> Adapter
    /// Makes `id` the only active adapter, in one transaction; with `override`, records it on the row in the same
    /// transaction (the schema refuses to activate an imported adapter whose gate has not passed without one).
    func activate(id: String, override: AdapterOverride?) async throws -> Adapter
    /// The registered adapter with these files (newest first when there are several), if any.
    func find(contentHash: String) async throws -> Adapter?
    /// Takes the oldest import waiting for its evaluation and marks it `evaluating`; nil when none waits.
    func claimNextGateEvaluation() async throws -> Adapter?
    /// Records an imported adapter's evaluation and gate outcome.
    func recordGate(id: String, state: AdapterGateState, eval: JSONValue?, detail: String?) async throws -> Adapter
    /// Evaluations interrupted by a stop (crash, shutdown) go back to `pending`; returns their ids.
    func requeueInterruptedGateEvaluations() async throws -> [String]
    /// How many imports wait for their evaluation, and how many are being evaluated (one read, for the job's poll).
    func gateQueue() async throws -> (pending: Int, evaluating: Int)
    /// Deactivates every adapter: the base model serves alone.
    func deactivateAll() async throws
    func active() async throws -> Adapter?
    func get(id: String) async throws -> Adapter?
    /// Newest first.
    func list() async throws -> [Adapter]
}

extension AdapterStore {
    /// Makes `id` the only active adapter, without an override (what the retrain's own adapters and passed imports need).
    public func activate(id: String) async throws -> Adapter { try await activate(id: id, override: nil) }
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
                                              parent_adapter_id, origin, label, source_path, gate_state)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [adapter.id, adapter.contentHash, adapter.path, adapter.baseModelID,
                                adapter.createdAt.unixMilliseconds, adapter.runID, adapter.eval?.jsonText,
                                adapter.parentAdapterID, adapter.origin.rawValue, adapter.label, adapter.sourcePath,
                                adapter.gateState?.rawValue])
                return try Self.fetch(adapter.id, in: db)
            }
        }
    }

    public func activate(id: String, override: AdapterOverride? = nil) async throws -> Adapter {
        let now = Date().unixMilliseconds
        return try await mappingErrors {
            try await pool.write { db in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM adapters WHERE id = ?", arguments: [id]) != nil else {
                    throw StorageError.notFound(entity: "adapter", id: id)
                }
                if let override {
                    try db.execute(sql: "UPDATE adapters SET override_reason = ?, override_by = ?, override_at = ? WHERE id = ?",
                                   arguments: [override.reason, override.keyID, now, id])
                }
                // Both updates commit together, so readers never see two active adapters or none in between.
                try db.execute(sql: "UPDATE adapters SET active = 0 WHERE active = 1 AND id <> ?", arguments: [id])
                try db.execute(sql: "UPDATE adapters SET active = 1, activated_at = ? WHERE id = ?",
                               arguments: [now, id])
                return try Self.fetch(id, in: db)
            }
        }
    }

    public func find(contentHash: String) async throws -> Adapter? {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE content_hash = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                                 arguments: [contentHash]).map(Self.decode)
            }
        }
    }

    public func claimNextGateEvaluation() async throws -> Adapter? {
        try await mappingErrors {
            try await pool.write { db in
                guard let id = try String.fetchOne(db, sql: """
                    SELECT id FROM adapters WHERE gate_state = 'pending' ORDER BY created_at, id LIMIT 1
                    """) else { return nil }
                try db.execute(sql: "UPDATE adapters SET gate_state = 'evaluating' WHERE id = ?", arguments: [id])
                return try Self.fetch(id, in: db)
            }
        }
    }

    public func recordGate(id: String, state: AdapterGateState, eval: JSONValue?, detail: String?) async throws -> Adapter {
        try await mappingErrors {
            try await pool.write { db in
                try db.execute(sql: "UPDATE adapters SET gate_state = ?, eval = ?, gate_detail = ? WHERE id = ? AND origin = 'imported'",
                               arguments: [state.rawValue, eval?.jsonText, detail, id])
                guard db.changesCount == 1 else { throw StorageError.notFound(entity: "imported adapter", id: id) }
                return try Self.fetch(id, in: db)
            }
        }
    }

    public func requeueInterruptedGateEvaluations() async throws -> [String] {
        try await mappingErrors {
            try await pool.write { db in
                let ids = try String.fetchAll(db, sql: "SELECT id FROM adapters WHERE gate_state = 'evaluating' ORDER BY created_at, id")
                try db.execute(sql: "UPDATE adapters SET gate_state = 'pending' WHERE gate_state = 'evaluating'")
                return ids
            }
        }
    }

    public func gateQueue() async throws -> (pending: Int, evaluating: Int) {
        try await mappingErrors {
            try await pool.read { db in
                let row = try Row.fetchOne(db, sql: """
                    SELECT coalesce(sum(gate_state = 'pending'), 0) AS pending, coalesce(sum(gate_state = 'evaluating'), 0) AS evaluating
                    FROM adapters WHERE gate_state IN ('pending', 'evaluating')
                    """)
                return (pending: row?["pending"] ?? 0, evaluating: row?["evaluating"] ?? 0)
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
            parentAdapterID: row["parent_adapter_id"],
            origin: AdapterOrigin(rawValue: row["origin"] ?? "") ?? .retrain, label: row["label"], sourcePath: row["source_path"],
            gateState: (row["gate_state"] as String?).flatMap(AdapterGateState.init(rawValue:)), gateDetail: row["gate_detail"],
            overrideReason: row["override_reason"], overrideBy: row["override_by"],
            overrideAt: (row["override_at"] as Int64?).map(Date.init(unixMilliseconds:)))
    }
}
