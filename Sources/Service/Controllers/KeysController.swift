import Foundation
import Hummingbird
import Storage

/// API keys: `GET /v1/me` (the caller's own key, any role), and for admins `GET /v1/admin/keys`,
/// `POST /v1/admin/keys` (the clear key is returned once) and `POST /v1/admin/keys/{id}/revoke`.
struct KeysController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("me", use: me)
        group.get("admin/keys", use: list)
        group.post("admin/keys", use: create)
        group.post("admin/keys/:id/revoke", use: revoke)
    }

    struct Me: ResponseEncodable { let id: Int64; let role: String; let label: String; let prefix: String }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Me {
        let key = try context.requireKey()
        return Me(id: key.id, role: key.role.rawValue, label: key.label, prefix: key.prefix)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Items<APIKey> {
        _ = try context.require(.admin)
        return Items(items: try await service.database.apiKeys.list())
    }

    struct CreatedKey: ResponseEncodable { let key: String; let record: APIKey }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<CreatedKey> {
        let admin = try context.require(.admin)
        let body = try await RequestBody.decode(CreateKeyRequest.self, from: request, maxBytes: 64 * 1024)
        let created = try await service.createKey(role: body.role, label: body.label, by: admin.id)
        return EditedResponse(status: .created, response: CreatedKey(key: created.secret, record: created.key))
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> APIKey {
        let admin = try context.require(.admin)
        let s = try context.parameters.require("id")
        guard let id = Int64(s) else { throw ServiceError.keyNotFound(id: s) }
        return try await service.revokeKey(id: id, by: admin.id)
    }
}

extension APIKey: ResponseEncodable {}
