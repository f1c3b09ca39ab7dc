import Foundation
import GRDB

/// Logged requests and the model's answers.
public protocol RequestStore: Sendable {
    /// Stores one scored request and returns once it is committed. Concurrent calls share commits (group commit).
    /// A repeated (client key, client request id) stores nothing and returns the earlier row.
    func insert(_ request: NewScoredRequest) async throws -> InsertResult
    /// Stores several requests in one transaction: all of them, or none if one is refused.
    func insertBatch(_ requests: [NewScoredRequest]) async throws -> [InsertResult]
    func get(id: String) async throws -> ScoredRequest?
    /// The request with all its corrections.
    func detail(id: String) async throws -> RequestDetail?
    func find(clientKeyID: Int64, clientRequestID: String) async throws -> ScoredRequest?
    /// One page of requests matching `query`, continuing after `cursor`.
    func list(_ query: RequestQuery, cursor: String?) async throws -> RequestPage
    /// Uncorrected requests, least confident first (ties: oldest first).
    func reviewQueue(limit: Int, cursor: String?) async throws -> RequestPage
    /// Requests per minute in [from, to).
    func countsPerMinute(from: Date, to: Date) async throws -> [MinuteCount]
    /// Distribution of model scores per dimension, over requests in [from, to) (all when nil).
    func scoreHistograms(from: Date?, to: Date?, bucketWidth: Int) async throws -> [ScoreHistogram]
    func count() async throws -> Int
}

/// A request ready to write: validated, with the values computed off the writer's critical section.
struct PreparedRequest: Sendable {
    let request: NewScoredRequest
    let textSHA256: String
    let metadataText: String?
    let windowsText: String?

    init(_ request: NewScoredRequest) {
        self.request = request
        self.textSHA256 = SHA256Digest.hex(request.text)
        self.metadataText = request.metadata?.jsonText
        windowsText = request.windows.isEmpty ? nil : (try? JSONEncoder().encode(request.windows)).map { String(decoding: $0, as: UTF8.self) }
    }
}

public final class SQLiteRequestStore: RequestStore {
    let pool: DatabasePool
    let queue: InsertQueue

    init(pool: DatabasePool, queue: InsertQueue) {
        self.pool = pool
        self.queue = queue
    }

    public func insert(_ request: NewScoredRequest) async throws -> InsertResult {
        try await queue.insert(PreparedRequest(request))
    }

    public func insertBatch(_ requests: [NewScoredRequest]) async throws -> [InsertResult] {
        let rows = requests.map(PreparedRequest.init)
        return try await mappingErrors {
            try await pool.write { db in try rows.map { try Self.insert($0, in: db) } }
        }
    }

