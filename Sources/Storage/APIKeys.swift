import Crypto
import Foundation
import GRDB

public enum Role: String, Sendable, Codable, CaseIterable {
    case client, reviewer, admin
}

/// An API key's record. The key itself is shown once, at creation, and never stored: only its SHA-256.
public struct APIKey: Sendable, Equatable, Codable {
    public var id: Int64
    /// The key's first 8 characters, for telling keys apart in listings.
    public var prefix: String
    public var role: Role
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    public var isRevoked: Bool { revokedAt != nil }

    enum CodingKeys: String, CodingKey {
        case id, prefix, role, label
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at"
    }
}

/// A freshly created key: the record and the clear key, which cannot be recovered later.
public struct CreatedAPIKey: Sendable, Equatable {
    public var key: APIKey
    public var secret: String
}

public enum APIKeySecret {
    /// "cs_" followed by 32 random bytes in unpadded base64url (43 characters).
    public static func generate() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }  // swift-crypto's secure random
        return "cs_" + Base64URL.encode(bytes)
    }

    /// What the database stores for a key: its SHA-256 in lowercase hex.
    public static func hash(_ secret: String) -> String { SHA256Digest.hex(secret) }

    /// Characters of the key kept for display.
    public static let prefixLength = 8
}

public protocol APIKeyStore: Sendable {
    /// Creates a key with a new random secret.
    func create(role: Role, label: String) async throws -> CreatedAPIKey
    /// Stores a key whose secret the caller chose (e.g. a bootstrap admin key from the environment).
    func register(secret: String, role: Role, label: String) async throws -> APIKey
    /// The key with this secret, revoked or not (check `isRevoked`), or nil.
    func find(secret: String) async throws -> APIKey?
    func get(id: Int64) async throws -> APIKey?
    func list() async throws -> [APIKey]
    /// Revokes the key (idempotent: revoking again keeps the first time).
    func revoke(id: Int64) async throws -> APIKey
    /// Records use of the key; writes at most once a minute per key so authentication stays cheap.
    func touch(id: Int64, at: Date) async throws
}

public final class SQLiteAPIKeyStore: APIKeyStore {
    let pool: DatabasePool

    init(pool: DatabasePool) { self.pool = pool }

    public func create(role: Role, label: String) async throws -> CreatedAPIKey {
        let secret = APIKeySecret.generate()
        return CreatedAPIKey(key: try await register(secret: secret, role: role, label: label), secret: secret)
    }

    public func register(secret: String, role: Role, label: String) async throws -> APIKey {
        guard secret.count >= 16 else {
            throw StorageError.invalidArgument("an API key must have at least 16 characters")
        }
        let hash = APIKeySecret.hash(secret)
        let prefix = String(secret.prefix(APIKeySecret.prefixLength))
        let now = Date()
        return try await mappingErrors {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO api_keys (key_hash, prefix, role, label, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [hash, prefix, role.rawValue, label, now.unixMilliseconds])
                return APIKey(id: db.lastInsertedRowID, prefix: prefix, role: role, label: label,
                              createdAt: now.storageRounded, revokedAt: nil, lastUsedAt: nil)
            }
        }
    }

    public func find(secret: String) async throws -> APIKey? {
        let hash = APIKeySecret.hash(secret)
        return try await fetchOne("SELECT * FROM api_keys WHERE key_hash = ?", [hash])
    }

    public func get(id: Int64) async throws -> APIKey? {
        try await fetchOne("SELECT * FROM api_keys WHERE id = ?", [id])
    }

    public func list() async throws -> [APIKey] {
        try await mappingErrors {
            try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map(Self.decode) }
        }
    }

    public func revoke(id: Int64) async throws -> APIKey {
        let now = Date().unixMilliseconds
        return try await mappingErrors {
            try await pool.write { db in
                try db.execute(sql: "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                               arguments: [now, id])
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id]) else {
                    throw StorageError.notFound(entity: "API key", id: String(id))
                }
                return try Self.decode(row)
            }
        }
    }

    public func touch(id: Int64, at date: Date) async throws {
        let now = date.unixMilliseconds
        try await mappingErrors {
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
                    arguments: [now, id, now - 60_000])
            }
        }
    }

    private func fetchOne(_ sql: String, _ arguments: StatementArguments) async throws -> APIKey? {
        try await mappingErrors {
            try await pool.read { db in try Row.fetchOne(db, sql: sql, arguments: arguments).map(Self.decode) }
        }
    }

    static func decode(_ row: Row) throws -> APIKey {
        let roleName: String = row["role"]
        guard let role = Role(rawValue: roleName) else {
            throw StorageError.invalidArgument("unknown role \(roleName) in api_keys")
        }
        return APIKey(
            id: row["id"], prefix: row["prefix"], role: role, label: row["label"],
            createdAt: Date(unixMilliseconds: row["created_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(Date.init(unixMilliseconds:)),
            lastUsedAt: (row["last_used_at"] as Int64?).map(Date.init(unixMilliseconds:)))
    }
}

extension APIKeyStore {
    public func touch(id: Int64) async throws { try await touch(id: id, at: Date()) }
}
