import Foundation
import PostgresNIO

// The repositories other than the request log, on PostgreSQL: the same protocols and the same behaviour as the
// SQLite ones beside them (Corrections.swift, APIKeys.swift, TrainingRuns.swift, Adapters.swift, AuditLog.swift).

final class PostgresCorrectionStore: CorrectionStore {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    func add(_ correction: NewCorrection) async throws -> Correction {
        let columns = ["request_id", "reviewer_key_id"] + Dimension.allCases.map(\.scoreColumn) + ["reasoning", "note", "created_at"]
        var values: [(any Sendable)?] = [correction.requestID, correction.reviewerKeyID]
        values += correction.scores.values.map { $0 }
        values += [correction.reasoning, correction.note, correction.createdAt.unixMilliseconds]
        let rows = try await engine.query("""
            INSERT INTO corrections (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count))) RETURNING id
            """, .of(values))
        return Correction(
            id: try rows.first?.value("id") ?? 0, requestID: correction.requestID, reviewerKeyID: correction.reviewerKeyID,
            scores: correction.scores, reasoning: correction.reasoning, note: correction.note,
            createdAt: correction.createdAt.storageRounded)
    }

    func list(requestID: String) async throws -> [Correction] {
        try await engine.query("SELECT * FROM corrections WHERE request_id = $1 ORDER BY id", .of([requestID])).map(Self.decode)
    }

    func latest(requestID: String) async throws -> Correction? {
        try await engine.query("SELECT * FROM latest_corrections WHERE request_id = $1", .of([requestID])).first.map(Self.decode)
    }

    func list(afterID: Int64, limit: Int) async throws -> [Correction] {
        try await engine.query("SELECT * FROM corrections WHERE id > $1 ORDER BY id LIMIT $2", .of([afterID, limit]))
            .map(Self.decode)
    }

    func list(since: Date, limit: Int) async throws -> [Correction] {
        try await engine.query("SELECT * FROM corrections WHERE created_at >= $1 ORDER BY created_at, id LIMIT $2",
                               .of([since.unixMilliseconds, limit])).map(Self.decode)
    }

    func labelledRequests(split: LabelledSplit?, heldOutFraction: Double, afterCorrectionID: Int64) async throws
        -> [LabelledRequest]
    {
        guard (0...1).contains(heldOutFraction) else {
            throw StorageError.invalidArgument("held-out fraction must be in 0…1, not \(heldOutFraction)")
        }
        let scoreSelect = Dimension.allCases.map { "r.\($0.scoreColumn) AS model_\($0.scoreColumn)" }.joined(separator: ", ")
        let all = try await engine.query("""
            SELECT c.*, r.text AS request_text, r.reasoning AS model_reasoning, \(scoreSelect)
            FROM latest_corrections AS c JOIN requests AS r ON r.id = c.request_id
            WHERE c.id > $1 ORDER BY c.id
            """, .of([afterCorrectionID])
        ).map { row in
            LabelledRequest(
                requestID: try row.value("request_id"), text: try row.value("request_text"),
                modelScores: try PerDimension { try row.value("model_" + $0.scoreColumn, as: Int?.self) },
                modelReasoning: try row.value("model_reasoning"), correction: try Self.decode(row))
        }
        guard let split else { return all }
        return all.filter { HeldOut.contains(requestID: $0.requestID, fraction: heldOutFraction) == (split == .heldOut) }
    }

    func count() async throws -> Int {
        try await engine.query("SELECT count(*) AS n FROM corrections").first?.value("n") ?? 0
    }

    static func decode(_ row: PGRow) throws -> Correction {
        Correction(
            id: try row.value("id"), requestID: try row.value("request_id"), reviewerKeyID: try row.value("reviewer_key_id"),
            scores: try PerDimension { try row.value($0.scoreColumn, as: Int.self) }, reasoning: try row.value("reasoning"),
            note: try row.value("note"), createdAt: Date(unixMilliseconds: try row.value("created_at")))
    }
}

final class PostgresAPIKeyStore: APIKeyStore {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    func create(role: Role, label: String) async throws -> CreatedAPIKey {
        let secret = APIKeySecret.generate()
        return CreatedAPIKey(key: try await register(secret: secret, role: role, label: label), secret: secret)
    }

