import Foundation

/// The optional body of `POST /v1/admin/retrain`: why the run was asked for (kept in the audit log).
struct RetrainRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case reason }

    let reason: String?

    init(reason: String? = nil) { self.reason = reason }

    init(from decoder: any Decoder) throws {
        reason = try StrictObject<CodingKeys>(decoder).string(.reason)
    }
}
