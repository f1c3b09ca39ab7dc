import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`, parsed and checked before
/// anything connects, so a typo is an error that names the part at fault.
public struct PostgresURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// True for text that names PostgreSQL rather than a SQLite file.
    public static func looksLikePostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(_ text: String) throws {
        func bad(_ why: String) -> StorageError {
            .invalidDatabaseURL("\(why); expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]")
        }
        guard Self.looksLikePostgres(text), let components = URLComponents(string: text) else {
            throw bad("not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw bad("no database name after the host") }
        if let port = components.port, !(1...65535).contains(port) { throw bad("port \(port) is out of range") }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw bad("unknown parameter \(item.name)") }
            guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw bad("sslmode must be disable, prefer or require, not \(item.value ?? "")")
            }
            sslMode = mode
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user.map { $0.removingPercentEncoding ?? $0 } ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// The URL with the password left out: what logs and error messages show.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}

/// The connections of one PostgreSQL database: a pool for the stores, and the helpers they share (queries whose
/// errors become `StorageError`, transactions on one connection, rows read by column name).
final class PostgresEngine: Sendable {
    let url: PostgresURL
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger = Logger(label: "safety.postgres")

    init(url: PostgresURL, maximumConnections: Int, connectTimeout: Duration) throws {
        self.url = url
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: try Self.clientTLS(url.sslMode))
        configuration.options.maximumConnections = max(2, maximumConnections)
        configuration.options.connectTimeout = connectTimeout
        let client = PostgresClient(configuration: configuration)
        self.client = client
        runner = Task { await client.run() }
    }

    private static func clientTLS(_ mode: PostgresURL.SSLMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// One connection made directly, before the pool, so that an unreachable server, a refused login or a missing
    /// database fails start-up at once with the server's own reason (the pool would retry quietly instead).
    static func connectOnce(_ url: PostgresURL, timeout: Duration) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch url.sslMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw StorageError.unavailable("cannot set up TLS for \(url.redacted): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .nanoseconds(Int64(timeout.seconds * 1e9))
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: Logger(label: "safety.postgres"))
        } catch {
            throw StorageError.unavailable("cannot open \(url.redacted): \(Self.reason(error))")
        }
    }

    func close() async {
        runner.cancel()
        _ = await runner.value
    }

    // MARK: Queries

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> [PGRow] {
        do {
            return try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds)).collect().map(PGRow.init)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` inside one transaction on one connection: committed when it returns, rolled back when it throws
    /// (the body's own error is rethrown, as a `StorageError` where it came from the database).
    func transaction<T: Sendable>(_ body: @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                let transaction = PostgresTransaction(connection: connection, logger: logger)
                try await transaction.execute("BEGIN")
                do {
                    let value = try await body(transaction)
                    try await transaction.execute("COMMIT")
                    return value
                } catch {
                    try? await transaction.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The server's errors as `StorageError`; the pool's own (no connection can be made: the circuit breaker, a closed
    /// pool) as `.unavailable`, so a lost database is a 503 with Retry-After rather than a 500.
    static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as StorageError: error
        case let error as PSQLError: StorageError.wrap(error)
        case is CancellationError: error
        default: StorageError.unavailable("PostgreSQL: \(error)")
        }
    }

    /// A replica's readiness: a round trip, to a server that accepts writes (not a read-only standby).
    func checkWritable() async throws {
        let rows = try await query("SELECT pg_is_in_recovery() AS recovering")
        if try rows.first?.value("recovering", as: Bool.self) == true {
            throw StorageError.unavailable("\(url.redacted) is a read-only standby; point database_url at the primary")
        }
    }

    func appliedMigrations() async throws -> [AppliedMigration] {
        try await query("SELECT id, name, checksum, applied_at FROM schema_migrations ORDER BY id").map { row in
            AppliedMigration(id: try row.value("id"), name: try row.value("name"), checksum: try row.value("checksum"),
                             appliedAt: Date(unixMilliseconds: try row.value("applied_at")))
        }
    }

    /// The server's own words for a failure (postgres-nio hides them from `description` on purpose, since they may
    /// name tables; here they go to the operator who configured the URL).
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// Statements on the one connection of an open transaction.
struct PostgresTransaction: @unchecked Sendable {
    // A PostgresConnection is Sendable; the struct is unchecked only because Logger's storage is a class.
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> [PGRow] {
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect().map(PGRow.init)
    }

    func execute(_ sql: String) async throws { try await query(sql) }
}

/// A result row read by column name.
struct PGRow: Sendable {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        do { return try row[column].decode(T.self) } catch {
            throw StorageError.invalidArgument("column \(column) could not be read as \(T.self): \(error)")
        }
    }

    /// JSON stored as text.
    func json(_ column: String) throws -> JSONValue? {
        try value(column, as: String?.self).map(JSONValue.init(jsonText:))
    }

    func date(_ column: String) throws -> Date? {
        try value(column, as: Int64?.self).map(Date.init(unixMilliseconds:))
    }
}

extension PostgresBindings {
    /// Appends `values` in order, NULL for nil. Only the types the stores write are accepted.
    static func of(_ values: [(any Sendable)?]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.appendAny(value) }
        return bindings
    }

    mutating func appendAny(_ value: (any Sendable)?) {
        switch value {
        case nil: appendNull()
        case let v as String: append(v)
        case let v as Int: append(v)
        case let v as Int64: append(v)
        case let v as Double: append(v)
        case let v as Bool: append(v)
        case let v as String?: append(v)
        case let v as Int?: append(v)
        case let v as Int64?: append(v)
        case let v as Double?: append(v)
        case let v as Bool?: append(v)
        default: preconditionFailure("unsupported bind type \(type(of: value))")  // programmer mistake: the stores' own values
        }
    }
}

/// `$1, $2, …, $n` starting at `start`.
func placeholders(_ count: Int, from start: Int = 1) -> String {
    (start..<(start + count)).map { "$\($0)" }.joined(separator: ", ")
}

extension PostgresURL {
    /// The URL in full (password included, percent-encoded): for connecting, never for logs.
    public var string: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = user
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        if sslMode != .prefer { components.queryItems = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)] }
        return components.string ?? redacted
    }
}

/// Creating and dropping whole databases (the storage benchmark's scratch databases, the tests' one per test).
public enum PostgresAdmin {
    public static func createDatabase(_ name: String, on server: PostgresURL, timeout: Duration = .seconds(10)) async throws {
        try await run("CREATE DATABASE \(quoted(name))", on: server, timeout: timeout)
    }

    public static func dropDatabase(_ name: String, on server: PostgresURL, timeout: Duration = .seconds(10)) async throws {
        try await run("DROP DATABASE IF EXISTS \(quoted(name)) WITH (FORCE)", on: server, timeout: timeout)
    }

    private static func run(_ sql: String, on server: PostgresURL, timeout: Duration) async throws {
        let connection = try await PostgresEngine.connectOnce(server, timeout: timeout)
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "safety.postgres")).collect()
            try await connection.close()
        } catch {
            try? await connection.close()
            throw StorageError.wrap(error)
        }
    }

    /// A double-quoted identifier.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
