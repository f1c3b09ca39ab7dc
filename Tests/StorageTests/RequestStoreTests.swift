import Foundation
import GRDB
import Testing
@testable import Storage

@Test(arguments: TestBackend.allCases) func aRetryWithTheSameClientRequestIDReturnsTheFirstRow(_ backend: TestBackend) async throws {
    let (store, database) = try await openDatabase(backend)
    let client = try await database.makeClient("a")
    let other = try await database.makeClient("b")

    let first = try await database.requests.insert(newRequest(client: client, clientRequestID: "req-1"))
    #expect(first.inserted)
    let retry = try await database.requests.insert(
        newRequest(client: client, text: "a different text", clientRequestID: "req-1"))
    #expect(!retry.inserted)
    #expect(retry.request == first.request)
    // The same id from another client is another request; no id at all never collides.
    #expect(try await database.requests.insert(newRequest(client: other, clientRequestID: "req-1")).inserted)
    #expect(try await database.requests.insert(newRequest(client: client)).inserted)
    #expect(try await database.requests.insert(newRequest(client: client)).inserted)
    #expect(try await database.requests.count() == 4)
    #expect(try await database.requests.find(clientKeyID: client, clientRequestID: "req-1") == first.request)

    // Concurrent retries (they land in one group-commit batch) still store one row.
    let results = try await withThrowingTaskGroup(of: InsertResult.self) { group in
        for _ in 0..<20 {
            group.addTask { try await database.requests.insert(newRequest(client: client, clientRequestID: "req-2")) }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.filter(\.inserted).count == 1)
    #expect(Set(results.map(\.request.id)).count == 1)
    #expect(try await database.requests.count() == 5)
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func paginationVisitsEveryRowExactlyOnceWhileRowsAreInserted(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    // Many rows share a millisecond, so the id must break ties.
    let base = Date(timeIntervalSince1970: 1_750_000_000)
    let initial = try await database.requests.insertBatch((0..<500).map { index in
        newRequest(client: client, createdAt: base.addingTimeInterval(Double(index / 7) / 1000))
    }).map(\.request.id)

    for order in [RequestQuery.Order.newestFirst, .oldestFirst] {
        let writer = Task {
            for index in 0..<200 {
                _ = try await database.requests.insert(
                    newRequest(client: client, createdAt: base.addingTimeInterval(Double(index % 40) / 1000)))
            }
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await database.requests.list(RequestQuery(order: order, limit: 23), cursor: cursor)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
            await Task.yield()
        } while cursor != nil
        try await writer.value

        #expect(seen.count == Set(seen).count, "a row was listed twice")
        #expect(Set(initial).isSubset(of: Set(seen)), "a row that existed before paging was missed")
        // Once the writer is done, a fresh walk sees every row exactly once.
        var all: [String] = []
        cursor = nil
        repeat {
            let page = try await database.requests.list(RequestQuery(order: order, limit: 97), cursor: cursor)
            all += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(all.count == (try await database.requests.count()))
        #expect(Set(all).count == all.count)
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func listingFiltersByTimeScoresCorrectionAndAdapter(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    let reviewer = try await database.makeReviewer()
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    var low = uniformScores(90)
    low[.bias] = 20
    let a = try await database.requests.insert(newRequest(client: client, scores: low, adapterID: "v1",
                                                          createdAt: t0)).request
    let b = try await database.requests.insert(newRequest(client: client, scores: uniformScores(60), adapterID: "v2",
                                                          createdAt: t0.addingTimeInterval(60))).request
    let c = try await database.requests.insert(newRequest(client: client, scores: uniformScores(100),
                                                          createdAt: t0.addingTimeInterval(120))).request
    _ = try await database.corrections.add(
        NewCorrection(requestID: b.id, reviewerKeyID: reviewer, scores: PerDimension(repeating: 30)))

    func ids(_ query: RequestQuery) async throws -> [String] {
        try await database.requests.list(query, cursor: nil).items.map(\.id)
    }
    #expect(try await ids(RequestQuery()) == [c.id, b.id, a.id])
    #expect(try await ids(RequestQuery(order: .oldestFirst)) == [a.id, b.id, c.id])
    #expect(try await ids(RequestQuery(from: t0.addingTimeInterval(60))) == [c.id, b.id])
    #expect(try await ids(RequestQuery(to: t0.addingTimeInterval(60))) == [a.id])
    #expect(try await ids(RequestQuery(scoreBelow: [.bias: 50])) == [a.id])
    #expect(try await ids(RequestQuery(scoreAbove: [.commercial: 60])) == [c.id, a.id])
    #expect(try await ids(RequestQuery(scoreBelow: [.commercial: 100], scoreAbove: [.bias: 50])) == [b.id])
    #expect(try await ids(RequestQuery(corrected: true)) == [b.id])
    #expect(try await ids(RequestQuery(corrected: false)) == [c.id, a.id])
    #expect(try await ids(RequestQuery(adapter: .adapter("v1"))) == [a.id])
    #expect(try await ids(RequestQuery(adapter: .baseModel)) == [c.id])

    await #expect(throws: StorageError.invalidArgument("limit must be between 1 and 1000, not 0")) {
        try await database.requests.list(RequestQuery(limit: 0), cursor: nil)
    }
    await #expect(throws: StorageError.invalidCursor("garbage")) {
        try await database.requests.list(RequestQuery(), cursor: "garbage")
    }
    // A cursor from one order is refused by the other.
    let page = try await database.requests.list(RequestQuery(limit: 1), cursor: nil)
    let cursor = try #require(page.nextCursor)
    await #expect(throws: StorageError.invalidCursor(cursor)) {
        try await database.requests.list(RequestQuery(order: .oldestFirst), cursor: cursor)
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func theLatestCorrectionWins(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    let reviewer = try await database.makeReviewer()
    let request = try await database.requests.insert(newRequest(client: client)).request
    let sameTime = Date()

    let first = try await database.corrections.add(NewCorrection(
        requestID: request.id, reviewerKeyID: reviewer, scores: PerDimension(repeating: 10), createdAt: sameTime))
    let second = try await database.corrections.add(NewCorrection(
        requestID: request.id, reviewerKeyID: reviewer, scores: PerDimension(repeating: 20), note: "on reflection",
        createdAt: sameTime))

    #expect(try await database.corrections.latest(requestID: request.id) == second)
    #expect(try await database.corrections.list(requestID: request.id) == [first, second])
    let detail = try #require(try await database.requests.detail(id: request.id))
    #expect(detail.latestCorrection == second)
    #expect(detail.request.correctionCount == 2)
    let labelled = try await database.corrections.labelledRequests(split: nil, heldOutFraction: 0,
                                                                   afterCorrectionID: 0)
    #expect(labelled.map(\.correction) == [second])
    #expect(labelled.first?.text == request.text)
    #expect(labelled.first?.modelScores == request.scores)
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func theReviewQueueListsUncorrectedRequestsLeastConfidentFirst(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    let reviewer = try await database.makeReviewer()

    func insert(_ confidences: [Double?], at offset: Double) async throws -> ScoredRequest {
        var request = newRequest(client: client, createdAt: Date(timeIntervalSince1970: 1_750_000_000 + offset))
        request.confidence = PerDimension(confidences)
        return try await database.requests.insert(request).request
    }
    let sure = try await insert(Array(repeating: 0.99, count: 9), at: 0)
    let unsureOnOne = try await insert([0.99, 0.99, 0.2, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99], at: 1)
    let middling = try await insert(Array(repeating: 0.6, count: 9), at: 2)
    let noConfidence = try await insert(Array(repeating: nil, count: 9), at: 3)  // unparseable: reviewed first
    let alsoMiddlingButLater = try await insert(Array(repeating: 0.6, count: 9), at: 4)
    let corrected = try await insert(Array(repeating: 0.1, count: 9), at: 5)
    _ = try await database.corrections.add(
        NewCorrection(requestID: corrected.id, reviewerKeyID: reviewer, scores: PerDimension(repeating: 0)))

    var order: [String] = []
    var cursor: String?
    repeat {
        let page = try await database.requests.reviewQueue(limit: 2, cursor: cursor)
        order += page.items.map(\.id)
        cursor = page.nextCursor
    } while cursor != nil
    #expect(order == [noConfidence.id, unsureOnOne.id, middling.id, alsoMiddlingButLater.id, sure.id])
    #expect(unsureOnOne.minConfidence == 0.2)

    // The queue query uses the partial index (SQLite's planner; PostgreSQL's picks by table statistics).
    guard backend == .sqlite else { try await database.close(); return }
    let plan = try await database.pool.read { db in
        try Row.fetchAll(db, sql: """
            EXPLAIN QUERY PLAN SELECT * FROM requests WHERE corrected_at IS NULL
            ORDER BY review_priority, min_confidence, created_at, id LIMIT 10
            """).map { $0["detail"] as String }.joined(separator: "; ")
    }
    #expect(plan.contains("requests_review_queue_by_verdict"), "plan: \(plan)")
    try await database.close()
}

/// Verdict `review` comes first in the queue, then `block`, then the rest (rows without a verdict among them); least
/// confident first within each, across pages.
@Test(arguments: TestBackend.allCases) func theReviewQueuePutsReviewFirst(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    func insert(_ verdict: String?, confidence: Double, at offset: Double) async throws -> ScoredRequest {
        var request = newRequest(client: client, confidence: confidence, createdAt: Date(timeIntervalSince1970: 1_750_000_000 + offset))
        request.verdict = verdict
        return try await database.requests.insert(request).request
    }
    let unsurePass = try await insert("pass", confidence: 0.1, at: 0)
    let sureReview = try await insert("review", confidence: 0.95, at: 1)
    let block = try await insert("block", confidence: 0.9, at: 2)
    let unsureReview = try await insert("review", confidence: 0.3, at: 3)
    let legacy = try await insert(nil, confidence: 0.05, at: 4)
    var order: [String] = []
    var cursor: String?
    repeat {
        let page = try await database.requests.reviewQueue(limit: 2, cursor: cursor)
        order += page.items.map(\.id)
        cursor = page.nextCursor
    } while cursor != nil
    #expect(order == [unsureReview.id, sureReview.id, block.id, legacy.id, unsurePass.id])
    #expect(try await database.requests.get(id: block.id)?.verdict == "block")
    // Only the three verdicts are stored.
    await #expect(throws: StorageError.constraintViolation(.init(kind: .check, detail: "requests_verdict_value"))) {
        try await database.executeRaw("UPDATE requests SET verdict = 'maybe' WHERE id = ?", [block.id])
    }
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func concurrentInsertsShareCommits(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    let before = database.groupCommitStatistics

    let ids = try await withThrowingTaskGroup(of: String.self) { group in
        for index in 0..<64 {
            group.addTask {
                var ids: [String] = []
                for step in 0..<10 {
                    ids.append(try await database.requests.insert(
                        newRequest(client: client, text: "writer \(index) row \(step)")).request.id)
                }
                return ids.joined(separator: ",")
            }
        }
        return try await group.reduce(into: [String]()) { $0 += $1.split(separator: ",").map(String.init) }
    }
    #expect(Set(ids).count == 640)
    // Every insert returned after its commit: a fresh reader sees all of them.
    #expect(try await database.requests.count() == 640)
    let statistics = database.groupCommitStatistics
    let commits = statistics.commits - before.commits
    #expect(statistics.rows - before.rows == 640)
    #expect(commits < 640, "expected batching, got \(commits) commits for 640 rows")
    #expect(statistics.largestBatch > 1)
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func aRefusedRowDoesNotSinkTheOthersInItsBatch(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    var invalid = uniformScores(50)
    invalid[.misinformation] = 200
    let bad = invalid

    let outcomes = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<40 {
            group.addTask {
                let request = newRequest(client: client, scores: index % 10 == 0 ? bad : uniformScores(50))
                return (try? await database.requests.insert(request)) != nil
            }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(outcomes.filter { $0 }.count == 36)
    #expect(try await database.requests.count() == 36)

    // insertBatch, by contrast, is all or nothing.
    await #expect(throws: StorageError.self) {
        try await database.requests.insertBatch([newRequest(client: client), newRequest(client: client, scores: bad)])
    }
    #expect(try await database.requests.count() == 36)
    try await database.close()
}

@Test(arguments: TestBackend.allCases) func dashboardCountsRequestsPerMinuteAndHistogramsScores(_ backend: TestBackend) async throws {
    let (_, database) = try await openDatabase(backend)
    let client = try await database.makeClient()
    let minute = Date(timeIntervalSince1970: 1_750_000_020)  // a whole minute (…020 s = 29166667 min)
    var rows: [NewScoredRequest] = []
    for (offset, score) in [(0.0, 0), (10, 9), (30, 10), (59.9, 100), (61, 55)] {
        var request = newRequest(client: client, scores: uniformScores(score), createdAt: minute + offset)
        request.latencyMs = score
        rows.append(request)
    }
    var unparsed = newRequest(client: client, scores: PerDimension(repeating: nil), createdAt: minute + 70)
    unparsed.formatOK = false
    unparsed.latencyMs = 0
    rows.append(unparsed)
    _ = try await database.requests.insertBatch(rows)

    let counts = try await database.requests.countsPerMinute(from: minute, to: minute + 120)
    #expect(counts.map(\.requests) == [4, 2])
    #expect(counts.map(\.minute) == [minute, minute + 60])
    #expect(counts.map(\.formatFailures) == [0, 1])
    #expect(counts.first?.meanLatencyMs == Double(0 + 9 + 10 + 100) / 4)

    let histograms = try await database.requests.scoreHistograms(from: nil, to: nil, bucketWidth: 10)
    #expect(histograms.map(\.dimension) == Dimension.allCases)
    for histogram in histograms {
        #expect(histogram.counts == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1])  // 0, 9 | 10 | 55 | 100 (last bucket)
        #expect(histogram.missing == 1)
    }
    let window = try await database.requests.scoreHistograms(from: minute + 60, to: nil, bucketWidth: 25)
    #expect(window[0].counts == [0, 0, 1, 0])
    try await database.close()
}
