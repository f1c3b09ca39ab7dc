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
    KeysController(service: service).addRoutes(to: v1)
    StatsController(service: service).addRoutes(to: v1)
    RunsController(service: service).addRoutes(to: v1)
    AdaptersController(service: service).addRoutes(to: v1)
    AuditController(service: service).addRoutes(to: v1)
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

/// Turns every error into the API's JSON error shape: the router's (404, 405 with `Allow`, 413) get a code here; every
/// other error goes through the one map from domain errors to API errors (`APIError(_:logger:path:)`, API/ErrorMap.swift).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
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
        } catch {
            throw APIError(error, logger: logger, path: request.uri.path)
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