    func register(secret: String, role: Role, label: String) async throws -> APIKey {
        guard secret.count >= 16 else { throw StorageError.invalidArgument("an API key must have at least 16 characters") }
        let prefix = String(secret.prefix(APIKeySecret.prefixLength))
        let now = Date()
        let rows = try await engine.query("""
            INSERT INTO api_keys (key_hash, prefix, role, label, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, .of([APIKeySecret.hash(secret), prefix, role.rawValue, label, now.unixMilliseconds]))
        return APIKey(id: try rows.first?.value("id") ?? 0, prefix: prefix, role: role, label: label,
                      createdAt: now.storageRounded, revokedAt: nil, lastUsedAt: nil)
    }

    func find(secret: String) async throws -> APIKey? {
        try await engine.query("SELECT * FROM api_keys WHERE key_hash = $1", .of([APIKeySecret.hash(secret)])).first.map(Self.decode)
    }

    func get(id: Int64) async throws -> APIKey? {
        try await engine.query("SELECT * FROM api_keys WHERE id = $1", .of([id])).first.map(Self.decode)
    }

    func list() async throws -> [APIKey] {
        try await engine.query("SELECT * FROM api_keys ORDER BY id").map(Self.decode)
    }

    func revoke(id: Int64) async throws -> APIKey {
        let rows = try await engine.query("UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING *",
                                          .of([Date().unixMilliseconds, id]))
        guard let row = rows.first else { throw StorageError.notFound(entity: "API key", id: String(id)) }
        return try Self.decode(row)
    }

    func touch(id: Int64, at date: Date) async throws {
        let now = date.unixMilliseconds
        try await engine.query(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            .of([now, id, now - 60_000]))
    }

    static func decode(_ row: PGRow) throws -> APIKey {
        let roleName: String = try row.value("role")
        guard let role = Role(rawValue: roleName) else { throw StorageError.invalidArgument("unknown role \(roleName) in api_keys") }
        return APIKey(id: try row.value("id"), prefix: try row.value("prefix"), role: role, label: try row.value("label"),
                      createdAt: Date(unixMilliseconds: try row.value("created_at")), revokedAt: try row.date("revoked_at"),
                      lastUsedAt: try row.date("last_used_at"))
    }
}

final class PostgresTrainingRunStore: TrainingRunStore {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    func create(trigger: TrainingTrigger, requestedBy: Int64?) async throws -> TrainingRun {
        let rows = try await engine.query("""
            INSERT INTO training_runs (state, triggered_by, requested_by, created_at) VALUES ('queued', $1, $2, $3) RETURNING *
            """, .of([trigger.rawValue, requestedBy, Date().unixMilliseconds]))
        guard let row = rows.first else { throw StorageError.invalidArgument("the new training run was not returned") }
        return try Self.decode(row)
    }

    func get(id: Int64) async throws -> TrainingRun? {
        try await engine.query("SELECT * FROM training_runs WHERE id = $1", .of([id])).first.map(Self.decode)
    }

    func list(limit: Int = 50, beforeID: Int64? = nil) async throws -> [TrainingRun] {
        try await engine.query("SELECT * FROM training_runs WHERE id < $1 ORDER BY id DESC LIMIT $2",
                               .of([beforeID ?? Int64.max, limit])).map(Self.decode)
    }

    func nextQueued() async throws -> TrainingRun? {
        try await engine.query("SELECT * FROM training_runs WHERE state = 'queued' ORDER BY id LIMIT 1").first.map(Self.decode)
    }

    func running() async throws -> TrainingRun? {
        try await engine.query("SELECT * FROM training_runs WHERE state = 'running' LIMIT 1").first.map(Self.decode)
    }

    func transition(id: Int64, to state: TrainingRunState, decision: String?, error: String?) async throws -> TrainingRun {
        let now = Date().unixMilliseconds
        return try await engine.transaction { transaction in
            // FOR UPDATE: two replicas moving the same run (a cancel here, the end of the run there) take turns.
            guard let row = try await transaction.query("SELECT * FROM training_runs WHERE id = $1 FOR UPDATE", .of([id])).first else {
                throw StorageError.notFound(entity: "training run", id: String(id))
            }
            let current = try Self.decode(row)
            guard current.state.canMove(to: state) else {
                throw StorageError.invalidTransition(runID: id, from: current.state.rawValue, to: state.rawValue)
            }
            let updated = try await transaction.query("""
                UPDATE training_runs SET state = $1,
                    started_at = CASE WHEN $1 = 'running' THEN $2 ELSE started_at END,
                    finished_at = CASE WHEN $3 THEN $2 ELSE finished_at END,
                    decision = coalesce($4, decision), error = coalesce($5, error)
                WHERE id = $6 RETURNING *
                """, .of([state.rawValue, now, state.isFinal, decision, error, id]))
            guard let result = updated.first else { throw StorageError.notFound(entity: "training run", id: String(id)) }
            return try Self.decode(result)
        }
    }

    func updateProgress(id: Int64, phase: String?, progress: JSONValue?) async throws {
        let rows = try await engine.query("UPDATE training_runs SET phase = $1, progress = $2 WHERE id = $3 RETURNING id",
                                          .of([phase, progress?.jsonText, id]))
        guard rows.count == 1 else { throw StorageError.notFound(entity: "training run", id: String(id)) }
    }

    func recordResults(id: Int64, metrics: JSONValue?, eval: JSONValue?, candidateAdapterID: String?,
                       lastCorrectionID: Int64? = nil) async throws
    {
        let rows = try await engine.query("""
            UPDATE training_runs SET metrics = coalesce($1, metrics), eval = coalesce($2, eval),
                candidate_adapter_id = coalesce($3, candidate_adapter_id),
                last_correction_id = coalesce($4, last_correction_id)
            WHERE id = $5 RETURNING id
            """, .of([metrics?.jsonText, eval?.jsonText, candidateAdapterID, lastCorrectionID, id]))
        guard rows.count == 1 else { throw StorageError.notFound(entity: "training run", id: String(id)) }
    }

    func lastConsumedCorrectionID() async throws -> Int64 {
        try await engine.query("""
            SELECT coalesce(max(last_correction_id), 0) AS n FROM training_runs WHERE state IN ('succeeded', 'rejected')
            """).first?.value("n") ?? 0
    }

    func appendPoints(runID: Int64, _ points: [CurvePoint]) async throws {
        guard !points.isEmpty else { return }
        let now = Date().unixMilliseconds
        try await engine.transaction { transaction in
            for point in points {
                try await transaction.query("""
                    INSERT INTO training_run_points (run_id, phase, step, loss, reward, data, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (run_id, phase, step) DO UPDATE SET
                        loss = excluded.loss, reward = excluded.reward, data = excluded.data, created_at = excluded.created_at
                    """, .of([runID, point.phase, point.step, point.loss, point.reward, point.data?.jsonText, now]))
            }
        }
    }

    func points(runID: Int64, afterID: Int64 = 0) async throws -> [StoredCurvePoint] {
        try await engine.query("SELECT * FROM training_run_points WHERE run_id = $1 AND id > $2 ORDER BY id",
                               .of([runID, afterID])).map { row in
            StoredCurvePoint(
                id: try row.value("id"), runID: try row.value("run_id"),
                point: CurvePoint(phase: try row.value("phase"), step: try row.value("step"), loss: try row.value("loss"),
                                  reward: try row.value("reward"), data: try row.json("data")),
                createdAt: Date(unixMilliseconds: try row.value("created_at")))
        }
    }

    func failInterruptedRuns(reason: String) async throws -> [Int64] {
        try await engine.query("""
            UPDATE training_runs SET state = 'failed', finished_at = $1, error = $2 WHERE state = 'running' RETURNING id
            """, .of([Date().unixMilliseconds, reason])).map { try $0.value("id") }
    }

    static func decode(_ row: PGRow) throws -> TrainingRun {
        let stateName: String = try row.value("state")
        let triggerName: String = try row.value("triggered_by")
        guard let state = TrainingRunState(rawValue: stateName), let trigger = TrainingTrigger(rawValue: triggerName)
        else { throw StorageError.invalidArgument("unknown state \(stateName) or trigger \(triggerName)") }
        return TrainingRun(
            id: try row.value("id"), state: state, trigger: trigger, requestedBy: try row.value("requested_by"),
            createdAt: Date(unixMilliseconds: try row.value("created_at")), startedAt: try row.date("started_at"),
            finishedAt: try row.date("finished_at"), phase: try row.value("phase"), progress: try row.json("progress"),
            metrics: try row.json("metrics"), eval: try row.json("eval"), decision: try row.value("decision"),
            error: try row.value("error"), candidateAdapterID: try row.value("candidate_adapter_id"))
    }
}

final class PostgresAdapterStore: AdapterStore {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    func register(_ adapter: NewAdapter) async throws -> Adapter {
        let rows = try await engine.query("""
            INSERT INTO adapters (id, content_hash, path, base_model_id, created_at, run_id, eval, parent_adapter_id,
                                  origin, label, source_path, gate_state)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *
            """, .of([adapter.id, adapter.contentHash, adapter.path, adapter.baseModelID, adapter.createdAt.unixMilliseconds,
                      adapter.runID, adapter.eval?.jsonText, adapter.parentAdapterID, adapter.origin.rawValue, adapter.label,
                      adapter.sourcePath, adapter.gateState?.rawValue]))
        guard let row = rows.first else { throw StorageError.notFound(entity: "adapter", id: adapter.id) }
        return try Self.decode(row)
    }

    func activate(id: String, override: AdapterOverride?) async throws -> Adapter {
        let now = Date().unixMilliseconds
        return try await engine.transaction { transaction in
            // Both updates commit together, so readers never see two active adapters or none in between. Concurrent
            // activations take turns on the lock, so the unique index never sees two at once.
            try await transaction.query("LOCK TABLE adapters IN SHARE ROW EXCLUSIVE MODE")
            guard try await !transaction.query("SELECT 1 FROM adapters WHERE id = $1", .of([id])).isEmpty else {
                throw StorageError.notFound(entity: "adapter", id: id)
            }
            if let override {
                // Recorded in the same transaction as the activation, before it: the schema's gate check reads it.
                try await transaction.query("UPDATE adapters SET override_reason = $1, override_by = $2, override_at = $3 WHERE id = $4",
                                            .of([override.reason, override.keyID, now, id]))
            }
            try await transaction.query("UPDATE adapters SET active = FALSE WHERE active AND id <> $1", .of([id]))
            let rows = try await transaction.query(
                "UPDATE adapters SET active = TRUE, activated_at = $1 WHERE id = $2 RETURNING *", .of([now, id]))
            guard let row = rows.first else { throw StorageError.notFound(entity: "adapter", id: id) }
            return try Self.decode(row)
        }
    }

    func find(contentHash: String) async throws -> Adapter? {
        try await engine.query("SELECT * FROM adapters WHERE content_hash = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                               .of([contentHash])).first.map(Self.decode)
    }

    /// One statement: replicas that poll at once each claim a different import (SKIP LOCKED), never the same one.
    func claimNextGateEvaluation() async throws -> Adapter? {
        try await engine.query("""
            UPDATE adapters SET gate_state = 'evaluating'
            WHERE id = (SELECT id FROM adapters WHERE gate_state = 'pending' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).first.map(Self.decode)
    }

    func recordGate(id: String, state: AdapterGateState, eval: JSONValue?, detail: String?) async throws -> Adapter {
        let rows = try await engine.query("""
            UPDATE adapters SET gate_state = $1, eval = $2, gate_detail = $3 WHERE id = $4 AND origin = 'imported' RETURNING *
            """, .of([state.rawValue, eval?.jsonText, detail, id]))
        guard let row = rows.first else { throw StorageError.notFound(entity: "imported adapter", id: id) }
        return try Self.decode(row)
    }

    func requeueInterruptedGateEvaluations() async throws -> [String] {
        try await engine.query("""
            UPDATE adapters SET gate_state = 'pending' WHERE gate_state = 'evaluating' RETURNING id, created_at
            """).map { row -> (String, Int64) in (try row.value("id"), try row.value("created_at")) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
    }

    func gateQueue() async throws -> (pending: Int, evaluating: Int) {
        let row = try await engine.query("""
            SELECT count(*) FILTER (WHERE gate_state = 'pending') AS pending, count(*) FILTER (WHERE gate_state = 'evaluating') AS evaluating
            FROM adapters WHERE gate_state IN ('pending', 'evaluating')
            """).first
        return (pending: Int(try row?.value("pending", as: Int64.self) ?? 0), evaluating: Int(try row?.value("evaluating", as: Int64.self) ?? 0))
    }

    func deactivateAll() async throws {
        try await engine.query("UPDATE adapters SET active = FALSE WHERE active")
    }

    func active() async throws -> Adapter? {
        try await engine.query("SELECT * FROM adapters WHERE active").first.map(Self.decode)
    }

    func get(id: String) async throws -> Adapter? {
        try await engine.query("SELECT * FROM adapters WHERE id = $1", .of([id])).first.map(Self.decode)
    }

    func list() async throws -> [Adapter] {
        try await engine.query("SELECT * FROM adapters ORDER BY created_at DESC, id DESC").map(Self.decode)
    }

    static func decode(_ row: PGRow) throws -> Adapter {
        Adapter(
            id: try row.value("id"), contentHash: try row.value("content_hash"), path: try row.value("path"),
            baseModelID: try row.value("base_model_id"), createdAt: Date(unixMilliseconds: try row.value("created_at")),
            runID: try row.value("run_id"), eval: try row.json("eval"), isActive: try row.value("active"),
            activatedAt: try row.date("activated_at"), parentAdapterID: try row.value("parent_adapter_id"),
            origin: AdapterOrigin(rawValue: try row.value("origin", as: String.self)) ?? .retrain, label: try row.value("label"),
            sourcePath: try row.value("source_path"),
            gateState: (try row.value("gate_state") as String?).flatMap(AdapterGateState.init(rawValue:)),
            gateDetail: try row.value("gate_detail"), overrideReason: try row.value("override_reason"),
            overrideBy: try row.value("override_by"), overrideAt: try row.date("override_at"))
    }
}

final class PostgresAuditLog: AuditLog {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    @discardableResult
    func record(keyID: Int64?, action: String, target: String?, details: JSONValue?) async throws -> AuditEntry {
        let now = Date()
        let rows = try await engine.query("""
            INSERT INTO audit_log (key_id, action, target, details, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, .of([keyID, action, target, details?.jsonText, now.unixMilliseconds]))
        return AuditEntry(id: try rows.first?.value("id") ?? 0, keyID: keyID, action: action, target: target,
                          details: details, createdAt: now.storageRounded)
    }

    func list(limit: Int = 100, beforeID: Int64? = nil) async throws -> [AuditEntry] {
        try await engine.query("SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
                               .of([beforeID ?? Int64.max, limit])).map { row in
            AuditEntry(id: try row.value("id"), keyID: try row.value("key_id"), action: try row.value("action"),
                       target: try row.value("target"), details: try row.json("details"),
                       createdAt: Date(unixMilliseconds: try row.value("created_at")))
        }
    }
}

final class PostgresLeaseStore: LeaseStore {
    let engine: PostgresEngine

    init(engine: PostgresEngine) { self.engine = engine }

    /// One statement: insert, or take over an expired lease, or renew one's own; the database's clock decides.
    func acquire(_ name: String, holder: String, for duration: Duration) async throws -> Bool {
        let milliseconds = max(1, Int64(duration.seconds * 1000))
        let rows = try await engine.query("""
            WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms)
            INSERT INTO leases (name, holder, acquired_at, expires_at)
            SELECT $1, $2, now.ms, now.ms + $3 FROM now
            ON CONFLICT (name) DO UPDATE SET
                acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
                holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
            RETURNING holder
            """, .of([name, holder, milliseconds]))
        return rows.count == 1
    }

    func release(_ name: String, holder: String) async throws {
        try await engine.query("DELETE FROM leases WHERE name = $1 AND holder = $2", .of([name, holder]))
    }

    func current(_ name: String) async throws -> Lease? {
        try await engine.query("SELECT * FROM leases WHERE name = $1", .of([name])).first.map { row in
            Lease(name: try row.value("name"), holder: try row.value("holder"),
                  acquiredAt: Date(unixMilliseconds: try row.value("acquired_at")),
                  expiresAt: Date(unixMilliseconds: try row.value("expires_at")))
        }
    }
}
