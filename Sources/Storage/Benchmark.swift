import Foundation

/// What `benchmarkInserts` measured.
public struct InsertBenchmarkResult: Sendable, Equatable, Codable {
    public var rows: Int
    public var concurrency: Int
    /// "sqlite" or "postgres".
    public var backend: String
    /// When a commit is durable (`Database.durability`).
    public var synchronous: String
    public var seconds: Double
    /// Committed rows per second, the number that matters for `/v1/score`.
    public var rowsPerSecond: Double
    /// Transactions the group-commit queue used; rows / commits is the mean batch.
    public var commits: Int
    public var meanBatchSize: Double
    /// Time from calling `insert` to its return (the row committed), per row.
    public var medianLatencyMs: Double
    public var p99LatencyMs: Double

    enum CodingKeys: String, CodingKey {
        case rows, concurrency, backend, synchronous, seconds
        case rowsPerSecond = "rows_per_second"
        case commits
        case meanBatchSize = "mean_batch_size"
        case medianLatencyMs = "median_latency_ms"
        case p99LatencyMs = "p99_latency_ms"
    }
}

extension Database {
    /// Inserts `count` realistic scored requests through `requests.insert` from `concurrency` concurrent writers
    /// (each waiting for its commit before sending the next, like `/v1/score` handlers) and reports committed
    /// rows per second. `concurrency: 1` measures one transaction per row; more writers measure group commit.
    public func benchmarkInserts(count: Int, concurrency: Int) async throws -> InsertBenchmarkResult {
        guard count > 0 && concurrency > 0 else {
            throw StorageError.invalidArgument("rows and writers must be positive, not \(count) and \(concurrency)")
        }
        let client = try await apiKeys.create(role: .client, label: "benchmark")
        // Rows are built before the clock starts: this measures the storage path alone, not request synthesis.
        // (Client request ids stay random-ordered, as clients' UUIDs would be.)
        var generator = SplitMix64(seed: 0x5AFE)
        let shares = (0..<concurrency).map { writer in
            (0..<(count / concurrency + (writer < count % concurrency ? 1 : 0))).map { index in
                Self.benchmarkRow(clientKeyID: client.key.id, writer: writer, index: index, using: &generator)
            }
        }
        let before = groupCommitStatistics
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for rows in shares {
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(rows.count)
                    for var row in rows {
                        // Id and time are taken on arrival, as the server does, so they ascend like real traffic.
                        row.createdAt = Date()
                        row.id = RequestID.make(at: row.createdAt)
                        let began = clock.now
                        _ = try await self.requests.insert(row)
                        latencies.append((clock.now - began).milliseconds)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let seconds = (clock.now - start).seconds
        let after = groupCommitStatistics
        let commits = after.commits - before.commits
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return InsertBenchmarkResult(
            rows: count, concurrency: concurrency, backend: backend.rawValue, synchronous: durability, seconds: seconds,
            rowsPerSecond: Double(count) / seconds, commits: commits,
            meanBatchSize: commits == 0 ? 0 : Double(after.rows - before.rows) / Double(commits),
            medianLatencyMs: percentile(0.5), p99LatencyMs: percentile(0.99))
    }

    static func benchmarkRow(
        clientKeyID: Int64, writer: Int, index: Int, using generator: inout some RandomNumberGenerator
    ) -> NewScoredRequest {
        // About the size of a real request: ~130 characters of text, a reasoning sentence, a full raw answer.
        let sentence = "这是一段用于测试存储写入吞吐量的示例文本。"
        let text = String(repeating: sentence, count: 6) + " #\(writer)-\(index)"
        let scores = PerDimension<Int?> { _ in Int.random(in: 0...100, using: &generator) }
        let answer = Dimension.allCases.map { "\"\($0.key)\": \(scores[$0]!)" }.joined(separator: ", ")
        let reasoning = "文本内容为普通的测试句子，没有发现违规、偏见、暴力或敏感信息。"
        return NewScoredRequest(
            text: text, clientKeyID: clientKeyID, clientRequestID: "bench-\(writer)-\(index)",
            metadata: ["source": "benchmark", "writer": .int(writer)], reasoning: reasoning, scores: scores,
            confidence: PerDimension { _ in Double.random(in: 0.5...1, using: &generator) }, formatOK: true,
            rawOutput: "<reasoning>\(reasoning)</reasoning>\n<answer> {\(answer)} </answer>",
            modelID: "qwen2.5-0.5b-instruct", adapterID: "v1", latencyMs: Int.random(in: 50...500, using: &generator),
            promptTokens: 180, completionTokens: 120)
    }
}

/// Opens a fresh database in a temporary folder, runs `Database.benchmarkInserts`, and deletes the folder.
public func benchmarkInserts(
    count: Int, concurrency: Int, synchronous: Database.Synchronous = .full, migrationsDirectory: URL? = nil,
    in folder: URL = FileManager.default.temporaryDirectory
) async throws -> InsertBenchmarkResult {
    let directory = folder.appendingPathComponent("storage-benchmark-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try Database.open(
        path: directory.appendingPathComponent("bench.sqlite").path, migrationsDirectory: migrationsDirectory,
        options: Database.Options(synchronous: synchronous))
    let result = try await database.benchmarkInserts(count: count, concurrency: concurrency)
    try await database.close()
    return result
}

/// Runs `Database.benchmarkInserts` on PostgreSQL, in a scratch database created for the run next to the one `url`
/// names (so the user needs CREATEDB) and dropped afterwards: the figures start from empty tables, as SQLite's do.
public func benchmarkInserts(count: Int, concurrency: Int, postgresURL url: String, migrationsDirectory: URL? = nil)
    async throws -> InsertBenchmarkResult
{
    let base = try PostgresURL(url)
    let scratch = "safety_bench_\(UInt32.random(in: 0...UInt32.max))"
    try await PostgresAdmin.createDatabase(scratch, on: base)
    do {
        var target = base
        target.database = scratch
        let database = try await Database.open(location: target.string, migrationsDirectory: migrationsDirectory)
        let result: InsertBenchmarkResult
        do { result = try await database.benchmarkInserts(count: count, concurrency: concurrency) } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
        try await PostgresAdmin.dropDatabase(scratch, on: base)
        return result
    } catch {
        try? await PostgresAdmin.dropDatabase(scratch, on: base)
        throw error
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}