    public func get(id: String) async throws -> ScoredRequest? {
        try await mappingErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM requests WHERE id = ?", arguments: [id])
                    .map(Self.decode)
            }
        }
    }

    public func detail(id: String) async throws -> RequestDetail? {
        try await mappingErrors {
            try await pool.read { db in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT \(Self.columns) FROM requests WHERE id = ?", arguments: [id])
                else { return nil }
                let corrections = try SQLiteCorrectionStore.corrections(of: id, in: db)
                return RequestDetail(request: try Self.decode(row), corrections: corrections)
            }
        }
    }

    public func find(clientKeyID: Int64, clientRequestID: String) async throws -> ScoredRequest? {
        try await mappingErrors {
            try await pool.read { db in try Self.find(clientKeyID: clientKeyID, clientRequestID: clientRequestID, in: db) }
        }
    }

    public func list(_ query: RequestQuery, cursor: String?) async throws -> RequestPage {
        guard (1...1000).contains(query.limit) else {
            throw StorageError.invalidArgument("limit must be between 1 and 1000, not \(query.limit)")
        }
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from = query.from {
            conditions.append("created_at >= ?")
            arguments.append(from.unixMilliseconds)
        }
        if let to = query.to {
            conditions.append("created_at < ?")
            arguments.append(to.unixMilliseconds)
        }
        // Dimension names come from a closed enum, so interpolating the column name is safe.
        for dimension in Dimension.allCases {
            if let below = query.scoreBelow[dimension] {
                conditions.append("\(dimension.scoreColumn) < ?")
                arguments.append(below)
            }
            if let above = query.scoreAbove[dimension] {
                conditions.append("\(dimension.scoreColumn) > ?")
                arguments.append(above)
            }
        }
        switch query.corrected {
        case true?: conditions.append("corrected_at IS NOT NULL")
        case false?: conditions.append("corrected_at IS NULL")
        case nil: break
        }
        switch query.adapter {
        case .baseModel?: conditions.append("adapter_id IS NULL")
        case .adapter(let id)?:
            conditions.append("adapter_id = ?")
            arguments.append(id)
        case nil: break
        }
        let comparison = query.order == .newestFirst ? "<" : ">"
        let direction = query.order == .newestFirst ? "DESC" : "ASC"
        if let cursor {
            guard case .time(let order, let createdAt, let id) = try Cursor(decoding: cursor), order == query.order
            else { throw StorageError.invalidCursor(cursor) }
            conditions.append("(created_at, id) \(comparison) (?, ?)")
            arguments += [createdAt, id]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(Self.columns) FROM requests \(whereClause)
            ORDER BY created_at \(direction), id \(direction) LIMIT \(query.limit + 1)
            """
        let statementArguments = StatementArguments(arguments)
        let rows = try await mappingErrors {
            try await pool.read { db in try Row.fetchAll(db, sql: sql, arguments: statementArguments).map(Self.decode) }
        }
        return Self.page(rows, limit: query.limit) {
            Cursor.time(query.order, createdAt: $0.createdAt.unixMilliseconds, id: $0.id)
        }
    }

    public func reviewQueue(limit: Int, cursor: String?) async throws -> RequestPage {
        guard (1...1000).contains(limit) else {
            throw StorageError.invalidArgument("limit must be between 1 and 1000, not \(limit)")
        }
        var condition = ""
        var cursorArguments: StatementArguments = []
        if let cursor {
            guard case .reviewQueue(let priority, let minConfidence, let createdAt, let id) = try Cursor(decoding: cursor) else {
                throw StorageError.invalidCursor(cursor)
            }
            condition = "AND (review_priority, min_confidence, created_at, id) > (?, ?, ?, ?)"
            cursorArguments = [priority, minConfidence, createdAt, id]
        }
        let arguments = cursorArguments
        // Matches the partial index requests_review_queue_by_verdict: `review` first, then `block`, then the rest.
        let sql = """
            SELECT \(Self.columns) FROM requests
            WHERE corrected_at IS NULL \(condition)
            ORDER BY review_priority, min_confidence, created_at, id LIMIT \(limit + 1)
            """
        let rows = try await mappingErrors {
            try await pool.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.decode) }
        }
        return Self.page(rows, limit: limit) {
            Cursor.reviewQueue(priority: $0.verdict == "review" ? 0 : $0.verdict == "block" ? 1 : 2, minConfidence: $0.minConfidence,
                               createdAt: $0.createdAt.unixMilliseconds, id: $0.id)
        }
    }

    public func countsPerMinute(from: Date, to: Date) async throws -> [MinuteCount] {
        let arguments: StatementArguments = [from.unixMilliseconds, to.unixMilliseconds]
        return try await mappingErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT created_at / 60000 AS minute, count(*) AS requests,
                           sum(format_ok = 0) AS format_failures, avg(latency_ms) AS mean_latency
                    FROM requests WHERE created_at >= ? AND created_at < ?
                    GROUP BY minute ORDER BY minute
                    """, arguments: arguments
                ).map { row in
                    MinuteCount(
                        minute: Date(unixMilliseconds: (row["minute"] as Int64) * 60000), requests: row["requests"],
                        formatFailures: row["format_failures"], meanLatencyMs: row["mean_latency"])
                }
            }
        }
    }

    public func scoreHistograms(from: Date?, to: Date?, bucketWidth: Int) async throws -> [ScoreHistogram] {
        guard (1...100).contains(bucketWidth) else {
            throw StorageError.invalidArgument("bucket width must be between 1 and 100, not \(bucketWidth)")
        }
        let bucketCount = (100 + bucketWidth - 1) / bucketWidth
        let range = "created_at >= ? AND created_at < ?"
        let arguments: StatementArguments = [from?.unixMilliseconds ?? Int64.min, to?.unixMilliseconds ?? Int64.max]
        return try await mappingErrors {
            try await pool.read { db in
                try Dimension.allCases.map { dimension in
                    let column = dimension.scoreColumn
                    var counts = Array(repeating: 0, count: bucketCount)
                    for row in try Row.fetchAll(db, sql: """
                        SELECT min(\(column) / \(bucketWidth), \(bucketCount - 1)) AS bucket, count(*) AS n
                        FROM requests WHERE \(range) AND \(column) IS NOT NULL GROUP BY bucket
                        """, arguments: arguments)
                    {
                        counts[row["bucket"] as Int] = row["n"]
                    }
                    let missing = try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM requests WHERE \(range) AND \(column) IS NULL",
                        arguments: arguments) ?? 0
                    return ScoreHistogram(dimension: dimension, bucketWidth: bucketWidth, counts: counts, missing: missing)
                }
            }
        }
    }

    public func count() async throws -> Int {
        try await mappingErrors {
            try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM requests") ?? 0 }
        }
    }

    // MARK: - SQL

    private static func page(_ rows: [ScoredRequest], limit: Int, cursor: (ScoredRequest) -> Cursor) -> RequestPage {
        guard rows.count > limit else { return RequestPage(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return RequestPage(items: items, nextCursor: cursor(items[items.count - 1]).encoded)
    }

    private static let scoreColumns = Dimension.allCases.map(\.scoreColumn)
    private static let confidenceColumns = Dimension.allCases.map(\.confidenceColumn)

    static let columns = (["id", "text", "text_sha256", "client_key_id", "client_request_id", "metadata", "reasoning"]
        + scoreColumns + confidenceColumns
        + ["min_confidence", "format_ok", "raw_output", "model_id", "adapter_id", "latency_ms", "prompt_tokens",
           "completion_tokens", "created_at", "corrected_at", "correction_count", "windows", "verdict"]).joined(separator: ", ")

    private static let insertColumns = ["id", "text", "text_sha256", "client_key_id", "client_request_id", "metadata",
        "reasoning"] + scoreColumns + confidenceColumns
        + ["format_ok", "raw_output", "model_id", "adapter_id", "latency_ms", "prompt_tokens", "completion_tokens",
           "created_at", "windows", "verdict"]

    private static let insertSQL = """
        INSERT INTO requests (\(insertColumns.joined(separator: ", ")))
        VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))
        ON CONFLICT (client_key_id, client_request_id) DO NOTHING
        """

    /// Inserts one row inside the caller's transaction. A duplicate (client key, client request id) returns the
    /// stored row with `inserted == false`.
    static func insert(_ row: PreparedRequest, in db: GRDB.Database) throws -> InsertResult {
        let request = row.request
        var values: [(any DatabaseValueConvertible)?] = [
            request.id, request.text, row.textSHA256, request.clientKeyID, request.clientRequestID, row.metadataText,
            request.reasoning,
        ]
        values += request.scores.values.map { $0 }
        values += request.confidence.values.map { $0 }
        values += [request.formatOK, request.rawOutput, request.modelID, request.adapterID, request.latencyMs,
                   request.promptTokens, request.completionTokens, request.createdAt.unixMilliseconds, row.windowsText, request.verdict]
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(values))
        if db.changesCount == 0, let clientRequestID = request.clientRequestID,
           let existing = try find(clientKeyID: request.clientKeyID, clientRequestID: clientRequestID, in: db)
        {
            return InsertResult(request: existing, inserted: false)
        }
        let stored = ScoredRequest(
            id: request.id, text: request.text, textSHA256: row.textSHA256, clientKeyID: request.clientKeyID,
            clientRequestID: request.clientRequestID, metadata: request.metadata, reasoning: request.reasoning,
            scores: request.scores, confidence: request.confidence,
            minConfidence: request.confidence.values.map { $0 ?? 0 }.min() ?? 0, formatOK: request.formatOK,
            rawOutput: request.rawOutput, modelID: request.modelID, adapterID: request.adapterID,
            latencyMs: request.latencyMs, promptTokens: request.promptTokens,
            completionTokens: request.completionTokens, createdAt: request.createdAt.storageRounded,
            correctedAt: nil, correctionCount: 0, windows: request.windows, verdict: request.verdict)
        return InsertResult(request: stored, inserted: true)
    }

    static func find(clientKeyID: Int64, clientRequestID: String, in db: GRDB.Database) throws -> ScoredRequest? {
        try Row.fetchOne(
            db, sql: "SELECT \(columns) FROM requests WHERE client_key_id = ? AND client_request_id = ?",
            arguments: [clientKeyID, clientRequestID]
        ).map(decode)
    }

    static func decode(_ row: Row) throws -> ScoredRequest {
        ScoredRequest(
            id: row["id"], text: row["text"], textSHA256: row["text_sha256"], clientKeyID: row["client_key_id"],
            clientRequestID: row["client_request_id"],
            metadata: try (row["metadata"] as String?).map(JSONValue.init(jsonText:)),
            reasoning: row["reasoning"],
            scores: PerDimension { row[$0.scoreColumn] as Int? },
            confidence: PerDimension { row[$0.confidenceColumn] as Double? },
            minConfidence: row["min_confidence"], formatOK: row["format_ok"], rawOutput: row["raw_output"],
            modelID: row["model_id"], adapterID: row["adapter_id"], latencyMs: row["latency_ms"],
            promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
            createdAt: Date(unixMilliseconds: row["created_at"]),
            correctedAt: (row["corrected_at"] as Int64?).map(Date.init(unixMilliseconds:)),
            correctionCount: row["correction_count"],
            windows: try (row["windows"] as String?).map { text in
                do { return try JSONDecoder().decode([RequestWindow].self, from: Data(text.utf8)) } catch {
                    throw StorageError.invalidArgument("stored windows of request \(row["id"] as String? ?? "?") are not readable: \(error)")
                }
            } ?? [],
            verdict: row["verdict"])
    }
}

extension RequestStore {
    /// Histograms with 10-point buckets.
    public func scoreHistograms(from: Date? = nil, to: Date? = nil) async throws -> [ScoreHistogram] {
        try await scoreHistograms(from: from, to: to, bucketWidth: 10)
    }
}
