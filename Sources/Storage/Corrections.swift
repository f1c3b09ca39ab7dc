import Foundation
import GRDB

/// A reviewer's correction to add.
public struct NewCorrection: Sendable, Equatable {
    public var requestID: String
    public var reviewerKeyID: Int64
    public var scores: PerDimension<Int>
    public var reasoning: String?
    public var note: String?
    public var createdAt: Date

    public init(
        requestID: String, reviewerKeyID: Int64, scores: PerDimension<Int>, reasoning: String? = nil,
        note: String? = nil, createdAt: Date = Date()
    ) {
        self.requestID = requestID
        self.reviewerKeyID = reviewerKeyID
        self.scores = scores
        self.reasoning = reasoning
        self.note = note
        self.createdAt = createdAt
    }
}

/// A reviewer's scores for a request. A request may have several; the one with the highest id counts.
public struct Correction: Sendable, Equatable, Codable {
    public var id: Int64
    public var requestID: String
    public var reviewerKeyID: Int64
    public var scores: PerDimension<Int>
    public var reasoning: String?
    public var note: String?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case requestID = "request_id"
        case reviewerKeyID = "reviewer_key_id"
        case scores, reasoning, note
        case createdAt = "created_at"
    }
}

/// A human-labelled request for training or evaluation: the text, the model's answer and the latest correction.
public struct LabelledRequest: Sendable, Equatable, Codable {
    public var requestID: String
    public var text: String
    public var modelScores: PerDimension<Int?>
    public var modelReasoning: String?
    public var correction: Correction

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case text
        case modelScores = "model_scores"
        case modelReasoning = "model_reasoning"
        case correction
    }
}

/// Which part of the labelled requests to return.
public enum LabelledSplit: String, Sendable, Codable {
    case training
    /// Kept out of training to evaluate candidates on.
    case heldOut = "held_out"
}

/// The held-out split is chosen by a stable hash of the request id, so a request stays on its side from one
/// retrain to the next (Swift's `Hasher` is seeded per process and would not do).
public enum HeldOut {
    /// True when the request belongs to the held-out `fraction` (0…1) of requests.
    public static func contains(requestID: String, fraction: Double) -> Bool {
        let digest = SHA256Digest.bytes(requestID.utf8)
        let prefix = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(prefix) / 18_446_744_073_709_551_616.0 < fraction  // prefix / 2^64 is uniform in [0, 1)
    }
}

public protocol CorrectionStore: Sendable {
    func add(_ correction: NewCorrection) async throws -> Correction
    /// Corrections of one request, oldest first.
    func list(requestID: String) async throws -> [Correction]
    /// The correction that counts for a request.
    func latest(requestID: String) async throws -> Correction?
    /// Every correction with id > `afterID`, by id: for incremental consumers.
    func list(afterID: Int64, limit: Int) async throws -> [Correction]
    /// Every correction created at or after `since`, oldest first.
    func list(since: Date, limit: Int) async throws -> [Correction]
    /// Corrected requests with their latest correction, by correction id, limited to one side of the held-out split
    /// when `split` is given. `afterCorrectionID` restricts to requests whose latest correction is newer.
    func labelledRequests(split: LabelledSplit?, heldOutFraction: Double, afterCorrectionID: Int64) async throws
        -> [LabelledRequest]
    func count() async throws -> Int
}

public final class SQLiteCorrectionStore: CorrectionStore {
    let pool: DatabasePool

    init(pool: DatabasePool) { self.pool = pool }

    public func add(_ correction: NewCorrection) async throws -> Correction {
        try await mappingErrors {
            try await pool.write { db in
                let columns = ["request_id", "reviewer_key_id"] + Dimension.allCases.map(\.scoreColumn)
                    + ["reasoning", "note", "created_at"]
                var values: [(any DatabaseValueConvertible)?] = [correction.requestID, correction.reviewerKeyID]
                values += correction.scores.values.map { $0 }
                values += [correction.reasoning, correction.note, correction.createdAt.unixMilliseconds]
                try db.execute(
                    sql: """
                        INSERT INTO corrections (\(columns.joined(separator: ", ")))
                        VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                        """,
                    arguments: StatementArguments(values))
                return Correction(
                    id: db.lastInsertedRowID, requestID: correction.requestID,
                    reviewerKeyID: correction.reviewerKeyID, scores: correction.scores,
                    reasoning: correction.reasoning, note: correction.note,
                    createdAt: correction.createdAt.storageRounded)
            }
        }
    }

    public func list(requestID: String) async throws -> [Correction] {
        try await mappingErrors { try await pool.read { db in try Self.corrections(of: requestID, in: db) } }
    }

    public func latest(requestID: String) async throws -> Correction? {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM latest_corrections WHERE request_id = ?",
                                 arguments: [requestID]).map(Self.decode)
            }
        }
    }

    public func list(afterID: Int64, limit: Int) async throws -> [Correction] {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM corrections WHERE id > ? ORDER BY id LIMIT ?",
                                 arguments: [afterID, limit]).map(Self.decode)
            }
        }
    }

    public func list(since: Date, limit: Int) async throws -> [Correction] {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM corrections WHERE created_at >= ? ORDER BY created_at, id LIMIT ?",
                    arguments: [since.unixMilliseconds, limit]
                ).map(Self.decode)
            }
        }
    }

    public func labelledRequests(split: LabelledSplit?, heldOutFraction: Double, afterCorrectionID: Int64)
        async throws -> [LabelledRequest]
    {
        guard (0...1).contains(heldOutFraction) else {
            throw StorageError.invalidArgument("held-out fraction must be in 0…1, not \(heldOutFraction)")
        }
        let scoreSelect = Dimension.allCases.map { "r.\($0.scoreColumn) AS model_\($0.scoreColumn)" }
            .joined(separator: ", ")
        let all = try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT c.*, r.text AS request_text, r.reasoning AS model_reasoning, \(scoreSelect)
                    FROM latest_corrections AS c JOIN requests AS r ON r.id = c.request_id
                    WHERE c.id > ? ORDER BY c.id
                    """, arguments: [afterCorrectionID]
                ).map { row in
                    LabelledRequest(
                        requestID: row["request_id"], text: row["request_text"],
                        modelScores: PerDimension { row["model_" + $0.scoreColumn] as Int? },
                        modelReasoning: row["model_reasoning"], correction: try Self.decode(row))
                }
            }
        }
        guard let split else { return all }
        return all.filter { HeldOut.contains(requestID: $0.requestID, fraction: heldOutFraction) == (split == .heldOut) }
    }

    public func count() async throws -> Int {
        try await mappingErrors {
            try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM corrections") ?? 0 }
        }
    }

    static func corrections(of requestID: String, in db: GRDB.Database) throws -> [Correction] {
        try Row.fetchAll(db, sql: "SELECT * FROM corrections WHERE request_id = ? ORDER BY id", arguments: [requestID])
            .map(decode)
    }

    static func decode(_ row: Row) throws -> Correction {
        Correction(
            id: row["id"], requestID: row["request_id"], reviewerKeyID: row["reviewer_key_id"],
            scores: PerDimension { row[$0.scoreColumn] as Int }, reasoning: row["reasoning"], note: row["note"],
            createdAt: Date(unixMilliseconds: row["created_at"]))
    }
}

extension CorrectionStore {
    /// Every corrected request on one side of the split (all of them when `split` is nil).
    public func labelledRequests(split: LabelledSplit?, heldOutFraction: Double) async throws -> [LabelledRequest] {
        try await labelledRequests(split: split, heldOutFraction: heldOutFraction, afterCorrectionID: 0)
    }
}
