import GRDB
import PostgresNIO

/// Every error that leaves `Storage`. Cases say what was wrong and, where it helps, how to fix it.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No migrations folder was found; `searched` lists the places that were tried, in order.
    case migrationsDirectoryNotFound(searched: [String])
    /// A file in the migrations folder is not named `NNNN_name.sql`.
    case invalidMigrationFileName(String)
    /// Two files share one number.
    case duplicateMigrationID(Int, files: [String])
    /// Migration numbers must run 1, 2, 3, … with no gap.
    case missingMigrationNumber(Int)
    /// The database records a migration that the migrations folder no longer has (or a newer binary migrated it).
    case appliedMigrationMissing(id: Int, name: String)
    /// An applied migration's file was edited after it ran. Migrations are append-only: restore the file, and put
    /// the change in a new migration.
    case appliedMigrationChanged(id: Int, name: String, recordedChecksum: String, fileChecksum: String)
    /// A migration's SQL failed; its transaction was rolled back.
    case migrationFailed(id: Int, name: String, message: String)
    /// A schema invariant rejected a write.
    case constraintViolation(ConstraintViolation)
    /// No row with this id.
    case notFound(entity: String, id: String)
    /// A training run cannot move between these states.
    case invalidTransition(runID: Int64, from: String, to: String)
    /// A pagination cursor that this store did not produce, or one from a different listing.
    case invalidCursor(String)
    /// An argument outside what the operation accepts.
    case invalidArgument(String)
    /// The database was closed.
    case closed
    /// Any other SQLite error (I/O, disk full, corruption, …).
    case sqlite(code: Int32, message: String)
    /// Any other PostgreSQL error, with its SQLSTATE (or the client's error code when the server said nothing).
    case postgres(code: String, message: String)
    /// `database_url` / `--database` is not a PostgreSQL URL this program can use; the message says which part.
    case invalidDatabaseURL(String)
    /// The database server cannot be reached or refused the login; the message has the server's reason.
    case unavailable(String)

    public var description: String {
        switch self {
        case .migrationsDirectoryNotFound(let searched):
            "no migrations folder found; searched: \(searched.joined(separator: ", ")). "
                + "Pass one explicitly or set SAFETY_MIGRATIONS_DIR."
        case .invalidMigrationFileName(let name):
            "migration file \(name) is not named NNNN_description.sql"
        case .duplicateMigrationID(let id, let files):
            "migration number \(id) is used by several files: \(files.joined(separator: ", "))"
        case .missingMigrationNumber(let id):
            "migration number \(id) is missing: migrations must be numbered 1, 2, 3, … without gaps"
        case .appliedMigrationMissing(let id, let name):
            "the database has migration \(id) (\(name)) applied but the migrations folder has no such file; "
                + "use the migrations folder of the build that created this database"
        case .appliedMigrationChanged(let id, let name, let recorded, let found):
            "migration \(id) (\(name)) changed after it was applied (recorded checksum \(recorded), file has "
                + "\(found)); migrations are append-only: restore the file and add a new migration instead"
        case .migrationFailed(let id, let name, let message):
            "migration \(id) (\(name)) failed and was rolled back: \(message)"
        case .constraintViolation(let violation):
            violation.description
        case .notFound(let entity, let id):
            "no \(entity) with id \(id)"
        case .invalidTransition(let runID, let from, let to):
            "training run \(runID) cannot go from \(from) to \(to)"
        case .invalidCursor(let cursor):
            "invalid cursor \(cursor): pass back the next_cursor of the previous page of the same listing"
        case .invalidArgument(let message):
            message
        case .closed:
            "the database is closed"
        case .sqlite(let code, let message):
            "SQLite error \(code): \(message)"
        case .postgres(let code, let message):
            "PostgreSQL error \(code): \(message)"
        case .invalidDatabaseURL(let message):
            "invalid database URL: \(message)"
        case .unavailable(let message):
            "database unavailable: \(message)"
        }
    }
}

