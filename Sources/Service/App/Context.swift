import Foundation
import Hummingbird
import Logging
import Storage

/// Per-request context: the core storage Hummingbird needs plus the authenticated key, once auth ran.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var key: APIKey?

    public init(source: Source) {
        coreContext = .init(source: source)
        key = nil
    }

    /// Responses use ISO 8601 dates.
    public var responseEncoder: JSONEncoder { makeJSONEncoder() }

    /// The authenticated key, or 401.
    func requireKey() throws -> APIKey {
        guard let key else { throw APIError.unauthenticated }
        return key
    }

    /// The authenticated key if its role is at least `role` (client < reviewer < admin), or 403.
    func require(_ role: Role) throws -> APIKey {
        let key = try requireKey()
        guard key.role.rank >= role.rank else {
            throw APIError(.forbidden, code: "forbidden", "this endpoint needs the \(role.rawValue) role; the key \(key.prefix)… has \(key.role.rawValue)")
        }
        return key
    }
}

extension Role {
    var rank: Int {
        switch self {
        case .client: 0
        case .reviewer: 1
        case .admin: 2
        }
    }
}
