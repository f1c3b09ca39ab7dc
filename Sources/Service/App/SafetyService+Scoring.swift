import Foundation
import Scoring
import Storage

/// Scoring a text and logging it (the work behind `POST /v1/score`), and correcting a logged request.
extension SafetyService {
    /// A text scored and committed, or found committed under the same client request id by a concurrent retry.
    struct Scored: Sendable {
        let request: ScoredRequest
        /// False when the row was already there.
        let inserted: Bool
        /// Why the verdict, when this call decided it.
        let verdictReason: String?
    }

    /// The row a client already got for `clientRequestID` (a retry), nil when there is none; refused
    /// (`clientRequestIDReused`) when the id was used for a different text.
    func previousAnswer(keyID: Int64, clientRequestID: String, text: String) async throws -> ScoredRequest? {
        guard let existing = try await database.requests.find(clientKeyID: keyID, clientRequestID: clientRequestID) else { return nil }
        guard existing.text == text else {
            throw ServiceError.clientRequestIDReused(clientRequestID: clientRequestID, requestID: existing.id)
        }
        return existing
    }

    /// Scores `text` and commits its row before returning, so every answer sent is on disk. A `ScorerError` (queue
    /// full, shutting down, engine failure) stores nothing.
    func scoreAndStore(_ text: String, keyID: Int64, metadata: JSONValue?, clientRequestID: String?,
                       policy: VerdictPolicy) async throws -> Scored {
        let result = try await scorer.score(text)
        let personalData = policy.personalDataBlockNeedsEvidence
            ? EvidenceFinder.find(in: text).contains { $0.type.isPersonalData } : nil
        let decision = policy.decide(scores: result.scores, confidence: result.confidence, personalDataFound: personalData)
        let row = NewScoredRequest(
            text: text, clientKeyID: keyID, clientRequestID: clientRequestID, metadata: metadata,
            reasoning: result.reasoning, scores: perDimensionScores(result.scores),
            confidence: PerDimension { d in result.confidence[d.key].map(Double.init) },
            formatOK: result.formatOK, rawOutput: result.rawOutput, modelID: modelID, adapterID: result.adapterID,
            latencyMs: Int(result.totalMilliseconds.rounded()), promptTokens: result.promptTokens, completionTokens: result.completionTokens,
            windows: requestWindows(result), verdict: decision.verdict.rawValue)
        let stored = try await database.requests.insert(row)
        return Scored(request: stored.request, inserted: stored.inserted, verdictReason: stored.inserted ? decision.reason : nil)
    }

    /// A reviewer's correction of a logged request (`requestNotFound` when there is no such request).
    func addCorrection(requestID: String, scores: PerDimension<Int>, reasoning: String?, note: String?, by keyID: Int64) async throws -> Correction {
        guard try await database.requests.get(id: requestID) != nil else { throw ServiceError.requestNotFound(id: requestID) }
        return try await database.corrections.add(
            NewCorrection(requestID: requestID, reviewerKeyID: keyID, scores: scores, reasoning: reasoning, note: note))
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
