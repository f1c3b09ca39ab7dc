import Foundation
import GRDB

public enum TrainingRunState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled
    /// The candidate was trained but the evaluation gate kept the active adapter.
    case rejected

    public var isFinal: Bool { self != .queued && self != .running }

    /// queued → running | cancelled | failed; running → succeeded | rejected | failed | cancelled. The schema's
    /// trigger `training_runs_valid_transition` enforces the same table.
    public func canMove(to next: TrainingRunState) -> Bool {
        switch self {
        case .queued: [.running, .cancelled, .failed].contains(next)
        case .running: [.succeeded, .rejected, .failed, .cancelled].contains(next)
        case .succeeded, .failed, .cancelled, .rejected: false
        }
    }
}

public enum TrainingTrigger: String, Sendable, Codable {
    case schedule, admin
}

public struct TrainingRun: Sendable, Equatable, Codable {
    public var id: Int64
    public var state: TrainingRunState
    public var trigger: TrainingTrigger
    /// The admin key that asked for the run; nil for scheduled runs.
    public var requestedBy: Int64?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var phase: String?
    public var progress: JSONValue?
    public var metrics: JSONValue?
    public var eval: JSONValue?
    public var decision: String?
    public var error: String?
    public var candidateAdapterID: String?

    enum CodingKeys: String, CodingKey {
        case id, state, trigger
        case requestedBy = "requested_by"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case phase, progress, metrics, eval, decision, error
        case candidateAdapterID = "candidate_adapter_id"
    }
}

/// One point of a loss/reward curve.
public struct CurvePoint: Sendable, Equatable, Codable {
    public var phase: String
    public var step: Int
    public var loss: Double?
    public var reward: Double?
    /// Anything else logged at this step.
    public var data: JSONValue?

    public init(phase: String, step: Int, loss: Double? = nil, reward: Double? = nil, data: JSONValue? = nil) {
        self.phase = phase
        self.step = step
        self.loss = loss
        self.reward = reward
        self.data = data
    }
}

/// A stored curve point.
public struct StoredCurvePoint: Sendable, Equatable, Codable {
    public var id: Int64
    public var runID: Int64
    public var point: CurvePoint
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case runID = "run_id"
        case point
        case createdAt = "created_at"
    }
}

public protocol TrainingRunStore: Sendable {
    func create(trigger: TrainingTrigger, requestedBy: Int64?) async throws -> TrainingRun
    func get(id: Int64) async throws -> TrainingRun?
    /// Newest first; `beforeID` continues a previous page.
    func list(limit: Int, beforeID: Int64?) async throws -> [TrainingRun]
    /// The oldest queued run, which the retrain job picks up next.
    func nextQueued() async throws -> TrainingRun?
    /// The run in state `running`, if any (the schema allows one at a time).
    func running() async throws -> TrainingRun?
    /// Moves a run to `state` (see `TrainingRunState.canMove`), stamping started/finished times; `decision` and
    /// `error`, when given, are stored with it.
    func transition(id: Int64, to state: TrainingRunState, decision: String?, error: String?) async throws
        -> TrainingRun
    func updateProgress(id: Int64, phase: String?, progress: JSONValue?) async throws
    /// Stores summary metrics, evaluation, the candidate adapter and the highest correction id the run trained on
    /// (nil arguments leave the column unchanged).
    func recordResults(id: Int64, metrics: JSONValue?, eval: JSONValue?, candidateAdapterID: String?,
                       lastCorrectionID: Int64?) async throws
    /// The highest correction id a finished run (succeeded or rejected) trained on; 0 when none did. Later
    /// corrections are the new ones.
    func lastConsumedCorrectionID() async throws -> Int64
    /// Appends curve points; a point for an existing (phase, step) replaces it.
    func appendPoints(runID: Int64, _ points: [CurvePoint]) async throws
    /// Curve points with id > `afterID`, in order (a dashboard polls with the last id it saw).
    func points(runID: Int64, afterID: Int64) async throws -> [StoredCurvePoint]
    /// Marks runs left 'running' by a previous process as failed. Call at start-up; returns their ids.
    func failInterruptedRuns(reason: String) async throws -> [Int64]
}

public final class SQLiteTrainingRunStore: TrainingRunStore {
    let pool: DatabasePool

    init(pool: DatabasePool) { self.pool = pool }

    public func create(trigger: TrainingTrigger, requestedBy: Int64?) async throws -> TrainingRun {
        let now = Date().unixMilliseconds
        return try await write { db in
            try db.execute(
                sql: "INSERT INTO training_runs (state, triggered_by, requested_by, created_at) VALUES ('queued', ?, ?, ?)",
                arguments: [trigger.rawValue, requestedBy, now])
            return try Self.fetch(db.lastInsertedRowID, in: db)
        }
    }

