import Foundation
import Hummingbird
import Storage

/// `GET /v1/admin/stats`: the dashboard's overview over the last `minutes` (reviewer role): requests per minute, score
/// histograms, totals, the queue and the model being served.
struct StatsController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("admin/stats", use: stats)
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
}
