import Foundation
import GRDB
@testable import Storage

/// The checkout's migrations/ folder, found from this file's path.
let migrationsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("migrations")

/// A temporary folder deleted when the value goes away. Each test gets its own real SQLite file in one.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("storage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var databasePath: String { url.appendingPathComponent("safety.sqlite").path }

    func open(
        upTo: Int? = nil, migrations: URL = migrationsDirectory, options: Storage.Database.Options = Storage.Database.Options()
    ) throws -> Storage.Database {
        try Storage.Database.open(path: databasePath, migrations: MigrationSet(directory: migrations), options: options,
                          upTo: upTo)
    }

    /// A copy of the migrations folder that a test may edit.
    func copyOfMigrations() throws -> URL {
        let copy = url.appendingPathComponent("migrations")
        try FileManager.default.copyItem(at: migrationsDirectory, to: copy)
        return copy
    }
}

/// Nine equal scores.
func uniformScores(_ value: Int) -> PerDimension<Int?> { PerDimension(repeating: value) }

func newRequest(
    client: Int64, text: String = "一段需要评分的文本", scores: PerDimension<Int?> = uniformScores(100),
    confidence: Double? = 0.9, clientRequestID: String? = nil, adapterID: String? = nil, createdAt: Date = Date(),
    windows: [RequestWindow] = []
) -> NewScoredRequest {
    NewScoredRequest(
        text: text, clientKeyID: client, clientRequestID: clientRequestID, metadata: ["channel": "test"],
        reasoning: "没有发现问题", scores: scores, confidence: PerDimension(repeating: confidence), formatOK: true,
        rawOutput: "<reasoning>没有发现问题</reasoning><answer>{}</answer>", modelID: "tiny-qwen2",
        adapterID: adapterID, latencyMs: 42, promptTokens: 100, completionTokens: 50, createdAt: createdAt, windows: windows)
}

extension Storage.Database {
    /// A client key to attach requests to.
    func makeClient(_ label: String = "client") async throws -> Int64 {
        try await apiKeys.create(role: .client, label: label).key.id
    }

    func makeReviewer() async throws -> Int64 {
        try await apiKeys.create(role: .reviewer, label: "reviewer").key.id
    }
}

/// The two backends every repository test runs on: a SQLite file, and a database of its own on a real PostgreSQL
/// server (Debian's, started once per test process in a temporary folder on loopback; see TemporaryPostgresServer).
/// Without a PostgreSQL installation the PostgreSQL cases fail, saying how to install it: they never skip.
enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    var description: String { rawValue }
}

/// A fresh, empty database on one backend, which a test may open, close and open again.
final class TestStore: Sendable {
    let backend: TestBackend
    let folder: TemporaryDirectory
    let location: String

    init(_ backend: TestBackend) async throws {
        self.backend = backend
        folder = try TemporaryDirectory()
        location = switch backend {
        case .sqlite: folder.databasePath
        case .postgres: try await TemporaryPostgresServer.makeDatabase(prefix: "storage")
        }
    }

    func open(options: Storage.Database.Options = Storage.Database.Options()) async throws -> Storage.Database {
        try await Storage.Database.open(location: location, migrationsDirectory: migrationsDirectory, options: options)
    }

    /// `true` / `false` as the backend's SQL spells them in a raw statement.
    var sqlTrue: String { backend == .sqlite ? "1" : "TRUE" }
}

/// A fresh database on `backend`, opened.
func openDatabase(_ backend: TestBackend) async throws -> (TestStore, Storage.Database) {
    let store = try await TestStore(backend)
    return (store, try await store.open())
}

extension Storage.Database {
    /// The SQLite pool, for the tests of SQLite itself (WAL mode, query plans, step-by-step migration).
    var pool: DatabasePool { sqlitePool! }
}
