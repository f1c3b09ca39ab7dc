import Foundation
import Logging
import Scoring
import ServiceLifecycle
import Storage
import Synchronization
import Training

/// Shared by the HTTP handlers and the retrain service: which run is executing and which runs were asked to stop.
public final class RetrainCoordinator: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled: Set<Int64> = []
    private var current: Int64?
    private var stopping = false

    public init() {}

    /// The run being executed now, if any.
    public var runningID: Int64? { lock.lock(); defer { lock.unlock() }; return current }

    func begin(_ id: Int64) { lock.lock(); current = id; lock.unlock() }
    func end() { lock.lock(); current = nil; lock.unlock() }

    /// Asks the run to stop at its next step (the cancel endpoint has already marked it cancelled).
    public func requestCancel(_ id: Int64) { lock.lock(); cancelled.insert(id); lock.unlock() }

    func shouldStop(_ id: Int64) -> Bool { lock.lock(); defer { lock.unlock() }; return stopping || cancelled.contains(id) }

    /// The server is shutting down: the running run stops at its next step.
    func shutdown() { lock.lock(); stopping = true; lock.unlock() }
    var isShuttingDown: Bool { lock.lock(); defer { lock.unlock() }; return stopping }
}

/// The retrain job, one of the server's services: runs queued runs one at a time (admin triggers and the schedule),
/// reports progress and curves to the database as it goes, saves a content-hashed adapter, and hot-swaps it in only
/// when the eval gate accepts it. Training runs on its own thread and yields to the scorer while requests are waiting.
public struct RetrainService: Service {
    let service: SafetyService
    let schedule: CronSchedule?
    let pipelineConfig: RetrainConfig
    let pollInterval: Duration
    /// When `reapOrphanedRun` next looks.
    private let nextReap = NextReap()

    private final class NextReap: Sendable {
        let time = Mutex(Date.distantPast)
    }

    public init(service: SafetyService, pollInterval: Duration = .milliseconds(500)) throws {
        self.service = service
        let c = service.configuration
        schedule = c.retrainSchedule == "off" ? nil : try CronSchedule(c.retrainSchedule)
        pipelineConfig = try Self.pipelineConfig(c)
        self.pollInterval = pollInterval
    }

    /// The retrain's settings: the defaults, with the keys of `retrain_config_path` (when set) replaced.
    public static func pipelineConfig(_ c: ServiceConfiguration) throws -> RetrainConfig {
        guard !c.retrainConfigPath.isEmpty else { return RetrainConfig() }
        let url = URL(fileURLWithPath: c.retrainConfigPath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError(message: "retrain_config_path: cannot read \(url.path)")
        }
        return try RetrainConfig.load(overriding: data)
    }

    var database: Database { service.database }
    var logger: Logger { service.logger }

    public func run() async throws {
        let coordinator = service.retrain
        try await withGracefulShutdownHandler {
            var nextFire = schedule?.next(after: Date())
            if let nextFire { logger.info("retrain schedule", metadata: ["cron": "\(schedule!)", "next": "\(nextFire)"]) }
            while !coordinator.isShuttingDown && !Task.isCancelled {
                if let fire = nextFire, Date() >= fire {
                    await scheduledTrigger()
                    nextFire = schedule?.next(after: Date())
                }
                // An import's evaluation is short next to a run: it goes first.
                if let queue = try? await database.adapters.gateQueue(), queue.pending > 0, await evaluateNextImport() {
                    continue
                }
                if let queued = try? await database.trainingRuns.nextQueued(), await execute(queued) {
                    continue
                }
                await reapOrphanedRun()
                try? await Task.sleep(for: pollInterval)
            }
        } onGracefulShutdown: {
            coordinator.shutdown()
        }
    }

