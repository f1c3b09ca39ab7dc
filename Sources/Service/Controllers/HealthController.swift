import Foundation
import Hummingbird

/// Liveness, readiness and metrics: no authentication, so orchestrators and scrapers can call them.
struct HealthController {
    let service: SafetyService

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz", use: health)
        router.get("readyz", use: ready)
        router.get("metrics", use: metrics)
    }

    struct Status: ResponseEncodable { let status: String; let model: String?; let adapter: String?; let database: String? }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Status {
        Status(status: "ok", model: nil, adapter: nil, database: nil)
    }

    /// Ready when the model is loaded and the database takes a write lock.
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await service.database.checkWritable()
        } catch {
            throw APIError(.serviceUnavailable, code: "database_unavailable", "the database is not writable: \(error)", headers: [.retryAfter: "5"])
        }
        return try Status(status: "ready", model: service.modelID, adapter: service.scorer.adapterID, database: "writable")
            .response(from: request, context: context)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        service.metrics.queueDepth.set(Double(service.scorer.queueDepth))
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: service.metrics.render())))
    }
}
