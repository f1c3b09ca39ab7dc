import Foundation
import Hummingbird
import Storage

/// Training runs: `POST /v1/admin/retrain` queues one, `GET /v1/admin/runs` lists them, `GET /v1/admin/runs/{id}` shows
/// one with its curve, `POST /v1/admin/runs/{id}/cancel` stops one.
struct RunsController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("admin/retrain", use: retrain)
        group.get("admin/runs", use: list)
        group.get("admin/runs/:id", use: get)
        group.post("admin/runs/:id/cancel", use: cancel)
    }

    struct Queued: ResponseEncodable { let run_id: Int64; let state: String }

    @Sendable func retrain(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Queued> {
        let key = try context.require(.admin)
        // The body is optional: a trigger with none is a run without a reason.
        let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
        let body = hasBody ? try await RequestBody.decode(RetrainRequest.self, from: request, maxBytes: service.configuration.maxBodyBytes)
                           : RetrainRequest()
        let run = try await service.requestRetrain(reason: body.reason, by: key.id)
        return EditedResponse(status: .accepted, headers: [.location: "/v1/admin/runs/\(run.id)"],
                              response: Queued(run_id: run.id, state: run.state.rawValue))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Items<TrainingRun> {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit", "before"])
        let before = try q["before"].map { s -> Int64 in
            guard let v = Int64(s) else { throw RequestError("invalid_query", "before must be a run id") }
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

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RunDetail {
        _ = try context.require(.reviewer)
        let id = try runID(context)
        guard let run = try await service.database.trainingRuns.get(id: id) else { throw ServiceError.runNotFound(id: "\(id)") }
        return RunDetail(run: run, points: try await service.database.trainingRuns.points(runID: id, afterID: 0).map(PointView.init))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> TrainingRun {
        let key = try context.require(.admin)
        return try await service.cancelRun(id: try runID(context), by: key.id)
    }

    private func runID(_ context: AppRequestContext) throws -> Int64 {
        let s = try context.parameters.require("id")
        guard let id = Int64(s) else { throw ServiceError.runNotFound(id: s) }
        return id
    }
}

extension TrainingRun: ResponseEncodable {}
