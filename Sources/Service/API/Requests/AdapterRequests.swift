import Foundation

/// The body of `POST /v1/admin/adapters`: a PEFT LoRA adapter folder on the server's file system, and a name for people.
struct ImportAdapterRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case path, label }

    let path: String
    let label: String

    init(from decoder: any Decoder) throws {
        let body = try StrictObject<CodingKeys>(decoder)
        path = try body.string(.path, required: true) ?? ""
        // Absolute: a relative path would depend on the directory the server was started from.
        // By scalar, not by character: "/" followed by a combining mark or an emoji modifier is one Character.
        guard path.unicodeScalars.first == "/", path.unicodeScalars.count <= 4096, !path.unicodeScalars.contains("\u{0}") else {
            throw RequestError("invalid_path", "body.path must be an absolute path on the server (1–4096 characters, no NUL), found \"\(path.prefix(80))\"")
        }
        label = try body.string(.label, required: true) ?? ""
        guard !isBlank(label), label.unicodeScalars.count <= 200, !label.unicodeScalars.contains("\u{0}") else {
            throw RequestError("invalid_label", "body.label must be 1–200 characters (Unicode scalars), not blank, without NUL")
        }
    }
}

/// The optional body of `POST /v1/admin/adapters/{id}/activate`: why. Required to serve an imported adapter whose eval
/// gate has not passed (the override is kept on the adapter and in the audit log); otherwise kept in the audit log.
struct ActivateAdapterRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case overrideReason = "override_reason" }

    let overrideReason: String?

    init(overrideReason: String? = nil) { self.overrideReason = overrideReason }

    init(from decoder: any Decoder) throws {
        overrideReason = try StrictObject<CodingKeys>(decoder).string(.overrideReason)
        if let reason = overrideReason {
            guard !isBlank(reason), reason.unicodeScalars.count <= 1000, !reason.unicodeScalars.contains("\u{0}") else {
                throw RequestError("invalid_override_reason", "body.override_reason must be 1–1000 characters (Unicode scalars), not blank, without NUL")
            }
        }
    }
}
