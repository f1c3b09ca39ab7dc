import Foundation
import Hummingbird
import Scoring
import Storage

/// `POST /v1/score`: one text (`{"text"}`) or a bounded batch (`{"texts": […]}`). The answer is sent only after its
/// row is committed, so every acknowledged score is on disk.
struct ScoreController {
    let service: SafetyService

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("score", use: score)
    }

    @Sendable func score(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try context.require(.client)
        let cfg = service.configuration
        let body = try await JSONInput.read(request, maxBytes: cfg.maxBodyBytes)
        try body.onlyAllow(["text", "texts", "metadata", "client_request_id", "policy"])
        let policy = try VerdictInput.apply(body.object["policy"], to: service.verdictPolicy, path: "body.policy")
        let metadata: JSONValue? = try body.nested("metadata", required: false).map { .object($0.object) }
        let clientRequestID = try body.string("client_request_id", required: false)
        if let id = clientRequestID, id.isEmpty || id.count > 200 {
            throw APIError.badRequest("invalid_client_request_id", "body.client_request_id must be 1–200 characters")
        }
        if body.has("texts") {
            guard !body.has("text") else { throw APIError.badRequest("conflicting_fields", "send either \"text\" or \"texts\", not both") }
            guard clientRequestID == nil else {
                throw APIError.badRequest("conflicting_fields", "client_request_id applies to single-text requests only")
            }
            let texts = try body.stringArray("texts") ?? []
            guard !texts.isEmpty else { throw APIError.badRequest("empty_batch", "body.texts is empty") }
            guard texts.count <= cfg.maxBatchTexts else {
                throw APIError.badRequest("batch_too_large", "body.texts has \(texts.count) texts; at most \(cfg.maxBatchTexts) per request")
            }
            for (i, t) in texts.enumerated() { try validate(t, field: "body.texts[\(i)]") }
            let results = try await withThrowingTaskGroup(of: (Int, ScoreResponse).self) { group in
                for (i, t) in texts.enumerated() {
                    group.addTask { (i, try await self.scoreAndStore(t, key: key, metadata: metadata, clientRequestID: nil, policy: policy)) }
                }
                var out = [ScoreResponse?](repeating: nil, count: texts.count)
                for try await (i, r) in group { out[i] = r }
                return out.compactMap { $0 }
            }
            return try BatchScoreResponse(results: results).response(from: request, context: context)
        }
        guard let text = try body.string("text", required: true) else { throw APIError.badRequest("missing_field", "body.text is required") }
        try validate(text, field: "body.text")
        if let clientRequestID, let existing = try await service.database.requests.find(clientKeyID: key.id, clientRequestID: clientRequestID) {
            guard existing.text == text else {
                throw APIError(.conflict, code: "client_request_id_reused",
                               "client_request_id \(clientRequestID) was already used for a different text (request \(existing.id))")
            }
            return try ScoreResponse(existing, replayed: true).response(from: request, context: context)
        }
        let response = try await scoreAndStore(text, key: key, metadata: metadata, clientRequestID: clientRequestID, policy: policy)
        return try response.response(from: request, context: context)
    }

    private func validate(_ text: String, field: String) throws {
        // U+0000 is not text (and SQLite's text functions stop at it): refused by name rather than stored truncated.
        if text.unicodeScalars.contains("\u{0}") {
            throw APIError.badRequest("invalid_text", "\(field) contains U+0000 (NUL), which is not text; remove it")
        }
        if isBlank(text) {
            throw APIError.badRequest("empty_text", "\(field) is empty; send the text to score")
        }
        let limit = service.configuration.maxTextCharacters
        // Code points, not grapheme clusters: one "character" of a base with thousands of combining marks would
        // otherwise slip any limit.
        let count = text.unicodeScalars.count
        if count > limit {
            throw APIError.badRequest("text_too_long", "\(field) has \(count) characters (Unicode code points); the limit is \(limit)")
        }
    }

    private func scoreAndStore(_ text: String, key: APIKey, metadata: JSONValue?, clientRequestID: String?,
                               policy: VerdictPolicy) async throws -> ScoreResponse {
        let result: ScoreResult
        do {
            result = try await service.scorer.score(text)
        } catch let e as ScorerError {
            switch e {
            case .queueFull:
                throw APIError(.serviceUnavailable, code: "queue_full", "the scoring queue is full; retry shortly", headers: [.retryAfter: "1"])
            case .textTooLong(let tokens, let limit):
                throw APIError.badRequest("text_too_long", "the text is \(tokens) tokens with the instruction; the model accepts \(limit)")
            case .emptyText:
                throw APIError.badRequest("empty_text", "the text is empty")
            case .shutDown:
                throw APIError(.serviceUnavailable, code: "shutting_down", "the service is shutting down; retry on another instance", headers: [.retryAfter: "5"])
            case .invalidOptions(let message), .engineFailure(let message):
                service.logger.error("scoring failed", metadata: ["error": "\(e)"])
                throw APIError(.internalServerError, code: "engine_failure", "the model could not score this text: \(message); nothing was stored")
            }
        }
        let decision = policy.decide(scores: result.scores, confidence: result.confidence)
        let row = NewScoredRequest(
            text: text, clientKeyID: key.id, clientRequestID: clientRequestID, metadata: metadata,
            reasoning: result.reasoning, scores: perDimensionScores(result.scores),
            confidence: PerDimension { d in result.confidence[d.key].map(Double.init) },
            formatOK: result.formatOK, rawOutput: result.rawOutput, modelID: service.modelID, adapterID: result.adapterID,
            latencyMs: Int(result.totalMilliseconds.rounded()), promptTokens: result.promptTokens, completionTokens: result.completionTokens,
            windows: requestWindows(result), verdict: decision.verdict.rawValue)
        let stored = try await service.database.requests.insert(row)
        var response = ScoreResponse(stored.request, replayed: !stored.inserted)
        if stored.inserted { response.verdict_reason = decision.reason }
        return response
    }
}

/// The model's scores as storage's per-dimension values (nil when the model gave none).
func perDimensionScores(_ scores: DimensionScores?) -> PerDimension<Int?> {
    guard let scores else { return PerDimension(repeating: nil) }
    return PerDimension { scores[$0] }
}

/// The scorer's windows as storage keeps them: scores by ASCII dimension, and which dimensions each window decided.
func requestWindows(_ result: ScoreResult) -> [RequestWindow] {
    result.windows.enumerated().map { i, w in
        RequestWindow(
            start: w.span.start, end: w.span.end, scores: perDimensionScores(w.scores), reasoning: w.reasoning, formatOK: w.formatOK,
            decides: Dimension.allCases.filter { result.decidingWindow[$0.key] == i })
    }
}

/// A text with nothing to score: every scalar is white space (Unicode White_Space), an information separator
/// (U+001C–U+001F) or a byte-order mark. The same set is spelled out as the `pattern` of `text` in openapi.yaml.
func isBlank(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { s in
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value) || s.value == 0xFEFF
    }
}
