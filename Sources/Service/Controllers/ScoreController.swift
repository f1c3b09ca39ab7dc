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
        let body = try await RequestBody.decode(ScoreRequest.self, from: request, maxBytes: cfg.maxBodyBytes)
            .checked(maxBatchTexts: cfg.maxBatchTexts, maxTextCharacters: cfg.maxTextCharacters, basePolicy: service.verdictPolicy)
        switch body.texts {
        case .batch(let texts):
            let results = try await withThrowingTaskGroup(of: (Int, ScoreResponse).self) { group in
                for (i, t) in texts.enumerated() {
                    group.addTask {
                        let scored = try await service.scoreAndStore(t, keyID: key.id, metadata: body.metadata, clientRequestID: nil, policy: body.policy)
                        return (i, ScoreResponse(scored))
                    }
                }
                var out = [ScoreResponse?](repeating: nil, count: texts.count)
                for try await (i, r) in group { out[i] = r }
                return out.compactMap { $0 }
            }
            return try BatchScoreResponse(results: results).response(from: request, context: context)
        case .one(let text):
            if let id = body.clientRequestID, let previous = try await service.previousAnswer(keyID: key.id, clientRequestID: id, text: text) {
                return try ScoreResponse(previous, replayed: true).response(from: request, context: context)
            }
            let scored = try await service.scoreAndStore(text, keyID: key.id, metadata: body.metadata, clientRequestID: body.clientRequestID,
                                                         policy: body.policy)
            return try ScoreResponse(scored).response(from: request, context: context)
        }
    }
}

extension ScoreResponse {
    init(_ scored: SafetyService.Scored) {
        self.init(scored.request, replayed: !scored.inserted)
        if let reason = scored.verdictReason { verdict_reason = reason }
    }
}
