import Foundation
import PostgresNIO

/// The request log on PostgreSQL. Inserts go through the same group-commit queue as on SQLite: each batch is one
/// multi-row INSERT (one round trip, one commit, one WAL flush for all of its rows).
final class PostgresRequestStore: RequestStore {
    let engine: PostgresEngine
    let queue: InsertQueue

    init(engine: PostgresEngine, queue: InsertQueue) {
        self.engine = engine
        self.queue = queue
    }

    /// Rows per INSERT: 49 values each, under PostgreSQL's 65,535 bind parameters per statement.
    static let maximumRowsPerStatement = 1024

    func insert(_ request: NewScoredRequest) async throws -> InsertResult {
        try await queue.insert(PreparedRequest(request))
    }

    func insertBatch(_ requests: [NewScoredRequest]) async throws -> [InsertResult] {
        let rows = requests.map(PreparedRequest.init)
        return try await engine.transaction { transaction in
            var results: [InsertResult] = []
            for start in stride(from: 0, to: rows.count, by: Self.maximumRowsPerStatement) {
                let chunk = Array(rows[start..<min(rows.count, start + Self.maximumRowsPerStatement)])
                results += try await Self.insert(chunk) { try await transaction.query($0, $1) }
            }
            return results
        }
    }

    /// The group-commit writer: the whole batch in one statement. When the schema refuses a row, the statement
    /// fails as a whole; then each row is written alone, so only the refused row fails (the rare path).
    static func insertBatch(_ rows: [PreparedRequest], engine: PostgresEngine) async throws
        -> [Result<InsertResult, any Error>]
    {
        // One statement is atomic on its own: no BEGIN/COMMIT round trips around it (autocommit commits it, WAL
        // flushed, before the reply comes back).
        do {
            return try await insert(rows) { try await engine.query($0, $1) }.map { .success($0) }
        } catch StorageError.constraintViolation where rows.count > 1 {
            var outcomes: [Result<InsertResult, any Error>] = []
            for row in rows {
                do {
                    let result = try await insert([row]) { try await engine.query($0, $1) }
                    outcomes.append(.success(result[0]))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        }
    }

    /// Inserts `rows` with one INSERT … ON CONFLICT DO NOTHING RETURNING id; a row whose (client key, client
    /// request id) was already stored (earlier, or earlier in the same statement) returns the stored row.
    static func insert(_ rows: [PreparedRequest],
                       run: (String, PostgresBindings) async throws -> [PGRow]) async throws -> [InsertResult] {
        guard !rows.isEmpty else { return [] }
        var bindings = PostgresBindings(capacity: rows.count * insertColumns.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            tuples.append("(" + placeholders(insertColumns.count, from: index * insertColumns.count + 1) + ")")
            let request = row.request
            var values: [(any Sendable)?] = [
                request.id, request.text, row.textSHA256, request.clientKeyID, request.clientRequestID, row.metadataText,
                request.reasoning,
            ]
            values += request.scores.values.map { $0 }
            values += request.confidence.values.map { $0 }
            values += [request.formatOK, request.rawOutput, request.modelID, request.adapterID, request.latencyMs,
                       request.promptTokens, request.completionTokens, request.createdAt.unixMilliseconds, row.windowsText,
                       request.verdict]
            for value in values { bindings.appendAny(value) }
        }
        let sql = """
            INSERT INTO requests (\(insertColumns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))
            ON CONFLICT (client_key_id, client_request_id) DO NOTHING RETURNING id
            """
        let inserted = Set(try await run(sql, bindings).map { try $0.value("id", as: String.self) })
        var results: [InsertResult] = []
        results.reserveCapacity(rows.count)
        for row in rows {
            let request = row.request
            if !inserted.contains(request.id), let clientRequestID = request.clientRequestID {
                let found = try await run(
                    "SELECT \(columns) FROM requests WHERE client_key_id = $1 AND client_request_id = $2",
                    .of([request.clientKeyID, clientRequestID]))
                if let existing = try found.first.map(decode) {
                    results.append(InsertResult(request: existing, inserted: false))
                    continue
                }
            }
            results.append(InsertResult(request: ScoredRequest(
                id: request.id, text: request.text, textSHA256: row.textSHA256, clientKeyID: request.clientKeyID,
                clientRequestID: request.clientRequestID, metadata: request.metadata, reasoning: request.reasoning,
                scores: request.scores, confidence: request.confidence,
                minConfidence: request.confidence.values.map { $0 ?? 0 }.min() ?? 0, formatOK: request.formatOK,
                rawOutput: request.rawOutput, modelID: request.modelID, adapterID: request.adapterID,
                latencyMs: request.latencyMs, promptTokens: request.promptTokens,
                completionTokens: request.completionTokens, createdAt: request.createdAt.storageRounded,
                correctedAt: nil, correctionCount: 0, windows: request.windows, verdict: request.verdict), inserted: true))
        }
        return results
    }

    func get(id: String) async throws -> ScoredRequest? {
        try await engine.query("SELECT \(Self.columns) FROM requests WHERE id = $1", .of([id])).first.map(Self.decode)
    }

    func detail(id: String) async throws -> RequestDetail? {
        try await engine.transaction { transaction in
            guard let row = try await transaction.query("SELECT \(Self.columns) FROM requests WHERE id = $1", .of([id])).first
            else { return nil }
            let corrections = try await transaction.query(
                "SELECT * FROM corrections WHERE request_id = $1 ORDER BY id", .of([id])).map(PostgresCorrectionStore.decode)
            return RequestDetail(request: try Self.decode(row), corrections: corrections)
        }
    }

    func find(clientKeyID: Int64, clientRequestID: String) async throws -> ScoredRequest? {
        try await engine.query("SELECT \(Self.columns) FROM requests WHERE client_key_id = $1 AND client_request_id = $2",
                               .of([clientKeyID, clientRequestID])).first.map(Self.decode)
    }

    func list(_ query: RequestQuery, cursor: String?) async throws -> RequestPage {
        guard (1...1000).contains(query.limit) else {
            throw StorageError.invalidArgument("limit must be between 1 and 1000, not \(query.limit)")
        }
        var conditions: [String] = []
        var arguments: [(any Sendable)?] = []
        func bind(_ value: (any Sendable)?) -> String {
            arguments.append(value)
            return "$\(arguments.count)"
        }
        if let from = query.from { conditions.append("created_at >= \(bind(from.unixMilliseconds))") }
        if let to = query.to { conditions.append("created_at < \(bind(to.unixMilliseconds))") }
        // Dimension names come from a closed enum, so interpolating the column name is safe.
        for dimension in Dimension.allCases {
            if let below = query.scoreBelow[dimension] { conditions.append("\(dimension.scoreColumn) < \(bind(below))") }
            if let above = query.scoreAbove[dimension] { conditions.append("\(dimension.scoreColumn) > \(bind(above))") }
        }
        switch query.corrected {
        case true?: conditions.append("corrected_at IS NOT NULL")
        case false?: conditions.append("corrected_at IS NULL")
        case nil: break
        }
        switch query.adapter {
        case .baseModel?: conditions.append("adapter_id IS NULL")
        case .adapter(let id)?: conditions.append("adapter_id = \(bind(id))")
        case nil: break
        }
        let comparison = query.order == .newestFirst ? "<" : ">"
        let direction = query.order == .newestFirst ? "DESC" : "ASC"
        if let cursor {
            guard case .time(let order, let createdAt, let id) = try Cursor(decoding: cursor), order == query.order
            else { throw StorageError.invalidCursor(cursor) }
            // ids are COLLATE "C" in the schema: they compare byte by byte, as in SQLite.
            conditions.append("(created_at, id) \(comparison) (\(bind(createdAt)), \(bind(id)))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(Self.columns) FROM requests \(whereClause)
            ORDER BY created_at \(direction), id \(direction) LIMIT \(query.limit + 1)
            """
        let rows = try await engine.query(sql, .of(arguments)).map(Self.decode)
        return Self.page(rows, limit: query.limit) {
            Cursor.time(query.order, createdAt: $0.createdAt.unixMilliseconds, id: $0.id)
        }
    }

    func reviewQueue(limit: Int, cursor: String?) async throws -> RequestPage {
        guard (1...1000).contains(limit) else {
            throw StorageError.invalidArgument("limit must be between 1 and 1000, not \(limit)")
        }
        var condition = ""
        var arguments: [(any Sendable)?] = []
        if let cursor {
            guard case .reviewQueue(let priority, let minConfidence, let createdAt, let id) = try Cursor(decoding: cursor) else {
                throw StorageError.invalidCursor(cursor)
            }
            condition = "AND (review_priority, min_confidence, created_at, id) > ($1, $2, $3, $4)"
            arguments = [priority, minConfidence, createdAt, id]
        }
        let sql = """
            SELECT \(Self.columns) FROM requests
            WHERE corrected_at IS NULL \(condition)
            ORDER BY review_priority, min_confidence, created_at, id LIMIT \(limit + 1)
            """
        let rows = try await engine.query(sql, .of(arguments)).map(Self.decode)
        return Self.page(rows, limit: limit) {
            Cursor.reviewQueue(priority: $0.verdict == "review" ? 0 : $0.verdict == "block" ? 1 : 2, minConfidence: $0.minConfidence,
                               createdAt: $0.createdAt.unixMilliseconds, id: $0.id)
        }
    }

    func countsPerMinute(from: Date, to: Date) async throws -> [MinuteCount] {
        try await engine.query("""
            SELECT created_at / 60000 AS minute, count(*) AS requests,
                   count(*) FILTER (WHERE NOT format_ok) AS format_failures, avg(latency_ms)::float8 AS mean_latency
            FROM requests WHERE created_at >= $1 AND created_at < $2
            GROUP BY minute ORDER BY minute
            """, .of([from.unixMilliseconds, to.unixMilliseconds])
        ).map { row in
            MinuteCount(minute: Date(unixMilliseconds: try row.value("minute", as: Int64.self) * 60000),
                        requests: try row.value("requests"), formatFailures: try row.value("format_failures"),
                        meanLatencyMs: try row.value("mean_latency"))
        }
    }

    func scoreHistograms(from: Date?, to: Date?, bucketWidth: Int) async throws -> [ScoreHistogram] {
        guard (1...100).contains(bucketWidth) else {
            throw StorageError.invalidArgument("bucket width must be between 1 and 100, not \(bucketWidth)")
        }
        let bucketCount = (100 + bucketWidth - 1) / bucketWidth
        let range: [(any Sendable)?] = [from?.unixMilliseconds ?? Int64.min, to?.unixMilliseconds ?? Int64.max]
        var histograms: [ScoreHistogram] = []
        for dimension in Dimension.allCases {
            let column = dimension.scoreColumn
            var counts = Array(repeating: 0, count: bucketCount)
            var missing = 0
            // least() skips NULLs in PostgreSQL, so a missing score is kept NULL explicitly (its own group).
            for row in try await engine.query("""
                SELECT CASE WHEN \(column) IS NOT NULL THEN least(\(column) / \(bucketWidth), \(bucketCount - 1)) END AS bucket,
                       count(*) AS n
                FROM requests WHERE created_at >= $1 AND created_at < $2 GROUP BY bucket
                """, .of(range))
            {
                let n: Int = try row.value("n")
                if let bucket = try row.value("bucket", as: Int?.self) { counts[bucket] = n } else { missing = n }
            }
            histograms.append(ScoreHistogram(dimension: dimension, bucketWidth: bucketWidth, counts: counts, missing: missing))
        }
        return histograms
    }

    func count() async throws -> Int {
        try await engine.query("SELECT count(*) AS n FROM requests").first?.value("n") ?? 0
    }

    // MARK: - SQL

    private static func page(_ rows: [ScoredRequest], limit: Int, cursor: (ScoredRequest) -> Cursor) -> RequestPage {
        guard rows.count > limit else { return RequestPage(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return RequestPage(items: items, nextCursor: cursor(items[items.count - 1]).encoded)
    }

    static let columns = SQLiteRequestStore.columns

    private static let insertColumns = ["id", "text", "text_sha256", "client_key_id", "client_request_id", "metadata",
        "reasoning"] + Dimension.allCases.map(\.scoreColumn) + Dimension.allCases.map(\.confidenceColumn)
        + ["format_ok", "raw_output", "model_id", "adapter_id", "latency_ms", "prompt_tokens", "completion_tokens",
           "created_at", "windows", "verdict"]

    static func decode(_ row: PGRow) throws -> ScoredRequest {
        let id: String = try row.value("id")
        return ScoredRequest(
            id: id, text: try row.value("text"), textSHA256: try row.value("text_sha256"),
            clientKeyID: try row.value("client_key_id"), clientRequestID: try row.value("client_request_id"),
            metadata: try row.json("metadata"), reasoning: try row.value("reasoning"),
            scores: try PerDimension { try row.value($0.scoreColumn, as: Int?.self) },
            confidence: try PerDimension { try row.value($0.confidenceColumn, as: Double?.self) },
            minConfidence: try row.value("min_confidence"), formatOK: try row.value("format_ok"),
            rawOutput: try row.value("raw_output"), modelID: try row.value("model_id"), adapterID: try row.value("adapter_id"),
            latencyMs: try row.value("latency_ms"), promptTokens: try row.value("prompt_tokens"),
            completionTokens: try row.value("completion_tokens"),
            createdAt: Date(unixMilliseconds: try row.value("created_at")), correctedAt: try row.date("corrected_at"),
            correctionCount: try row.value("correction_count"),
            windows: try row.value("windows", as: String?.self).map { text in
                do { return try JSONDecoder().decode([RequestWindow].self, from: Data(text.utf8)) } catch {
                    throw StorageError.invalidArgument("stored windows of request \(id) are not readable: \(error)")
                }
            } ?? [],
            verdict: try row.value("verdict"))
    }
}