    /// The nightly trigger: queue a run when enough corrections arrived since the last one that used them.
    func scheduledTrigger() async {
        do {
            let since = try await lastConsumedCorrectionID()
            let fresh = try await database.corrections.labelledRequests(split: nil, heldOutFraction: service.configuration.retrainHeldOutFraction,
                                                                         afterCorrectionID: since).count
            guard fresh >= max(1, service.configuration.retrainMinCorrections) else {
                logger.info("scheduled retrain skipped", metadata: ["new_corrections": "\(fresh)", "needed": "\(service.configuration.retrainMinCorrections)"])
                try await database.auditLog.record(keyID: nil, action: "training.skip", target: nil,
                                                   details: .object(["new_corrections": .int(fresh),
                                                                     "needed": .int(service.configuration.retrainMinCorrections)]))
                return
            }
            let run = try await database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
            logger.info("scheduled retrain queued", metadata: ["run": "\(run.id)", "new_corrections": "\(fresh)"])
        } catch {
            logger.error("scheduled retrain could not be queued", metadata: ["error": "\(error)"])
        }
    }

    /// The highest correction id a finished run (activated or rejected) has consumed; later corrections are "new".
    func lastConsumedCorrectionID() async throws -> Int64 {
        try await database.trainingRuns.lastConsumedCorrectionID()
    }

    // MARK: The lease

    var leaseDuration: Duration { .milliseconds(Int64(service.configuration.retrainLeaseSeconds * 1000)) }

    /// A run left `running` by a replica that died (its lease lapsed) is marked failed, by whichever replica takes
    /// the lapsed lease first. Checked once a lease period, and only while a run is `running`.
    func reapOrphanedRun() async {
        guard service.retrain.runningID == nil, Date() >= nextReap.time.withLock({ $0 }) else { return }
        nextReap.time.withLock { $0 = Date().addingTimeInterval(service.configuration.retrainLeaseSeconds / 3) }
        let orphanedRun = (try? await database.trainingRuns.running()) != nil
        let orphanedEvaluation = ((try? await database.adapters.gateQueue())?.evaluating ?? 0) > 0
        guard orphanedRun || orphanedEvaluation,
              (try? await database.leases.acquire(LeaseName.retrain, holder: service.replicaID, for: leaseDuration)) == true
        else { return }
        await failOrphans()
        try? await database.leases.release(LeaseName.retrain, holder: service.replicaID)
    }

    /// Holding the lease, any run still `running` belongs to a holder that died: mark it failed (nothing of it was
    /// activated) and remove its half-written adapter folder.
    private func failOrphans() async {
        // Evaluations of imports also run under the lease, so one left `evaluating` belongs to a replica that died.
        if let requeued = try? await database.adapters.requeueInterruptedGateEvaluations() {
            for id in requeued { logger.warning("imported adapter's evaluation was interrupted; it is queued again", metadata: ["adapter": "\(id)"]) }
        }
        if let failed = try? await database.trainingRuns.failInterruptedRuns(
            reason: "the replica running it stopped (crash or kill: its retrain lease expired); nothing was activated"), !failed.isEmpty
        {
            for id in failed { logger.warning("training run marked failed: its replica's lease expired", metadata: ["run": "\(id)"]) }
            AdapterFolder.removePartials(root: URL(fileURLWithPath: service.configuration.adaptersPath))
        }
    }