    public func get(id: Int64) async throws -> TrainingRun? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM training_runs WHERE id = ?", arguments: [id]).map(Self.decode)
        }
    }

    public func list(limit: Int = 50, beforeID: Int64? = nil) async throws -> [TrainingRun] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM training_runs WHERE id < ? ORDER BY id DESC LIMIT ?",
                             arguments: [beforeID ?? Int64.max, limit]).map(Self.decode)
        }
    }

    public func nextQueued() async throws -> TrainingRun? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM training_runs WHERE state = 'queued' ORDER BY id LIMIT 1")
                .map(Self.decode)
        }
    }

    public func running() async throws -> TrainingRun? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM training_runs WHERE state = 'running' LIMIT 1").map(Self.decode)
        }
    }

    public func transition(id: Int64, to state: TrainingRunState, decision: String?, error: String?)
        async throws -> TrainingRun
    {
        let now = Date().unixMilliseconds
        return try await write { db in
            let current = try Self.fetch(id, in: db)
            guard current.state.canMove(to: state) else {
                throw StorageError.invalidTransition(runID: id, from: current.state.rawValue, to: state.rawValue)
            }
            try db.execute(
                sql: """
                    UPDATE training_runs SET state = ?,
                        started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END,
                        finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
                        decision = coalesce(?, decision), error = coalesce(?, error)
                    WHERE id = ?
                    """,
                arguments: [state.rawValue, state.rawValue, now, state.isFinal, now, decision, error, id])
            return try Self.fetch(id, in: db)
        }
    }

    public func updateProgress(id: Int64, phase: String?, progress: JSONValue?) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE training_runs SET phase = ?, progress = ? WHERE id = ?",
                           arguments: [phase, progress?.jsonText, id])
            guard db.changesCount == 1 else { throw StorageError.notFound(entity: "training run", id: String(id)) }
        }
    }

    public func recordResults(id: Int64, metrics: JSONValue?, eval: JSONValue?, candidateAdapterID: String?,
                              lastCorrectionID: Int64? = nil) async throws
    {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE training_runs SET metrics = coalesce(?, metrics), eval = coalesce(?, eval),
                        candidate_adapter_id = coalesce(?, candidate_adapter_id),
                        last_correction_id = coalesce(?, last_correction_id)
                    WHERE id = ?
                    """,
                arguments: [metrics?.jsonText, eval?.jsonText, candidateAdapterID, lastCorrectionID, id])
            guard db.changesCount == 1 else { throw StorageError.notFound(entity: "training run", id: String(id)) }
        }
    }

    public func lastConsumedCorrectionID() async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: """
                SELECT coalesce(max(last_correction_id), 0) FROM training_runs WHERE state IN ('succeeded', 'rejected')
                """) ?? 0
        }
    }

    public func appendPoints(runID: Int64, _ points: [CurvePoint]) async throws {
        let now = Date().unixMilliseconds
        try await write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO training_run_points (run_id, phase, step, loss, reward, data, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, phase, step) DO UPDATE SET
                    loss = excluded.loss, reward = excluded.reward, data = excluded.data, created_at = excluded.created_at
                """)
            for point in points {
                try statement.execute(arguments: [runID, point.phase, point.step, point.loss, point.reward,
                                                  point.data?.jsonText, now])
            }
        }
    }

    public func points(runID: Int64, afterID: Int64 = 0) async throws -> [StoredCurvePoint] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM training_run_points WHERE run_id = ? AND id > ? ORDER BY id",
                             arguments: [runID, afterID]).map { row in
                StoredCurvePoint(
                    id: row["id"], runID: row["run_id"],
                    point: CurvePoint(phase: row["phase"], step: row["step"], loss: row["loss"], reward: row["reward"],
                                      data: try (row["data"] as String?).map(JSONValue.init(jsonText:))),
                    createdAt: Date(unixMilliseconds: row["created_at"]))
            }
        }
    }

    public func failInterruptedRuns(reason: String) async throws -> [Int64] {
        let now = Date().unixMilliseconds
        return try await write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM training_runs WHERE state = 'running'")
            try db.execute(
                sql: "UPDATE training_runs SET state = 'failed', finished_at = ?, error = ? WHERE state = 'running'",
                arguments: [now, reason])
            return ids
        }
    }

    // MARK: -

    private func read<T: Sendable>(_ body: @escaping @Sendable (GRDB.Database) throws -> T) async throws -> T {
        try await mappingErrors { try await pool.read(body) }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (GRDB.Database) throws -> T) async throws -> T {
        try await mappingErrors { try await pool.write(body) }
    }

    static func fetch(_ id: Int64, in db: GRDB.Database) throws -> TrainingRun {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM training_runs WHERE id = ?", arguments: [id]) else {
            throw StorageError.notFound(entity: "training run", id: String(id))
        }
        return try decode(row)
    }

    static func decode(_ row: Row) throws -> TrainingRun {
        func json(_ column: String) throws -> JSONValue? {
            try (row[column] as String?).map(JSONValue.init(jsonText:))
        }
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(unixMilliseconds:)) }
        let stateName: String = row["state"]
        let triggerName: String = row["triggered_by"]
        guard let state = TrainingRunState(rawValue: stateName), let trigger = TrainingTrigger(rawValue: triggerName)
        else { throw StorageError.invalidArgument("unknown state \(stateName) or trigger \(triggerName)") }
        return TrainingRun(
            id: row["id"], state: state, trigger: trigger, requestedBy: row["requested_by"],
            createdAt: Date(unixMilliseconds: row["created_at"]), startedAt: date("started_at"),
            finishedAt: date("finished_at"), phase: row["phase"], progress: try json("progress"),
            metrics: try json("metrics"), eval: try json("eval"), decision: row["decision"], error: row["error"],
            candidateAdapterID: row["candidate_adapter_id"])
    }
}

extension TrainingRunStore {
    public func transition(id: Int64, to state: TrainingRunState) async throws -> TrainingRun {
        try await transition(id: id, to: state, decision: nil, error: nil)
    }
}
