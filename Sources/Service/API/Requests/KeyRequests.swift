import Foundation
import Storage

/// The body of `POST /v1/admin/keys`: the new key's role and a label for people.
struct CreateKeyRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case role, label }

    let role: Role
    let label: String

    init(from decoder: any Decoder) throws {
        let body = try StrictObject<CodingKeys>(decoder)
        let roleName = try body.string(.role, required: true) ?? ""
        guard let role = Role(rawValue: roleName) else {
            throw RequestError("invalid_role", "body.role must be client, reviewer or admin, found \"\(roleName)\"")
        }
        self.role = role
        label = try body.string(.label, required: true) ?? ""
        guard !label.isEmpty, label.count <= 200 else { throw RequestError("invalid_label", "body.label must be 1–200 characters") }
    }
}
