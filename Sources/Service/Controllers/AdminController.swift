import Foundation
import Hummingbird
import Storage

/// Admin endpoints: overview statistics, training runs, adapters and API keys. Every change is written to the audit log.
struct AdminController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("me", use: me)
        group.get("admin/stats", use: stats)
        group.post("admin/retrain", use: retrain)
        group.get("admin/runs", use: runs)
        group.get("admin/runs/:id", use: run)
        group.post("admin/runs/:id/cancel", use: cancel)
        group.get("admin/adapters", use: adapters)
        group.post("admin/adapters/:id/activate", use: activate)
        group.get("admin/keys", use: keys)
        group.post("admin/keys", use: createKey)
        group.post("admin/keys/:id/revoke", use: revokeKey)
        group.get("admin/audit", use: audit)
    }

    struct Me: ResponseEncodable { let id: Int64; let role: String; let label: String; let prefix: String }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Me {
        let key = try context.requireKey()
        return Me(id: key.id, role: key.role.rawValue, label: key.label, prefix: key.prefix)
    }

    struct Stats: ResponseEncodable {
        struct Histogram: Encodable { let dimension: String; let dimension_id: String; let bucket_width: Int; let counts: [Int]; let missing: Int }
        struct Totals: Encodable { let requests: Int; let corrections: Int }
        struct Model: Encodable { let base: String; let adapter: String? }
        let requests_per_minute: [MinuteCount]
        let histograms: [Histogram]
        let active_adapter: Storage.Adapter?
        let queue_depth: Int
        let totals: Totals
        let model: Model
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) async throws -> Stats {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["minutes"])
        let minutes = try limit(q["minutes"].map(String.init), default: 60, max: 7 * 24 * 60)
        let to = Date(), from = to.addingTimeInterval(-Double(minutes) * 60)
        let db = service.database
        let perMinute = try await db.requests.countsPerMinute(from: from, to: to)
        let histograms = try await db.requests.scoreHistograms(from: from, to: to, bucketWidth: 10)
        return Stats(
            requests_per_minute: perMinute,
            histograms: histograms.map { Stats.Histogram(dimension: $0.dimension.key, dimension_id: $0.dimension.rawValue,
                                                          bucket_width: $0.bucketWidth, counts: $0.counts, missing: $0.missing) },
            active_adapter: try await db.adapters.active(),
            queue_depth: service.scorer.queueDepth,
            totals: Stats.Totals(requests: try await db.requests.count(), corrections: try await db.corrections.count()),
            model: Stats.Model(base: service.modelID, adapter: service.scorer.adapterID))
    }

    struct Queued: ResponseEncodable { let run_id: Int64; let state: String }

    @Sendable func retrain(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Queued> {
        let key = try context.require(.admin)
        var reason: String?
        if request.headers[.contentLength].map({ $0 != "0" }) ?? (request.headers[.transferEncoding] != nil) {
            let body = try await JSONInput.read(request, maxBytes: service.configuration.maxBodyBytes)
            try body.onlyAllow(["reason"])
            reason = try body.string("reason", required: false)
        }
        // One run at a time: a second trigger while one is queued or running is refused, not stacked.
        if let pending = try await service.database.trainingRuns.list(limit: 50, beforeID: nil).first(where: { !$0.state.isFinal }) {
            throw APIError(.conflict, code: "run_in_progress",
                           "training run \(pending.id) is \(pending.state.rawValue); wait for it or cancel it (POST /v1/admin/runs/\(pending.id)/cancel)")
        }
        let run = try await service.database.trainingRuns.create(trigger: .admin, requestedBy: key.id)
        try await service.database.auditLog.record(keyID: key.id, action: "training.request", target: "\(run.id)",
                                                   details: reason.map { .object(["reason": .string($0)]) })
        return EditedResponse(status: .accepted, headers: [.location: "/v1/admin/runs/\(run.id)"],
                              response: Queued(run_id: run.id, state: run.state.rawValue))
    }

    @Sendable func runs(_ request: Request, context: AppRequestContext) async throws -> Items<TrainingRun> {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit", "before"])
        let before = try q["before"].map { s -> Int64 in
            guard let v = Int64(s) else { throw APIError.badRequest("invalid_query", "before must be a run id") }
            return v
        }
        return Items(items: try await service.database.trainingRuns.list(limit: try limit(q["limit"].map(String.init), default: 50, max: 500), beforeID: before))
    }

    /// A curve point, flattened for clients.
    struct PointView: Encodable {
        let id: Int64; let phase: String; let step: Int; let loss: Double?; let reward: Double?; let data: JSONValue?; let created_at: Date
        init(_ p: StoredCurvePoint) {
            id = p.id; phase = p.point.phase; step = p.point.step; loss = p.point.loss; reward = p.point.reward; data = p.point.data
            created_at = p.createdAt
        }
    }

    struct RunDetail: ResponseEncodable { let run: TrainingRun; let points: [PointView] }

    @Sendable func run(_ request: Request, context: AppRequestContext) async throws -> RunDetail {
        _ = try context.require(.reviewer)
        let id = try runID(context)
        guard let run = try await service.database.trainingRuns.get(id: id) else { throw APIError.notFound("no training run with id \(id)") }
        return RunDetail(run: run, points: try await service.database.trainingRuns.points(runID: id, afterID: 0).map(PointView.init))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> TrainingRun {
        let key = try context.require(.admin)
        let id = try runID(context)
        guard let run = try await service.database.trainingRuns.get(id: id) else { throw APIError.notFound("no training run with id \(id)") }
        guard run.state == .queued || run.state == .running else {
            throw APIError(.conflict, code: "run_finished", "training run \(id) is \(run.state.rawValue); only queued or running runs can be cancelled")
        }
        do {
            _ = try await service.database.trainingRuns.transition(id: id, to: .cancelled, decision: nil, error: "cancelled by an admin")
        } catch StorageError.invalidTransition(_, let from, _) {
            throw APIError(.conflict, code: "run_finished", "training run \(id) is \(from) and can no longer be cancelled")
        }
        service.retrain.requestCancel(id)
        try await service.database.auditLog.record(keyID: key.id, action: "training.cancel", target: "\(id)", details: nil)
        guard let updated = try await service.database.trainingRuns.get(id: id) else { throw APIError.notFound("no training run with id \(id)") }
        return updated
    }

    private func runID(_ context: AppRequestContext) throws -> Int64 {
        let s = try context.parameters.require("id")
        guard let id = Int64(s) else { throw APIError.notFound("no training run with id \(s)") }
        return id
    }

    @Sendable func adapters(_ request: Request, context: AppRequestContext) async throws -> Items<Storage.Adapter> {
        _ = try context.require(.reviewer)
        return Items(items: try await service.database.adapters.list())
    }

    struct Activated: ResponseEncodable { let active: Storage.Adapter?; let serving: String }

    @Sendable func activate(_ request: Request, context: AppRequestContext) async throws -> Activated {
        let key = try context.require(.admin)
        let id = try context.parameters.require("id")
        let adapter = try await service.activateAdapter(id: id == "base" ? nil : id, by: key.id)
        return Activated(active: adapter, serving: adapter?.id ?? "base")
    }

    @Sendable func keys(_ request: Request, context: AppRequestContext) async throws -> Items<APIKey> {
        _ = try context.require(.admin)
        return Items(items: try await service.database.apiKeys.list())
    }

    struct CreatedKey: ResponseEncodable { let key: String; let record: APIKey }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedKey> {
        let admin = try context.require(.admin)
        let body = try await JSONInput.read(request, maxBytes: 64 * 1024)
        try body.onlyAllow(["role", "label"])
        let roleName = try body.string("role", required: true) ?? ""
        guard let role = Role(rawValue: roleName) else {
            throw APIError.badRequest("invalid_role", "body.role must be client, reviewer or admin, found \"\(roleName)\"")
        }
        let label = try body.string("label", required: true) ?? ""
        guard !label.isEmpty, label.count <= 200 else { throw APIError.badRequest("invalid_label", "body.label must be 1–200 characters") }
        let created = try await service.database.apiKeys.create(role: role, label: label)
        try await service.database.auditLog.record(keyID: admin.id, action: "key.create", target: "\(created.key.id)",
                                                   details: .object(["role": .string(role.rawValue), "label": .string(label)]))
        return EditedResponse(status: .created, response: CreatedKey(key: created.secret, record: created.key))
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> APIKey {
        let admin = try context.require(.admin)
        let s = try context.parameters.require("id")
        guard let id = Int64(s), try await service.database.apiKeys.get(id: id) != nil else { throw APIError.notFound("no API key with id \(s)") }
        let revoked = try await service.database.apiKeys.revoke(id: id)
        try await service.database.auditLog.record(keyID: admin.id, action: "key.revoke", target: "\(id)", details: nil)
        return revoked
    }

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> Items<AuditEntry> {
        _ = try context.require(.admin)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit"])
        return Items(items: try await service.database.auditLog.list(limit: try limit(q["limit"].map(String.init), default: 100, max: 1000), beforeID: nil))
    }
}

extension TrainingRun: ResponseEncodable {}
extension APIKey: ResponseEncodable {}
