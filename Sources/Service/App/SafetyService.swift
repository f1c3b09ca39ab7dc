import Foundation
import Logging
import Scoring
import Storage
import Synchronization

/// Shared state of a running service: configuration, database, scorer and metrics. Handlers read it; adapter
/// swaps go through `activateAdapter`, which refuses anything that does not load cleanly.
public final class SafetyService: Sendable {
    public let configuration: ServiceConfiguration
    public let database: Database
    public let scorer: Scorer
    public let metrics: ServiceMetrics
    public let modelID: String
    /// The verdict policy of requests that bring none (configuration; checked at start-up).
    let verdictPolicy: VerdictPolicy
    /// Which retrain run is executing and which were asked to stop (shared with `RetrainService`).
    public let retrain = RetrainCoordinator()
    let limiter: RateLimiter
    let logger: Logger
    private let swapLock = AsyncLock()
    /// This process among the replicas sharing a database: the holder name of the leases it takes.
    public let replicaID: String
    /// The adapter (id and content hash) that `followActiveAdapter` last failed to load, so a broken one is reported
    /// once rather than at every check.
    private let unfollowable = Mutex<String?>(nil)

    public init(configuration: ServiceConfiguration, database: Database, scorer: Scorer, modelID: String,
                metrics: ServiceMetrics = ServiceMetrics(), logger: Logger = Logger(label: "safety")) {
        self.configuration = configuration
        self.database = database
        self.scorer = scorer
        self.modelID = modelID
        verdictPolicy = (try? configuration.verdictPolicy()) ?? .standard
        self.metrics = metrics
        self.logger = logger
        replicaID = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        limiter = RateLimiter(rate: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst)
        scorer.observeSteps { [metrics] step in metrics.recordStep(step) }
        metrics.setActiveAdapter(scorer.adapterID)
    }