/// Which schema invariant a write broke, and the constraint's name (or the columns involved).
public struct ConstraintViolation: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case check, notNull = "not_null", unique, foreignKey = "foreign_key", trigger, other
    }

    public var kind: Kind
    /// The named CHECK constraint (`requests_commercial_range`), the columns (`api_keys.role`), or the trigger's
    /// message. SQLite does not say which foreign key failed, so this is empty for `.foreignKey`.
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .check: "check constraint \(detail) failed"
        case .notNull: "\(detail) must not be null"
        case .unique: "\(detail) must be unique"
        case .foreignKey: "a referenced row does not exist (foreign key constraint failed)"
        case .trigger: detail
        case .other: "constraint failed: \(detail)"
        }
    }
}

extension StorageError {
    /// Turns GRDB's and postgres-nio's errors into `StorageError`; passes anything else through.
    static func wrap(_ error: any Error) -> any Error {
        if let error = error as? PSQLError { return wrapPostgres(error) }
        guard let error = error as? DatabaseError else { return error }
        let message = error.message ?? ""
        guard error.resultCode == .SQLITE_CONSTRAINT else {
            return StorageError.sqlite(code: error.extendedResultCode.rawValue, message: message)
        }
        func after(_ prefix: String) -> String {
            message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
        }
        let violation: ConstraintViolation
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_CHECK:
            violation = .init(kind: .check, detail: after("CHECK constraint failed: "))
        case .SQLITE_CONSTRAINT_NOTNULL:
            violation = .init(kind: .notNull, detail: after("NOT NULL constraint failed: "))
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            violation = .init(kind: .unique, detail: after("UNIQUE constraint failed: "))
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            violation = .init(kind: .foreignKey, detail: "")
        case .SQLITE_CONSTRAINT_TRIGGER:
            violation = .init(kind: .trigger, detail: message)
        default:
            violation = .init(kind: .other, detail: message)
        }
        return StorageError.constraintViolation(violation)
    }
}

extension StorageError {
    /// PostgreSQL's errors, named the way SQLite's are so that callers (and tests) see one vocabulary: CHECK and
    /// trigger failures by constraint name or message, NOT NULL and UNIQUE by `table.column`.
    static func wrapPostgres(_ error: PSQLError) -> StorageError {
        guard let info = error.serverInfo, let state = info[.sqlState] else {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed:
                return .unavailable(PostgresEngine.reason(error))
            default:
                return .postgres(code: "\(error.code)", message: PostgresEngine.reason(error))
            }
        }
        let message = info[.message] ?? ""
        let table = info[.tableName] ?? ""
        switch state {
        case "23514":  // check_violation
            return .constraintViolation(.init(kind: .check, detail: info[.constraintName] ?? message))
        case "23502":  // not_null_violation
            return .constraintViolation(.init(kind: .notNull, detail: "\(table).\(info[.columnName] ?? "?")"))
        case "23505":  // unique_violation: "Key (a, b)=(…) already exists."
            let detail = info[.detail] ?? ""
            var columns: [String] = []
            if let open = detail.firstIndex(of: "("), let close = detail[open...].firstIndex(of: ")") {
                columns = detail[detail.index(after: open)..<close].split(separator: ",")
                    .map { "\(table).\($0.trimmingCharacters(in: .whitespaces))" }
            }
            return .constraintViolation(.init(kind: .unique, detail: columns.isEmpty ? (info[.constraintName] ?? message) : columns.joined(separator: ", ")))
        case "23503":  // foreign_key_violation
            return .constraintViolation(.init(kind: .foreignKey, detail: ""))
        case "P0001":  // raise_exception: the schema's triggers
            return .constraintViolation(.init(kind: .trigger, detail: message))
        case _ where state.hasPrefix("23"):
            return .constraintViolation(.init(kind: .other, detail: message))
        case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("28") || state == "3D000":
            // connection exceptions, server shutting down, bad login, no such database
            return .unavailable("\(message) (SQLSTATE \(state))")
        default:
            return .postgres(code: state, message: message)
        }
    }
}

/// Runs `body`, rethrowing database errors as `StorageError`.
@inline(__always)
func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw StorageError.wrap(error) }
}

@inline(__always)
func mappingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw StorageError.wrap(error) }
}
