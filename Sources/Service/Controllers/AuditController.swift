import Foundation
import Hummingbird
import Storage

/// `GET /v1/admin/audit`: the audit log, newest first (admin role).
struct AuditController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("admin/audit", use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Items<AuditEntry> {
        _ = try context.require(.admin)
        let q = request.uri.queryParameters
        try onlyAllow(q, ["limit"])
        return Items(items: try await service.database.auditLog.list(limit: try limit(q["limit"].map(String.init), default: 100, max: 1000), beforeID: nil))
    }
}
