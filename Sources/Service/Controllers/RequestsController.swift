import Foundation
import Hummingbird
import Storage

/// Reading logged requests and correcting them: `GET /v1/requests`, `GET /v1/requests/{id}`,
/// `POST /v1/requests/{id}/corrections`, `GET /v1/review-queue` (reviewer role).
struct RequestsController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("requests", use: list)
        group.get("requests/:id", use: get)
        group.post("requests/:id/corrections", use: correct)
        group.get("review-queue", use: reviewQueue)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ItemsPage<RequestView> {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        var allowed = ["from", "to", "corrected", "adapter", "order", "limit", "cursor"]
        for d in Dimension.allCases { allowed += ["below.\(d.rawValue)", "above.\(d.rawValue)"] }
        try onlyAllow(q, allowed)
        var query = RequestQuery()
        if let s = q["from"] { query.from = try date(s, "from") }
        if let s = q["to"] { query.to = try date(s, "to") }
        for d in Dimension.allCases {
            if let s = q["below.\(d.rawValue)"] { query.scoreBelow[d] = try score(s, "below.\(d.rawValue)") }
            if let s = q["above.\(d.rawValue)"] { query.scoreAbove[d] = try score(s, "above.\(d.rawValue)") }
        }
        if let s = q["corrected"] {
            guard let b = Bool(String(s)) else { throw RequestError("invalid_query", "corrected must be true or false, found \"\(s)\"") }
            query.corrected = b
        }
        if let s = q["adapter"] { query.adapter = s == "base" ? .baseModel : .adapter(String(s)) }
        if let s = q["order"] {
            guard let o = RequestQuery.Order(rawValue: String(s)) else { throw RequestError("invalid_query", "order must be newest or oldest") }
            query.order = o
        }
        query.limit = try limit(q["limit"].map(String.init), default: 50, max: 1000)
        let page = try await service.database.requests.list(query, cursor: cursor(q))
        return ItemsPage(items: page.items.map(RequestView.init), next_cursor: page.nextCursor)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RequestDetailView {
        _ = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        guard let detail = try await service.database.requests.detail(id: id) else { throw ServiceError.requestNotFound(id: id) }
        return RequestDetailView(request: RequestView(detail.request), corrections: detail.corrections.map(CorrectionView.init))
    }

    @Sendable func correct(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CorrectionView> {
        let key = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(CorrectionRequest.self, from: request, maxBytes: service.configuration.maxBodyBytes)
        let correction = try await service.addCorrection(requestID: id, scores: body.scores, reasoning: body.reasoning, note: body.note, by: key.id)
        return EditedResponse(status: .created, headers: [.location: "/v1/requests/\(id)"], response: CorrectionView(correction))
    }

    @Sendable func reviewQueue(_ request: Request, context: AppRequestContext) async throws -> ItemsPage<RequestView> {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit", "cursor"])
        let limit = try limit(q["limit"].map(String.init), default: 20, max: 500)
        let page = try await service.database.requests.reviewQueue(limit: limit, cursor: cursor(q))
        return ItemsPage(items: page.items.map(RequestView.init), next_cursor: page.nextCursor)
    }

    /// The `cursor` parameter; empty counts as none.
    private func cursor(_ q: Parameters) -> String? { q["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
}