    /// Loads the model, tokenizer and prompt from `configuration.modelPath` and opens the database: what `serve` does.
    public static func start(configuration: ServiceConfiguration, logger: Logger = Logger(label: "safety")) async throws -> SafetyService {
        try configuration.validate()
        let dir = URL(fileURLWithPath: configuration.modelPath)
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
            throw ConfigurationError(message: "no model at \(dir.path) (config.json missing); set model_path / --model")
        }
        let t0 = Date()
        configuration.matmulPrecision.apply()
        let model = try Qwen2Model.load(directory: dir, format: configuration.weightFormat)
        let tokenizer = try Tokenizer.load(directory: dir)
        let prompt = try ScoringPrompt.load(directory: dir)
        logger.info("model loaded", metadata: ["path": "\(dir.path)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(t0)))",
                                                "parameters": "\(model.config.parameterCount)"])
        let db: Database
        do {
            db = try await Database.open(location: configuration.databaseLocation,
                                         migrationsDirectory: configuration.migrationsPath.isEmpty ? nil : URL(fileURLWithPath: configuration.migrationsPath))
        } catch let error as StorageError {
            throw ConfigurationError(message: "database: \(error)")
        }
        logger.info("database open", metadata: ["backend": "\(db.backend.rawValue)", "at": "\(db.path)"])
        var options = ScorerOptions()
        options.maxBatch = configuration.maxBatch
        options.queueCapacity = configuration.queueCapacity
        options.maxNewTokens = configuration.maxNewTokens
        options.windowTextTokens = configuration.windowTokens
        options.windowOverlapTokens = configuration.windowOverlapTokens
        options.groundReasoning = configuration.groundReasoning
        let scorer: Scorer
        do {
            scorer = try Scorer(model: model, tokenizer: tokenizer, prompt: prompt, baseModelID: modelIdentifier(dir), options: options)
        } catch let e as ScorerError {
            throw ConfigurationError(message: "\(e) (model \(dir.path))")
        }
        let service = SafetyService(configuration: configuration, database: db, scorer: scorer, modelID: modelIdentifier(dir), logger: logger)
        try await service.recoverInterruptedRuns()
        try await service.restoreActiveAdapter()
        return service
    }

    /// The model's name as responses report it: the folder name.
    static func modelIdentifier(_ dir: URL) -> String { dir.standardizedFileURL.lastPathComponent }

    /// A run that was running when the process died (crash, `kill -9`) is marked failed, and half-written adapter
    /// folders are removed; the active adapter was never touched by the run, so it stays as it was.
    ///
    /// With replicas, a run is only interrupted if no live replica holds the retrain lease: a replica that starts while
    /// another is training leaves that run alone (the lease's expiry catches a replica that died).
    func recoverInterruptedRuns() async throws {
        let lease = Duration.seconds(configuration.retrainLeaseSeconds)
        guard try await database.leases.acquire(LeaseName.retrain, holder: replicaID, for: lease) else {
            logger.info("another replica holds the retrain lease; its run is left alone")
            return
        }
        let failed = try await database.trainingRuns.failInterruptedRuns(reason: "the server stopped during the run (crash or kill); nothing was activated")
        for id in failed { logger.warning("training run marked failed after a restart", metadata: ["run": "\(id)"]) }
        for id in try await database.adapters.requeueInterruptedGateEvaluations() {
            logger.warning("imported adapter's evaluation was interrupted; it is queued again", metadata: ["adapter": "\(id)"])
        }
        AdapterFolder.removePartials(root: URL(fileURLWithPath: configuration.adaptersPath))
        try await database.leases.release(LeaseName.retrain, holder: replicaID)
    }

    /// At start-up, serve the adapter the database says is active; if its files no longer load, serve the base model
    /// and record why, rather than refusing to start.
    func restoreActiveAdapter() async throws {
        guard let active = try await database.adapters.active() else { return }
        do {
            let onDisk = try AdapterFolder.contentHash(of: URL(fileURLWithPath: active.path))
            guard onDisk == active.contentHash else {
                throw ConfigurationError(message: "its files changed since it was registered (content hash \(onDisk.prefix(12))…)")
            }
            let adapter = try LoRAAdapter.load(directory: URL(fileURLWithPath: active.path), model: scorer.model, id: active.id)
            scorer.setAdapter(adapter)
            metrics.setActiveAdapter(adapter.id)
            logger.info("serving adapter", metadata: ["adapter": "\(active.id)"])
        } catch {
            logger.error("active adapter does not load; serving the base model", metadata: ["adapter": "\(active.id)", "error": "\(error)"])
            // Replicas share the active-adapter row: one replica that cannot read the files (a volume not mounted)
            // must not switch every other replica to the base model.
            guard database.backend == .sqlite else { return }
            try await database.adapters.deactivateAll()
            try await database.auditLog.record(keyID: nil, action: "adapter.deactivate", target: active.id,
                                               details: .object(["reason": .string("failed to load at start-up: \(error)")]))
        }
    }

    /// Makes a registered adapter (or the base model, for nil) serve new requests. The adapter is loaded and checked
    /// against the model first; if that fails nothing changes and the `ServiceError` says why. An imported adapter
    /// whose eval gate has not passed serves only with `reason`, which is then kept on the adapter as an override;
    /// any other reason (a rollback's, say) goes to the audit log.
    public func activateAdapter(id: String?, by keyID: Int64?, reason: String? = nil) async throws -> Storage.Adapter? {
        try await swapLock.withLock {
            var details: [String: JSONValue] = [:]
            if let reason { details["reason"] = .string(reason) }
            guard let id else {
                try await database.adapters.deactivateAll()
                scorer.setAdapter(nil)
                metrics.setActiveAdapter(nil)
                try await database.auditLog.record(keyID: keyID, action: "adapter.activate", target: "base",
                                                   details: details.isEmpty ? nil : .object(details))
                return nil
            }
            guard let record = try await database.adapters.get(id: id) else { throw ServiceError.adapterNotFound(id: id) }
            var override: AdapterOverride?
            if !record.gatePassed {
                let state = record.gateState?.rawValue ?? "unknown"
                if let reason {
                    override = AdapterOverride(reason: reason, keyID: keyID)
                    details["override"] = .bool(true)
                    details["gate_state"] = .string(state)
                } else if record.overrideReason == nil {
                    throw ServiceError.adapterGateNotPassed(id: id, state: state, detail: record.gateDetail)
                }
            }
            let onDisk = try AdapterFolder.contentHash(of: URL(fileURLWithPath: record.path))
            guard onDisk == record.contentHash else {
                throw ServiceError.adapterModified(id: id, path: record.path, onDisk: onDisk, registered: record.contentHash)
            }
            let adapter: LoRAAdapter
            do {
                adapter = try LoRAAdapter.load(directory: URL(fileURLWithPath: record.path), model: scorer.model, id: record.id)
            } catch {
                throw ServiceError.adapterInvalid(id: id, reason: "\(error)")
            }
            let activated = try await database.adapters.activate(id: id, override: override)
            scorer.setAdapter(adapter)
            metrics.setActiveAdapter(adapter.id)
            try await database.auditLog.record(keyID: keyID, action: "adapter.activate", target: id,
                                               details: details.isEmpty ? nil : .object(details))
            return activated
        }
    }

    /// Replicas: serves the adapter the database says is active when another replica activated a different one (or
    /// the base model). Checked against its content hash and the model like any activation; one that does not load is
    /// reported once and the current one keeps serving.
    public func followActiveAdapter() async {
        do {
            try await swapLock.withLock {
                let record = try await database.adapters.active()
                guard record?.id != scorer.adapterID else { return }
                guard let record else {
                    scorer.setAdapter(nil)
                    metrics.setActiveAdapter(nil)
                    logger.info("serving the base model, as another replica chose")
                    return
                }
                let key = record.id + "@" + record.contentHash
                if unfollowable.withLock({ $0 == key }) { return }
                do {
                    let onDisk = try AdapterFolder.contentHash(of: URL(fileURLWithPath: record.path))
                    guard onDisk == record.contentHash else {
                        throw ServiceError.adapterModified(id: record.id, path: record.path, onDisk: onDisk, registered: record.contentHash)
                    }
                    let adapter = try LoRAAdapter.load(directory: URL(fileURLWithPath: record.path), model: scorer.model, id: record.id)
                    scorer.setAdapter(adapter)
                    metrics.setActiveAdapter(adapter.id)
                    logger.info("serving adapter activated by another replica", metadata: ["adapter": "\(record.id)"])
                } catch {
                    unfollowable.withLock { $0 = key }
                    logger.error("the adapter another replica activated does not load here; still serving the previous one",
                                 metadata: ["adapter": "\(record.id)", "path": "\(record.path)", "error": "\(error)"])
                }
            }
        } catch {
            logger.warning("could not check the active adapter", metadata: ["error": "\(error)"])
        }
    }

    /// True on first start: no key exists and none is configured, so `bootstrapAdminKey()` will generate one.
    public var needsBootstrapKey: Bool {
        get async throws {
            guard configuration.bootstrapAdminKey?.isEmpty ?? true else { return false }
            return try await database.apiKeys.list().isEmpty
        }
    }

    /// Registers the bootstrap admin key on first start. Returns the clear key when one was generated (print it once).
    public func bootstrapAdminKey() async throws -> String? {
        guard try await database.apiKeys.list().isEmpty else { return nil }
        if let given = configuration.bootstrapAdminKey, !given.isEmpty {
            do {
                _ = try await database.apiKeys.register(secret: given, role: .admin, label: "bootstrap admin")
            } catch StorageError.constraintViolation(let violation) where violation.kind == .unique {
                // Replicas started together with the same key: another one registered it first.
            }
            return nil
        }
        let created = try await database.apiKeys.create(role: .admin, label: "bootstrap admin")
        return created.secret
    }

    public func shutdown() async {
        scorer.shutdown()
        try? await database.close()
    }
}

/// A mutual-exclusion lock for async code (adapter swaps must not interleave).
actor AsyncLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
