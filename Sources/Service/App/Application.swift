import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Storage

/// Builds the HTTP application over a running `SafetyService`: routes, middleware, static dashboard.
public func buildRouter(_ service: SafetyService) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: ErrorMiddleware(logger: service.logger, routes: routes))
    router.add(middleware: MetricsMiddleware(metrics: service.metrics))
    router.add(middleware: FileMiddleware(service.configuration.publicPath, searchForIndexHtml: true))
    HealthController(service: service).addRoutes(to: router)
    let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: service.database.apiKeys, limiter: service.limiter))
    ScoreController(service: service).addRoutes(to: v1)
    RequestsController(service: service).addRoutes(to: v1)
    AdminController(service: service).addRoutes(to: v1)
    routes.set(router.routes.map { (path: "\($0.path)", method: $0.method) })
    return router
}

public func buildApplication(_ service: SafetyService, services: [any Service] = [],
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
    Application(
        router: buildRouter(service),
        configuration: .init(address: .hostname(service.configuration.host, port: service.configuration.port), serverName: "safety-server"),
        services: services,
        onServerRunning: onServerRunning,
        logger: service.logger)
}

/// Turns every error into the API's JSON error shape: ours pass through, the router's (404, 405, 413) get a code,
/// storage constraint failures become 400/409, anything else a 500 that is logged but not leaked.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            throw e
        } catch let e as HTTPError {
            // A path that exists with other methods: 405 and the methods it has, not 404.
            if e.status == .notFound, let allowed = routes.methods(for: request.uri.path), !allowed.contains(request.method) {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                throw APIError(.methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); allowed: \(list)",
                               headers: [.allow: list])
            }
            let code = switch e.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "body_too_large"
            case .badRequest: "bad_request"
            default: "http_\(e.status.code)"
            }
            let message = e.body ?? (e.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : e.status.reasonPhrase)
            throw APIError(e.status, code: code, message, headers: e.headers)
        } catch let e as StorageError {
            switch e {
            case .constraintViolation(let v):
                throw APIError(.conflict, code: "constraint_violation", "the change breaks a database rule: \(v)")
            case .notFound(let entity, let id):
                throw APIError.notFound("no \(entity) with id \(id)")
            case .invalidTransition(let id, let from, let to):
                throw APIError(.conflict, code: "invalid_transition", "training run \(id) cannot go from \(from) to \(to)")
            case .invalidCursor:
                throw APIError.badRequest("invalid_cursor", "the cursor is not valid")
            case .closed:
                throw APIError(.serviceUnavailable, code: "shutting_down", "the service is shutting down", headers: [.retryAfter: "5"])
            default:
                logger.error("storage error", metadata: ["error": "\(e)", "path": "\(request.uri.path)"])
                throw APIError(.internalServerError, code: "storage_error", "the database failed; the request was not applied")
            }
        } catch {
            logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal_error", "an internal error occurred; it has been logged")
        }
    }
}

/// The router's routes, for telling "no such path" (404) from "no such method on this path" (405 + Allow).
final class RouteTable: @unchecked Sendable {
    private var routes: [(segments: [Substring], method: HTTPRequest.Method)] = []
    private let lock = NSLock()

    func set(_ list: [(path: String, method: HTTPRequest.Method)]) {
        lock.lock(); defer { lock.unlock() }
        routes = list.map { (Self.segments($0.path), $0.method) }
    }

    /// The methods routed for `path`, or nil when no route matches it at all.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = Self.segments(path)
        lock.lock(); defer { lock.unlock() }
        var found: [HTTPRequest.Method] = []
        for r in routes where r.segments.count == parts.count {
            let matches = zip(r.segments, parts).allSatisfy { pattern, part in
                pattern == part || pattern.hasPrefix(":") || pattern.hasPrefix("{") || pattern == "*"
            }
            if matches, !found.contains(r.method) { found.append(r.method) }
        }
        return found.isEmpty ? nil : found.sorted { $0.rawValue < $1.rawValue }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
