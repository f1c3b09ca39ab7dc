import Foundation
import Hummingbird
import Storage

/// Adapters: `GET /v1/admin/adapters` lists the registered ones, `POST /v1/admin/adapters/{id}/activate` swaps one in
/// (`base` serves the base model), refusing one that does not load cleanly.
struct AdaptersController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("admin/adapters", use: list)
        group.post("admin/adapters/:id/activate", use: activate)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Items<Storage.Adapter> {
        _ = try context.require(.reviewer)
        return Items(items: try await service.database.adapters.list())
    }

    struct Activated: ResponseEncodable { let active: Storage.Adapter?; let serving: String }

    @Sendable func activate(_ request: Request, context: AppRequestContext) async throws -> Activated {
        let key = try context.require(.admin)
        let id = try context.parameters.require("id")
        let adapter = try await service.activateAdapter(id: id == "base" ? nil : id, by: key.id)
        return Activated(active: adapter, serving: adapter?.id ?? "base")
    }
}