    /// While a run or an import's evaluation executes: renews the retrain lease every third of its duration. For a run
    /// (`run` set) it also stops the run when the lease is lost or the run was cancelled on another replica (the cancel
    /// endpoint of any replica marks it in the database); an evaluation only logs a failed renewal.
    private func leaseRenewal(run id: Int64? = nil) -> Task<Void, Never> {
        let database = database, holder = service.replicaID, coordinator = service.retrain, lease = leaseDuration
        let logger = logger
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: lease / 3)
                if Task.isCancelled { return }
                do {
                    let held = try await database.leases.acquire(LeaseName.retrain, holder: holder, for: lease)
                    guard let id else {
                        if !held { logger.warning("could not renew the retrain lease during an import's evaluation") }
                        continue
                    }
                    guard held else {
                        logger.error("retrain lease lost to another replica; stopping the run", metadata: ["run": "\(id)"])
                        coordinator.requestCancel(id)
                        return
                    }
                    if let state = try await database.trainingRuns.get(id: id)?.state, state != .running {
                        coordinator.requestCancel(id)
                    }
                } catch {
                    logger.warning("could not renew the retrain lease", metadata: ["run": "\(id.map(String.init) ?? "import evaluation")", "error": "\(error)"])
                }
            }
        }
    }

    // MARK: One import's evaluation

    /// Evaluates the oldest waiting import under the retrain lease, like a run, so that replicas take turns and a
    /// replica that starts meanwhile does not queue this evaluation again; false when another replica holds the lease
    /// or no import waits.
    func evaluateNextImport() async -> Bool {
        guard (try? await database.leases.acquire(LeaseName.retrain, holder: service.replicaID, for: leaseDuration)) == true else {
            return false
        }
        await failOrphans()
        let imported = try? await database.adapters.claimNextGateEvaluation()
        if let imported {
            let renewal = leaseRenewal()
            await evaluateImport(imported)
            renewal.cancel()
            await renewal.value
        }
        try? await database.leases.release(LeaseName.retrain, holder: service.replicaID)
        return imported != nil
    }

    // MARK: One run

    /// Runs a queued run if this replica can take the retrain lease; false when another replica holds it.
    @discardableResult
    func execute(_ queued: TrainingRun) async -> Bool {
        guard (try? await database.leases.acquire(LeaseName.retrain, holder: service.replicaID, for: leaseDuration)) == true else {
            return false
        }
        await failOrphans()
        let beat = leaseRenewal(run: queued.id)
        await executeHoldingLease(queued)
        beat.cancel()
        await beat.value
        try? await database.leases.release(LeaseName.retrain, holder: service.replicaID)
        return true
    }

    private func executeHoldingLease(_ queued: TrainingRun) async {
        let id = queued.id
        do {
            _ = try await database.trainingRuns.transition(id: id, to: .running, decision: nil, error: nil)
        } catch {
            return  // cancelled between being listed and being started
        }
        service.retrain.begin(id)
        defer { service.retrain.end() }
        logger.info("retrain started", metadata: ["run": "\(id)", "trigger": "\(queued.trigger.rawValue)"])
        do {
            try await perform(id)
        } catch {
            let cancelled = (error as? RetrainError).map { if case .cancelled = $0 { true } else { false } } ?? false
            let state = try? await database.trainingRuns.get(id: id)?.state
            if state == .running {
                if cancelled && service.retrain.isShuttingDown {
                    _ = try? await database.trainingRuns.transition(id: id, to: .failed, decision: nil, error: "the server shut down during the run")
                } else if cancelled {
                    _ = try? await database.trainingRuns.transition(id: id, to: .cancelled, decision: nil, error: "\(error)")
                } else {
                    _ = try? await database.trainingRuns.transition(id: id, to: .failed, decision: nil, error: "\(error)")
                }
            }
            logger.error("retrain stopped", metadata: ["run": "\(id)", "error": "\(error)"])
        }
    }

    func perform(_ id: Int64) async throws {
        let cfg = service.configuration
        var config = pipelineConfig
        config.seed = pipelineConfig.seed &+ UInt64(id)
        try await database.trainingRuns.updateProgress(id: id, phase: "data", progress: nil)
        let (inputs, maxCorrectionID) = try await gatherInputs(runID: id, config: cfg)
        guard !inputs.corrections.isEmpty else {
            throw RetrainError.noTrainingData
        }
        let activeRecord = try await database.adapters.active()
        let active = service.scorer.adapter
        let scorer = service.scorer
        let coordinator = service.retrain
        let maxYield = cfg.retrainMaxYieldSeconds

        // Progress and curve points are written in order by one task; the pipeline thread only enqueues them.
        let (events, sink) = AsyncStream<RetrainEvent>.makeStream()
        let db = database
        let writer = Task {
            for await e in events {
                switch e {
                case let .phase(name, total):
                    try? await db.trainingRuns.updateProgress(id: id, phase: name, progress: .object(["step": .int(0), "total": .int(total)]))
                case let .point(p):
                    var data: [String: JSONValue] = [:]
                    for (k, v) in p.data where v.isFinite { data[k] = .double(v) }
                    try? await db.trainingRuns.appendPoints(runID: id, [CurvePoint(phase: p.phase, step: p.step, loss: p.loss.flatMap(finite),
                                                                                   reward: p.reward.flatMap(finite), data: .object(data))])
                    var progress: [String: JSONValue] = ["step": .int(p.step), "total": .int(p.total)]
                    if let l = p.loss.flatMap(finite) { progress["loss"] = .double(l) }
                    if let r = p.reward.flatMap(finite) { progress["reward"] = .double(r) }
                    try? await db.trainingRuns.updateProgress(id: id, phase: p.phase, progress: .object(progress))
                }
            }
        }
        var hooks = RetrainHooks()
        hooks.phase = { sink.yield(.phase($0, $1)) }
        hooks.point = { sink.yield(.point($0)) }
        hooks.shouldStop = { coordinator.shouldStop(id) }
        hooks.yield = {
            let deadline = Monotonic.seconds() + maxYield
            while scorer.inFlight > 0 && Monotonic.seconds() < deadline && !coordinator.shouldStop(id) { usleep(5_000) }
        }
        let pipeline = RetrainPipeline(model: service.scorer.model, tokenizer: service.scorer.tokenizer, prompt: service.scorer.prompt,
                                       active: active, config: config, hooks: hooks)
        let outcome: RetrainOutcome
        do {
            outcome = try await Self.onThread(name: "retrain-\(id)") { try pipeline.run(inputs, candidateID: "run\(id)") }
        } catch {
            sink.finish()
            await writer.value
            throw error
        }
        sink.finish()
        await writer.value

        var metrics = (try? JSONValue(encoding: outcome.summary)) ?? .object([:])
        if case var .object(m) = metrics {
            m["max_correction_id"] = .int(Int(maxCorrectionID))
            m["active_adapter"] = activeRecord.map { .string($0.id) } ?? .null
            metrics = .object(m)
        }
        let eval = Self.gateRecord(candidate: outcome.candidateReport, active: outcome.activeReport, control: outcome.control,
                                   decision: outcome.decision, gate: config.gate, heldOut: outcome.summary.evaluated)
        var maeLine = String(format: "held-out MAE %.2f → %.2f on %d items", outcome.activeReport.mae, outcome.candidateReport.mae,
                             outcome.summary.evaluated)
        let trials = outcome.summary.gateTrials
        if trials.count > 1 || outcome.summary.candidateFraction != 1 {
            func name(_ stage: CandidateStage, _ fraction: Double) -> String {
                (stage == .sft ? "SFT-only " : "") + String(format: "%.2f", fraction)
            }
            maeLine += "; candidate \(name(outcome.summary.candidateStage, outcome.summary.candidateFraction)) of the way from the starting adapter"
                + (outcome.summary.candidateStage == .sft ? " to the adapter after SFT" : "")
                + ", after trying " + trials.map { name($0.stage, $0.fraction) }.joined(separator: ", ")
        }
        guard outcome.decision.accepted else {
            try await database.trainingRuns.recordResults(id: id, metrics: metrics, eval: eval, candidateAdapterID: nil,
                                                           lastCorrectionID: maxCorrectionID)
            let why = outcome.decision.reasons.joined(separator: "; ")
            _ = try await database.trainingRuns.transition(id: id, to: .rejected, decision: "kept \(activeRecord?.id ?? "the base model"): \(why) (\(maeLine))", error: nil)
            try await database.auditLog.record(keyID: nil, action: "training.reject", target: "\(id)", details: .object(["reason": .string(why)]))
            logger.info("retrain candidate rejected", metadata: ["run": "\(id)", "why": "\(why)"])
            return
        }
        if coordinator.shouldStop(id) { throw RetrainError.cancelled(phase: "activation") }

        // Save under its content hash (never over an existing folder), register, then swap it in.
        let saved = try AdapterFolder.save(outcome.candidate, prompt: service.scorer.prompt, runID: id,
                                           report: eval, root: URL(fileURLWithPath: cfg.adaptersPath))
        let adapterID = "run\(id)-\(saved.hash.prefix(8))"
        _ = try await database.adapters.register(NewAdapter(id: adapterID, contentHash: saved.hash, path: saved.directory.path,
                                                            baseModelID: service.modelID, runID: id, eval: eval,
                                                            parentAdapterID: activeRecord?.id))
        try await database.trainingRuns.recordResults(id: id, metrics: metrics, eval: eval, candidateAdapterID: adapterID,
                                                       lastCorrectionID: maxCorrectionID)
        if coordinator.shouldStop(id) { throw RetrainError.cancelled(phase: "activation") }
        _ = try await service.activateAdapter(id: adapterID, by: nil)
        _ = try await database.trainingRuns.transition(id: id, to: .succeeded, decision: "activated \(adapterID): \(maeLine)", error: nil)
        logger.info("retrain candidate activated", metadata: ["run": "\(id)", "adapter": "\(adapterID)", "eval": "\(maeLine)"])
    }

    private func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

    /// What is stored of a gate's judgement, with a run or with an imported adapter (the dashboard reads both alike):
    /// both models' headline figures and full reports, the decision, the gate's limits, the control figures.
    static func gateRecord(candidate: EvalReport, active: EvalReport, control: (candidate: EvalReport, active: EvalReport)?,
                           decision: EvalGateDecision, gate: EvalGateConfig, heldOut: Int) -> JSONValue {
        var evalFields: [String: JSONValue] = [
            "candidate": Self.headline(candidate),
            "active": Self.headline(active),
            "decision": (try? JSONValue(encoding: decision)) ?? .null,
            "gate": (try? JSONValue(encoding: gate)) ?? .null,
            "held_out": .int(heldOut),
            "candidate_report": (try? JSONValue(encoding: candidate)) ?? .null,
            "active_report": (try? JSONValue(encoding: active)) ?? .null,
        ]
        if let control {
            evalFields["control"] = .object([
                "items": .int(control.active.items),
                "candidate": Self.headline(control.candidate), "active": Self.headline(control.active),
                "candidate_report": (try? JSONValue(encoding: control.candidate)) ?? .null,
                "active_report": (try? JSONValue(encoding: control.active)) ?? .null,
            ])
        }
        return .object(evalFields)
    }

    /// The figures the dashboard compares: overall and per-dimension MAE, format validity, within-5 share, text-level
    /// accuracy (the full reports are stored beside them).
    static func headline(_ r: EvalReport) -> JSONValue {
        var perDimension: [String: JSONValue] = [:]
        for m in r.dimensions { perDimension[m.dimension.key] = .double(m.mae) }
        return .object([
            "items": .int(r.items), "overall_mae": .double(r.mae), "format_validity": .double(r.formatValidity),
            "within_share": .double(r.withinShare), "text_accuracy": r.anyViolation.accuracy.map { .double($0) } ?? .null,
            "per_dimension_mae": .object(perDimension),
        ])
    }

    /// New corrections, replay, anchors, held-out and control sets of run `runID` (`RetrainData.gather`).
    func gatherInputs(runID: Int64, config cfg: ServiceConfiguration) async throws -> (RetrainInputs, Int64) {
        try await RetrainData.gather(database: database, runID: runID, config: cfg)
    }

    /// Runs blocking work on a thread of its own (never on the cooperative pool, which serves HTTP).
    public static func onThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            let t = Thread {
                do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
            }
            t.name = name
            t.stackSize = 16 << 20
            t.start()
        }
    }
}

enum RetrainEvent: Sendable {
    case phase(String, Int)
    case point(RetrainPoint)
}

extension JSONValue {
    /// Any encodable value as a JSON document.
    init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
