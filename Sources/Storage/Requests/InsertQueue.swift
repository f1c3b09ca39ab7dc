import Synchronization

/// Counters of the group-commit queue.
public struct GroupCommitStatistics: Sendable, Equatable, Codable {
    /// Transactions committed by the queue.
    public var commits: Int = 0
    /// Requests those transactions carried.
    public var rows: Int = 0
    /// The largest batch so far.
    public var largestBatch: Int = 0

    public var meanBatchSize: Double { commits == 0 ? 0 : Double(rows) / Double(commits) }

    enum CodingKeys: String, CodingKey {
        case commits, rows
        case largestBatch = "largest_batch"
    }
}

/// Group commit for request inserts, for either backend.
///
/// Each caller enqueues its row and suspends. One drain task at a time takes everything queued (up to
/// `maximumBatchSize`), hands it to the backend's `writeBatch` (SQLite: one transaction; PostgreSQL: one multi-row
/// INSERT), and resumes each caller only after that batch has committed. Rows that arrive while a commit is in flight wait for the next one, so under load many requests share
/// one commit (and one fsync), while a lone request is committed at once: no timer, no added latency when idle.
final class InsertQueue: Sendable {
    private struct Job {
        let row: PreparedRequest
        let continuation: CheckedContinuation<InsertResult, any Error>
    }

    private struct State {
        var jobs: [Job] = []
        var draining = false
        var closed = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var statistics = GroupCommitStatistics()
    }

    /// Writes one batch and returns one outcome per row, in order; a row the schema refuses fails alone. Returns only
    /// once every accepted row is committed.
    typealias BatchWriter = @Sendable ([PreparedRequest]) async throws -> [Result<InsertResult, any Error>]

    private let writeBatch: BatchWriter
    private let maximumBatchSize: Int
    private let state = Mutex(State())

    init(maximumBatchSize: Int, writeBatch: @escaping BatchWriter) {
        self.writeBatch = writeBatch
        self.maximumBatchSize = maximumBatchSize
    }

    var statistics: GroupCommitStatistics { state.withLock { $0.statistics } }

    /// Returns once the row is committed (or refused). Cancelling the calling task does not withdraw the row: a row
    /// handed over is written.
    func insert(_ row: PreparedRequest) async throws -> InsertResult {
        try await withCheckedThrowingContinuation { continuation in
            enum Action { case refuse, wait, startDraining }
            let action = state.withLock { state -> Action in
                if state.closed { return .refuse }
                state.jobs.append(Job(row: row, continuation: continuation))
                if state.draining { return .wait }
                state.draining = true
                return .startDraining
            }
            switch action {
            case .refuse: continuation.resume(throwing: StorageError.closed)
            case .wait: break
            case .startDraining: Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let next = state.withLock { state -> (batch: [Job], waiters: [CheckedContinuation<Void, Never>]) in
                guard !state.jobs.isEmpty else {
                    state.draining = false
                    defer { state.idleWaiters = [] }
                    return ([], state.idleWaiters)
                }
                let count = min(state.jobs.count, maximumBatchSize)
                let batch = Array(state.jobs.prefix(count))
                state.jobs.removeFirst(count)
                return (batch, [])
            }
            if next.batch.isEmpty {
                for waiter in next.waiters { waiter.resume() }
                return
            }
            let rows = next.batch.map(\.row)
            let outcomes: [Result<InsertResult, any Error>]
            do {
                let written = try await writeBatch(rows)
                // Every caller must be resumed: a writer that lost track of a row fails the whole batch instead.
                outcomes = written.count == rows.count ? written
                    : Array(repeating: .failure(StorageError.invalidArgument("the batch writer returned \(written.count) outcomes for \(rows.count) rows")), count: rows.count)
            } catch {
                outcomes = Array(repeating: .failure(error), count: rows.count)
            }
            state.withLock { state in
                state.statistics.commits += 1
                state.statistics.rows += rows.count
                state.statistics.largestBatch = max(state.statistics.largestBatch, rows.count)
            }
            for (job, outcome) in zip(next.batch, outcomes) {
                job.continuation.resume(with: outcome.mapError { StorageError.wrap($0) })
            }
        }
    }

    /// Refuses new rows and waits until the queued ones are committed.
    func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                state.closed = true
                if !state.draining { return true }
                state.idleWaiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }
}
