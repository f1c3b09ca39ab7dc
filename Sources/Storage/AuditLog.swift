import Foundation
import GRDB

/// One admin action (key created or revoked, retrain triggered, adapter activated, …). Append-only.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    /// Who did it; nil for the server's own actions.
    public var keyID: Int64?
    public var action: String
    public var target: String?
    public var details: JSONValue?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case keyID = "key_id"
        case action, target, details
        case createdAt = "created_at"
    }
}

public protocol AuditLog: Sendable {
    @discardableResult
    func record(keyID: Int64?, action: String, target: String?, details: JSONValue?) async throws -> AuditEntry
    /// Newest first; `beforeID` continues a previous page.
    func list(limit: Int, beforeID: Int64?) async throws -> [AuditEntry]
}

public final class SQLiteAuditLog: AuditLog {
    let pool: DatabasePool

    init(pool: DatabasePool) { self.pool = pool }

    @discardableResult
    public func record(keyID: Int64?, action: String, target: String?, details: JSONValue?) async throws
        -> AuditEntry
    {
        let now = Date()
        return try await mappingErrors {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO audit_log (key_id, action, target, details, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [keyID, action, target, details?.jsonText, now.unixMilliseconds])
                return AuditEntry(id: db.lastInsertedRowID, keyID: keyID, action: action, target: target,
                                  details: details, createdAt: now.storageRounded)
            }
        }
    }

    public func list(limit: Int = 100, beforeID: Int64? = nil) async throws -> [AuditEntry] {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                                 arguments: [beforeID ?? Int64.max, limit]).map { row in
                    AuditEntry(
                        id: row["id"], keyID: row["key_id"], action: row["action"], target: row["target"],
                        details: try (row["details"] as String?).map(JSONValue.init(jsonText:)),
                        createdAt: Date(unixMilliseconds: row["created_at"]))
                }
            }
        }
    }
}

extension AuditLog {
    @discardableResult
    public func record(keyID: Int64?, action: String) async throws -> AuditEntry {
        try await record(keyID: keyID, action: action, target: nil, details: nil)
    }
}
