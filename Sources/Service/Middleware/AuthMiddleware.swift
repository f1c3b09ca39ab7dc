import Foundation
import Hummingbird
import Storage

/// Resolves `Authorization: Bearer <key>` to a stored key (by its SHA-256; the clear key is never stored or logged).
/// Routes then demand a role with `context.require(_:)`. A revoked or unknown key is 401; rate limits apply per key.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let keys: any APIKeyStore
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        guard let header = request.headers[.authorization] else { throw APIError.unauthenticated }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { throw APIError.unauthenticated }
        guard let key = try await keys.find(secret: String(parts[1])) else {
            throw APIError(.unauthorized, code: "invalid_key", "the API key is not known", headers: [.wwwAuthenticate: "Bearer"])
        }
        guard !key.isRevoked else {
            throw APIError(.unauthorized, code: "revoked_key", "the API key \(key.prefix)… was revoked", headers: [.wwwAuthenticate: "Bearer"])
        }
        if let wait = limiter.take(key: key.id) {
            throw APIError(.tooManyRequests, code: "rate_limited",
                           "rate limit exceeded for key \(key.prefix)…; retry in \(wait) s", headers: [.retryAfter: "\(wait)"])
        }
        try? await keys.touch(id: key.id)
        context.key = key
        return try await next(request, context)
    }
}

/// A token bucket per key: `rate` requests per second sustained, `burst` at once.
final class RateLimiter: @unchecked Sendable {
    private let rate: Double
    private let burst: Double
    private var buckets: [Int64: (tokens: Double, at: Double)] = [:]
    private let lock = NSLock()

    init(rate: Double, burst: Double) { self.rate = rate; self.burst = burst }

    /// Takes one token; returns nil when allowed, else the seconds to wait (rounded up).
    func take(key: Int64, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        lock.lock(); defer { lock.unlock() }
        var b = buckets[key] ?? (burst, now)
        b.tokens = min(burst, b.tokens + (now - b.at) * rate)
        b.at = now
        if b.tokens >= 1 {
            b.tokens -= 1
            buckets[key] = b
            return nil
        }
        buckets[key] = b
        return max(1, Int(((1 - b.tokens) / rate).rounded(.up)))
    }
}
