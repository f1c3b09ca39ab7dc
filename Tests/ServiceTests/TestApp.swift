import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Scoring
@testable import Service
import Storage

enum ServicePaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let migrations = packageRoot.appendingPathComponent("migrations")
    static let publicDir = packageRoot.appendingPathComponent("public")
    static let tokenizer = packageRoot.appendingPathComponent("data/qwen2-tokenizer")
}

/// A tiny random model over the real Qwen2 vocabulary: whatever it "thinks", the grammar makes its answers well-formed.
enum TinyModel {
    static let model = Qwen2Model.random(
        config: Qwen2Config(vocabSize: 151_936, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                            numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 1_000_000, maxPositionEmbeddings: 4096, tieWordEmbeddings: true),
        format: .f32, seed: 9)
    static let tokenizer: Tokenizer = try! Tokenizer.load(directory: ServicePaths.tokenizer)
}

/// A service over a real temporary SQLite file and the tiny model, with one key per role.
struct TestApp {
    let service: SafetyService
    let directory: URL
    let adminKey: String
    let reviewerKey: String
    let clientKey: String
    let clientKeyID: Int64

    static func make(model: Qwen2Model = TinyModel.model, tokenizer: Tokenizer = TinyModel.tokenizer, prompt: ScoringPrompt = .default,
                     _ configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws -> TestApp {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("service-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var cfg = ServiceConfiguration()
        cfg.databasePath = dir.appendingPathComponent("db.sqlite").path
        cfg.migrationsPath = ServicePaths.migrations.path
        cfg.publicPath = ServicePaths.publicDir.path
        cfg.adaptersPath = dir.appendingPathComponent("adapters").path
        cfg.maxNewTokens = 340
        cfg.port = 0
        cfg.retrainControlPath = ""  // a test that wants the gate's control checks names its own control file
        configure(&cfg)
        let db = try Database.open(path: cfg.databasePath, migrationsDirectory: ServicePaths.migrations)
        var options = ScorerOptions()
        options.maxNewTokens = cfg.maxNewTokens
        options.maxBatch = cfg.maxBatch
        options.queueCapacity = cfg.queueCapacity
        options.windowTextTokens = cfg.windowTokens
        options.windowOverlapTokens = cfg.windowOverlapTokens
        let scorer = try Scorer(model: model, tokenizer: tokenizer, prompt: prompt, baseModelID: "tiny-random", options: options)
        let service = SafetyService(configuration: cfg, database: db, scorer: scorer, modelID: "tiny-random")
        let admin = try await db.apiKeys.create(role: .admin, label: "admin")
        let reviewer = try await db.apiKeys.create(role: .reviewer, label: "reviewer")
        let client = try await db.apiKeys.create(role: .client, label: "client")
        return TestApp(service: service, directory: dir, adminKey: admin.secret, reviewerKey: reviewer.secret,
                       clientKey: client.secret, clientKeyID: client.key.id)
    }

    var application: some ApplicationProtocol { buildApplication(service) }

    func close() async {
        await service.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

extension TestClientProtocol {
    /// Sends JSON (or raw bytes) with a bearer key and returns status, headers and the parsed JSON body.
    func call(_ method: HTTPRequest.Method, _ uri: String, key: String?, json: String? = nil, bytes: [UInt8]? = nil)
        async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: [String: Any])
    {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(string: json); headers[.contentType] = "application/json" }
        if let bytes { body = ByteBuffer(bytes: bytes); headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let data = Data(response.body.readableBytesView)
            let parsed = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (response.status, response.headers, parsed)
        }
    }
}

func errorCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }
func errorMessage(_ body: [String: Any]) -> String { (body["error"] as? [String: Any])?["message"] as? String ?? "" }

/// The nine scores as a JSON object with Chinese keys.
func scoresJSON(_ value: Int, override: [String: String] = [:]) -> String {
    let keys = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题", "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]
    return "{" + keys.map { "\"\($0)\": \(override[$0] ?? String(value))" }.joined(separator: ", ") + "}"
}
