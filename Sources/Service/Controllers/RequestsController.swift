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
            guard let b = Bool(String(s)) else { throw APIError.badRequest("invalid_query", "corrected must be true or false, found \"\(s)\"") }
            query.corrected = b
        }
        if let s = q["adapter"] { query.adapter = s == "base" ? .baseModel : .adapter(String(s)) }
        if let s = q["order"] {
            guard let o = RequestQuery.Order(rawValue: String(s)) else { throw APIError.badRequest("invalid_query", "order must be newest or oldest") }
            query.order = o
        }
        query.limit = try limit(q["limit"].map(String.init), default: 50, max: 1000)
        let page: RequestPage
        do { page = try await service.database.requests.list(query, cursor: q["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }) } catch StorageError.invalidCursor {
            throw APIError.badRequest("invalid_cursor", "the cursor is not one this server issued, or belongs to another query")
        }
        return ItemsPage(items: page.items.map(RequestView.init), next_cursor: page.nextCursor)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RequestDetailView {
        _ = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        guard let detail = try await service.database.requests.detail(id: id) else { throw APIError.notFound("no request with id \(id)") }
        return RequestDetailView(request: RequestView(detail.request), corrections: detail.corrections.map(CorrectionView.init))
    }

    @Sendable func correct(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CorrectionView> {
        let key = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        let body = try await JSONInput.read(request, maxBytes: service.configuration.maxBodyBytes)
        try body.onlyAllow(["scores", "reasoning", "note"])
        guard let scoresInput = try body.nested("scores", required: true) else { throw APIError.badRequest("missing_field", "body.scores is required") }
        let scores = try Self.nineScores(scoresInput)
        let reasoning = try body.string("reasoning", required: false)
        let note = try body.string("note", required: false)
        if let r = reasoning, r.count > 20_000 { throw APIError.badRequest("reasoning_too_long", "body.reasoning is over 20,000 characters") }
        if let n = note, n.count > 5_000 { throw APIError.badRequest("note_too_long", "body.note is over 5,000 characters") }
        guard try await service.database.requests.get(id: id) != nil else { throw APIError.notFound("no request with id \(id)") }
        let correction = try await service.database.corrections.add(
            NewCorrection(requestID: id, reviewerKeyID: key.id, scores: scores,
                          reasoning: reasoning.flatMap { $0.isEmpty ? nil : $0 }, note: note.flatMap { $0.isEmpty ? nil : $0 }))
        return EditedResponse(status: .created, headers: [.location: "/v1/requests/\(id)"], response: CorrectionView(correction))
    }

    /// All nine scores, keyed by the Chinese names (or the ASCII ids), integers 0–100.
    static func nineScores(_ input: JSONInput) throws -> PerDimension<Int> {
        var values: [Storage.Dimension: Int] = [:]
        // One naming per object: all Chinese keys or all ASCII ids (so a dimension cannot hide under both names).
        let chinese = input.object.keys.filter { Dimension(key: $0) != nil }
        let ascii = input.object.keys.filter { Dimension(rawValue: $0) != nil }
        if !chinese.isEmpty, !ascii.isEmpty {
            throw APIError.badRequest("mixed_dimension_keys",
                                      "\(input.path) mixes Chinese keys (\(chinese.sorted().first ?? "")) and ASCII ids (\(ascii.sorted().first ?? "")); use one naming for all nine")
        }
        for (k, v) in input.object {
            guard let d = Dimension(key: k) ?? Dimension(rawValue: k) else {
                throw APIError.badRequest("unknown_dimension",
                                          "\(input.path) has unknown key \"\(k)\"; expected the nine TC260-003 dimensions: \(Dimension.allCases.map(\.key).joined(separator: ", "))")
            }
            guard values[d] == nil else { throw APIError.badRequest("duplicate_dimension", "\(input.path) gives \(d.key) twice") }
            // JSON Schema's integer: 35 and 35.0 are the same number.
            let integral: Int? = switch v {
            case .int(let n): n
            case .double(let d) where d.rounded() == d && abs(d) <= 1e6: Int(d)
            default: nil
            }
            guard let n = integral else {
                throw APIError.badRequest("invalid_score", "\(input.path).\(d.key) must be an integer 0–100, found \(JSONInput.kind(v))")
            }
            guard (0...100).contains(n) else {
                throw APIError.badRequest("score_out_of_range", "\(input.path).\(d.key) is \(n); scores are integers 0–100")
            }
            values[d] = n
        }
        let missing = Dimension.allCases.filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw APIError.badRequest("missing_dimension", "\(input.path) lacks \(missing.map(\.key).joined(separator: ", ")); all nine dimensions are required")
        }
        return PerDimension { values[$0]! }
    }

    @Sendable func reviewQueue(_ request: Request, context: AppRequestContext) async throws -> ItemsPage<RequestView> {
        _ = try context.require(.reviewer)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit", "cursor"])
        let limit = try limit(q["limit"].map(String.init), default: 20, max: 500)
        do {
            let page = try await service.database.requests.reviewQueue(limit: limit, cursor: q["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 })
            return ItemsPage(items: page.items.map(RequestView.init), next_cursor: page.nextCursor)
        } catch StorageError.invalidCursor {
            throw APIError.badRequest("invalid_cursor", "the cursor is not one this server issued")
        }
    }
}

func onlyAllow(_ q: Parameters, _ allowed: [String]) throws {
    for (k, _) in q where !allowed.contains(String(k)) {
        throw APIError.badRequest("unknown_parameter", "unknown query parameter \"\(k)\"; allowed: \(allowed.joined(separator: ", "))")
    }
}

func date(_ s: Substring, _ name: String) throws -> Date {
    guard let d = ISO8601.parse(String(s)) else {
        throw APIError.badRequest("invalid_query", "\(name) must be an ISO 8601 time or Unix milliseconds, found \"\(s)\"")
    }
    return d
}

func score(_ s: Substring, _ name: String) throws -> Int {
    guard let n = Int(s), (0...100).contains(n) else { throw APIError.badRequest("invalid_query", "\(name) must be an integer 0–100, found \"\(s)\"") }
    return n
}

func limit(_ s: String?, default d: Int, max m: Int) throws -> Int {
    guard let s else { return d }
    guard let n = Int(s), (1...m).contains(n) else { throw APIError.badRequest("invalid_query", "limit must be an integer 1–\(m), found \"\(s)\"") }
    return n
}
