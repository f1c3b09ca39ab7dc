import Foundation
import Scoring
import Storage

/// The body of `POST /v1/score`: one text (`{"text"}`) or a bounded batch (`{"texts": […]}`), with optional request
/// metadata, an idempotency id (single texts only) and a verdict policy of the request's own.
struct ScoreRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case text, texts, metadata, client_request_id, policy }

    enum Texts: Equatable {
        case one(String)
        case batch([String])
    }

    let texts: Texts
    let metadata: JSONValue?
    let clientRequestID: String?
    let policy: PolicyOverride?

    init(from decoder: any Decoder) throws {
        let body = try StrictObject<CodingKeys>(decoder)
        policy = try body.decode(PolicyOverride.self, .policy)
        metadata = try body.object(.metadata)
        clientRequestID = try body.string(.client_request_id)
        if let id = clientRequestID, id.isEmpty || id.count > 200 {
            throw RequestError("invalid_client_request_id", "body.client_request_id must be 1–200 characters")
        }
        if try body.has(.texts) {
            guard try !body.has(.text) else { throw RequestError("conflicting_fields", "send either \"text\" or \"texts\", not both") }
            guard clientRequestID == nil else {
                throw RequestError("conflicting_fields", "client_request_id applies to single-text requests only")
            }
            let texts = try body.stringArray(.texts) ?? []
            guard !texts.isEmpty else { throw RequestError("empty_batch", "body.texts is empty") }
            self.texts = .batch(texts)
        } else {
            texts = .one(try body.string(.text, required: true) ?? "")
        }
    }

    /// What a valid request asks for, under the service's limits and verdict policy.
    struct Checked {
        let texts: Texts
        let metadata: JSONValue?
        let clientRequestID: String?
        let policy: VerdictPolicy
    }

    /// Checks the parts that depend on the service's configuration: the policy applied to the service's, the batch
    /// size, and every text (not blank, no U+0000, at most `maxTextCharacters` code points).
    func checked(maxBatchTexts: Int, maxTextCharacters: Int, basePolicy: VerdictPolicy) throws -> Checked {
        let policy = try self.policy?.apply(to: basePolicy) ?? basePolicy
        switch texts {
        case .one(let text):
            try Self.check(text, field: "body.text", maxCharacters: maxTextCharacters)
        case .batch(let texts):
            guard texts.count <= maxBatchTexts else {
                throw RequestError("batch_too_large", "body.texts has \(texts.count) texts; at most \(maxBatchTexts) per request")
            }
            for (i, t) in texts.enumerated() { try Self.check(t, field: "body.texts[\(i)]", maxCharacters: maxTextCharacters) }
        }
        return Checked(texts: texts, metadata: metadata, clientRequestID: clientRequestID, policy: policy)
    }

    static func check(_ text: String, field: String, maxCharacters limit: Int) throws {
        // U+0000 is not text (and SQLite's text functions stop at it): refused by name rather than stored truncated.
        if text.unicodeScalars.contains("\u{0}") {
            throw RequestError("invalid_text", "\(field) contains U+0000 (NUL), which is not text; remove it")
        }
        if isBlank(text) {
            throw RequestError("empty_text", "\(field) is empty; send the text to score")
        }
        // Code points, not grapheme clusters: one "character" of a base with thousands of combining marks would
        // otherwise slip any limit.
        let count = text.unicodeScalars.count
        if count > limit {
            throw RequestError("text_too_long", "\(field) has \(count) characters (Unicode code points); the limit is \(limit)")
        }
    }
}

/// A text with nothing to score: every scalar is white space (Unicode White_Space), an information separator
/// (U+001C–U+001F) or a byte-order mark. The same set is spelled out as the `pattern` of `text` in openapi.yaml.
func isBlank(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { s in
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value) || s.value == 0xFEFF
    }
}
