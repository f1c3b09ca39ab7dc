import Foundation
import Testing
@testable import Storage

/// A smoke run of the write benchmark (small, so the suite stays fast on a shared 2-core machine; throughput is not
/// asserted here — run `benchmarkInserts` in a release build for numbers).
@Test func theInsertBenchmarkCommitsEveryRowAndBatchesConcurrentWriters() async throws {
    let folder = try TemporaryDirectory()
    let single = try await benchmarkInserts(count: 200, concurrency: 1, migrationsDirectory: migrationsDirectory,
                                            in: folder.url)
    let grouped = try await benchmarkInserts(count: 2000, concurrency: 64, migrationsDirectory: migrationsDirectory,
                                             in: folder.url)
    print("storage benchmark (debug build):",
          "single \(Int(single.rowsPerSecond)) rows/s (\(single.commits) commits);",
          "64 writers \(Int(grouped.rowsPerSecond)) rows/s, mean batch \(grouped.meanBatchSize),",
          "p50 \(grouped.medianLatencyMs) ms, p99 \(grouped.p99LatencyMs) ms")
    #expect(single.commits == 200)
    #expect(grouped.rows == 2000)
    #expect(grouped.commits < grouped.rows / 2, "concurrent writers should share commits")
}
