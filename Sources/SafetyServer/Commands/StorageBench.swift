import ArgumentParser
import Foundation
import Scoring
import Storage

/// The storage path alone: scored rows committed per second, one writer at a time and with concurrent writers
/// sharing group commits, on SQLite (a fresh file, WAL, synchronous=FULL) and on PostgreSQL (a scratch database,
/// synchronous_commit=on; on a temporary server of the machine's own PostgreSQL unless `--postgres` names one).
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "Rows/s committed by the request log.")

    @Option(help: "Rows per run.") var rows = 20000
    @Option(help: "Concurrent writers (comma-separated).") var concurrency = "1,8,64"
    @Option(help: "Backends to measure (comma-separated): sqlite, postgres.") var backends = "sqlite,postgres"
    @Option(help: "A PostgreSQL superuser (or CREATEDB) URL; each run gets a scratch database beside it. Default: a temporary server of the local installation on loopback.")
    var postgres: String?

    func run() async throws {
        let writers = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !writers.isEmpty, writers.allSatisfy({ $0 > 0 }), rows > 0 else {
            throw ValidationError("--rows and --concurrency must be positive")
        }
        let chosen = backends.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = chosen.first(where: { !["sqlite", "postgres"].contains($0) }) {
            throw ValidationError("unknown backend \(unknown): sqlite or postgres")
        }
        var postgresURL: String?
        var temporary: TemporaryPostgresServer?
        if chosen.contains("postgres") {
            if let postgres { postgresURL = postgres } else {
                let server = try await TemporaryPostgresServer.start()
                temporary = server
                postgresURL = server.url.string
                print("PostgreSQL: temporary server at \(server.url.redacted)")
            }
        }
        defer { temporary?.stop() }
        print("backend   writers  rows    seconds  rows/s    commits  mean batch  p50 ms  p99 ms  durability")
        for backend in chosen {
            for c in writers {
                let r: InsertBenchmarkResult
                if backend == "postgres", let postgresURL {
                    r = try await benchmarkInserts(count: rows, concurrency: c, postgresURL: postgresURL)
                } else {
                    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("storage-bench-\(UUID().uuidString)")
                    defer { try? FileManager.default.removeItem(at: dir) }
                    r = try await benchmarkInserts(count: rows, concurrency: c, in: dir)
                }
                print(backend.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: "%-8d %-7d %-8.2f %-9.0f %-8d %-11.1f %-7.2f %-7.2f ", c, r.rows, r.seconds,
                             r.rowsPerSecond, r.commits, r.meanBatchSize, r.medianLatencyMs, r.p99LatencyMs) + r.synchronous)
            }
        }
    }
}

/// Development tools: a random model with the real tokenizer (for load tests and demos without training), a check
/// that acknowledged request ids are in the database (the crash test), and the Swift half of the PEFT export fixture.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dev", abstract: "Development tools.",
                                                    subcommands: [RandomModel.self, CheckAcked.self, ExportTestAdapter.self])

    struct RandomModel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "random-model",
            abstract: "Writes a tiny random Qwen2 model over the Qwen2 vocabulary (answers are noise, but well-formed).")
        @Option(help: "Output folder.") var out: String
        @Option(help: "Folder with tokenizer.json to copy.") var tokenizer = "data/qwen2-tokenizer"
        @Option(help: "Hidden size.") var hidden = 32
        @Option(help: "Layers.") var layers = 2
        @Option(help: "Seed.") var seed: UInt64 = 1

        func run() throws {
            let cfg = Qwen2Config(vocabSize: 151_936, hiddenSize: hidden, intermediateSize: hidden * 2, numHiddenLayers: layers,
                                  numAttentionHeads: 4, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
                                  maxPositionEmbeddings: 8192, tieWordEmbeddings: true)
            let dir = URL(fileURLWithPath: out)
            try Qwen2Model.random(config: cfg, format: .f32, seed: seed).save(directory: dir, dtype: .bf16)
            let fm = FileManager.default
            for name in ["tokenizer.json", "tokenizer_config.json"] {
                let src = URL(fileURLWithPath: tokenizer).appendingPathComponent(name)
                let dst = dir.appendingPathComponent(name)
                if fm.fileExists(atPath: src.path) {
                    if fm.fileExists(atPath: dst.path) { try fm.removeItem(at: dst) }
                    try fm.copyItem(at: src, to: dst)
                }
            }
            try ScoringPrompt.default.save(directory: dir)
            print("wrote \(dir.path) (\(cfg.parameterCount) parameters)")
        }
    }

    struct CheckAcked: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-acked",
            abstract: "Checks that every request id in a file (one per line) is in the database with its scores.")
        @Option(help: "SQLite database file, or a postgres:// URL.") var database = "var/safety.sqlite"
        @Option(help: "File of acknowledged request ids.") var ids: String

        func run() async throws {
            let db = try await Database.open(location: database)
            let list = try String(contentsOfFile: ids, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            var found = 0, withScores = 0
            var missing: [String] = []
            for id in list {
                if let r = try await db.requests.get(id: id) {
                    found += 1
                    if r.formatOK && r.scores.values.allSatisfy({ $0 != nil }) { withScores += 1 }
                } else {
                    missing.append(id)
                }
            }
            try await db.close()
            print("acknowledged \(list.count), found \(found), with all nine scores \(withScores)")
            if !missing.isEmpty {
                print("missing: \(missing.prefix(20).joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }
}
