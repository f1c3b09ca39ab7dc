import Foundation
import Hummingbird
import Storage

/// Adapters: `GET /v1/admin/adapters` lists the registered ones, `POST /v1/admin/adapters` imports one trained
/// elsewhere (its eval gate runs in the background), `GET /v1/admin/adapters/{id}` shows one with its gate, and
/// `POST /v1/admin/adapters/{id}/activate` swaps one in (`base` serves the base model), refusing one that does not load
/// cleanly, or an import whose gate has not passed unless an override reason is given.
struct AdaptersController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("admin/adapters", use: list)
        group.post("admin/adapters", use: importAdapter)
        group.get("admin/adapters/:id", use: get)
        group.post("admin/adapters/:id/activate", use: activate)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Items<Storage.Adapter> {
        _ = try context.require(.reviewer)
        return Items(items: try await service.database.adapters.list())
    }

    /// 202 with the new adapter (gate `pending`) and its address; 200 with the registered one when these files were
    /// imported or trained here before.
    @Sendable func importAdapter(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Storage.Adapter> {
        let key = try context.require(.admin)
        let body = try await RequestBody.decode(ImportAdapterRequest.self, from: request, maxBytes: 64 * 1024)
        let (adapter, created) = try await service.importAdapter(path: body.path, label: body.label, by: key.id)
        return EditedResponse(status: created ? .accepted : .ok, headers: [.location: "/v1/admin/adapters/\(adapter.id)"],
                              response: adapter)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Storage.Adapter {
        _ = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        guard let adapter = try await service.database.adapters.get(id: id) else { throw ServiceError.adapterNotFound(id: id) }
        return adapter
    }

    struct Activated: ResponseEncodable { let active: Storage.Adapter?; let serving: String }

    @Sendable func activate(_ request: Request, context: AppRequestContext) async throws -> Activated {
        let key = try context.require(.admin)
        let id = try context.parameters.require("id")
        // The body is optional: an activation with none gives no reason.
        let body = try await RequestBody.decodeIfPresent(ActivateAdapterRequest.self, from: request, maxBytes: 64 * 1024)
            ?? ActivateAdapterRequest()
        let adapter = try await service.activateAdapter(id: id == "base" ? nil : id, by: key.id, reason: body.overrideReason)
        return Activated(active: adapter, serving: adapter?.id ?? "base")
    }
}

extension Storage.Adapter: ResponseEncodable {}
