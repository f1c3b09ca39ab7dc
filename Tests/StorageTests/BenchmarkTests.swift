import Foundation
import Testing
@testable import Storage

/// A smoke run of the write benchmark on both backends (small, so the suite stays fast on a shared 2-core machine;
/// throughput is not asserted here — `safety-server bench storage` in a release build gives the numbers).
@Test(arguments: TestBackend.allCases) func theInsertBenchmarkCommitsEveryRowAndBatchesConcurrentWriters(_ backend: TestBackend) async throws {
    let folder = try TemporaryDirectory()
    func run(_ count: Int, _ concurrency: Int) async throws -> InsertBenchmarkResult {
        switch backend {
        case .sqlite:
            try await benchmarkInserts(count: count, concurrency: concurrency, migrationsDirectory: migrationsDirectory, in: folder.url)
        case .postgres:
            try await benchmarkInserts(count: count, concurrency: concurrency,
                                       postgresURL: try await TemporaryPostgresServer.shared().url.string,
                                       migrationsDirectory: migrationsDirectory)
        }
    }
    let single = try await run(200, 1)
    let grouped = try await run(2000, 64)
    print("storage benchmark (\(backend), debug build):",
          "single \(Int(single.rowsPerSecond)) rows/s (\(single.commits) commits);",
          "64 writers \(Int(grouped.rowsPerSecond)) rows/s, mean batch \(grouped.meanBatchSize),",
          "p50 \(grouped.medianLatencyMs) ms, p99 \(grouped.p99LatencyMs) ms")
    #expect(single.commits == 200)
    #expect(single.backend == backend.rawValue)
    #expect(grouped.rows == 2000)
    #expect(grouped.commits < grouped.rows / 2, "concurrent writers should share commits")
}
