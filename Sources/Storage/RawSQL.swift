import Foundation
import GRDB
import PostgresNIO

/// One statement of SQL written by hand, on either backend: for the tests that check the schema's own rules (a raw
/// UPDATE the triggers must refuse), and for operators' one-off checks. `?` placeholders, as in SQLite; they become
/// `$1, $2, …` on PostgreSQL. Errors come back as `StorageError`, the same as the repositories'.
extension Database {
    func executeRaw(_ sql: String, _ arguments: [(any Sendable)?] = []) async throws {
        _ = try await fetchRaw(sql, arguments)
    }

    /// The first column of every row, as text (NULL as nil).
    func fetchRaw(_ sql: String, _ arguments: [(any Sendable)?] = []) async throws -> [String?] {
        if let postgres {
            var numbered = ""
            var index = 0
            for character in sql {
                if character == "?" { index += 1; numbered += "$\(index)" } else { numbered.append(character) }
            }
            let rows = try await postgres.query(numbered, .of(arguments))
            return try rows.map { row in
                let cell = row.row[0]
                guard cell.bytes != nil else { return nil }
                if let text = try? cell.decode(String.self) { return text }
                if let number = try? cell.decode(Int64.self) { return String(number) }
                if let flag = try? cell.decode(Bool.self) { return flag ? "1" : "0" }
                return try String(cell.decode(Double.self))
            }
        }
        guard let sqlitePool else { return [] }
        let values: [DatabaseValue] = arguments.map { value in
            switch value {
            case let v as String: v.databaseValue
            case let v as Int: v.databaseValue
            case let v as Int64: v.databaseValue
            case let v as Double: v.databaseValue
            case let v as Bool: v.databaseValue
            default: .null
            }
        }
        return try await mappingErrors {
            try await sqlitePool.write { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { row in
                    let value = row[0] as DatabaseValue
                    switch value.storage {
                    case .null: return nil
                    case .int64(let v): return String(v)
                    case .double(let v): return String(v)
                    case .string(let v): return v
                    case .blob(let v): return String(decoding: v, as: UTF8.self)
                    }
                }
            }
        }
    }
}
