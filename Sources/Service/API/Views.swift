import Foundation
import Hummingbird
import Scoring
import Storage

/// The nine scores as the API shows them: a JSON object keyed by the Chinese TC260-003 names, in canonical order.
struct ScoresView<Value: Encodable & Sendable>: Encodable, Sendable {
    let values: [(String, Value)]

    init(_ per: PerDimension<Value>) {
        values = Dimension.allCases.map { ($0.key, per[$0]) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for (k, v) in values { try c.encode(v, forKey: AnyKey(k)) }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A logged request as the API returns it.
struct RequestView: ResponseEncodable, Sendable {
    let id: String
    let text: String
    let scores: ScoresView<Int?>?
    let confidence: ScoresView<Double?>
    let reasoning: String?
    let format_ok: Bool
    let raw_output: String
    let model_id: String
    let adapter_id: String?
    let latency_ms: Int
    let prompt_tokens: Int
    let completion_tokens: Int
    let created_at: Date
    let corrected_at: Date?
    let correction_count: Int
    let min_confidence: Double
    let client_request_id: String?
    let metadata: JSONValue?
    let windows: [WindowView]
    let evidence: [EvidenceView]
    let verdict: String?

    init(_ r: ScoredRequest) {
        id = r.id; text = r.text
        scores = r.scores.values.allSatisfy { $0 == nil } ? nil : ScoresView(r.scores)
        confidence = ScoresView(r.confidence)
        reasoning = r.reasoning; format_ok = r.formatOK; raw_output = r.rawOutput; model_id = r.modelID
        adapter_id = r.adapterID; latency_ms = r.latencyMs; prompt_tokens = r.promptTokens; completion_tokens = r.completionTokens
        created_at = r.createdAt; corrected_at = r.correctedAt; correction_count = r.correctionCount
        min_confidence = r.minConfidence; client_request_id = r.clientRequestID; metadata = r.metadata
        windows = r.windows.map(WindowView.init)
        evidence = EvidenceView.find(in: r.text)
        verdict = r.verdict
    }
}

struct CorrectionView: ResponseEncodable, Sendable {
    let id: Int64
    let request_id: String
    let reviewer_key_id: Int64
    let scores: ScoresView<Int>
    let reasoning: String?
    let note: String?
    let created_at: Date

    init(_ c: Correction) {
        id = c.id; request_id = c.requestID; reviewer_key_id = c.reviewerKeyID; scores = ScoresView(c.scores)
        reasoning = c.reasoning; note = c.note; created_at = c.createdAt
    }
}

/// One window of a scored text: its span (Unicode code point offsets into the text, half-open), the window's own
/// scores and reasoning, and the dimensions whose request-level score it decided.
struct WindowView: Encodable, Sendable {
    let start: Int
    let end: Int
    let scores: ScoresView<Int?>?
    let reasoning: String
    let format_ok: Bool
    let decides: [String]

    init(_ w: RequestWindow) {
        start = w.start; end = w.end
        scores = w.scores.values.allSatisfy { $0 == nil } ? nil : ScoresView(w.scores)
        reasoning = w.reasoning; format_ok = w.formatOK; decides = w.decides.map(\.key)
    }
}

/// A checkable fact the evidence stage found in the text (a validated ID-card or bank-card number, a phone number, a
/// contact handle, a link, a lexicon match): its type, its span (Unicode code points, half-open) and a masked form.
/// Deterministic, so it is recomputed from the stored text rather than stored.
struct EvidenceView: Encodable, Sendable {
    let type: String
    let start: Int
    let end: Int
    let masked: String

    static func find(in text: String) -> [EvidenceView] {
        EvidenceFinder.find(in: text).map { EvidenceView(type: $0.type.rawValue, start: $0.start, end: $0.end, masked: $0.masked) }
    }
}

/// The answer to `POST /v1/score`.
struct ScoreResponse: ResponseEncodable, Sendable {
    struct Model: Encodable, Sendable { let base: String; let adapter: String? }
    let id: String
    let scores: ScoresView<Int?>?
    let reasoning: String
    let confidence: ScoresView<Double?>
    let format_ok: Bool
    let model: Model
    let latency_ms: Int
    let created_at: Date
    /// True when this is the stored answer to an earlier request with the same client_request_id.
    let replayed: Bool
    let windows: [WindowView]
    let evidence: [EvidenceView]
    /// What to do with the text: pass, review or block (the request's policy applied to the scores).
    let verdict: String?
    /// Why, naming the deciding dimensions and thresholds; left out of a replayed answer.
    var verdict_reason: String?

    init(_ r: ScoredRequest, replayed: Bool) {
        id = r.id
        scores = r.scores.values.allSatisfy { $0 == nil } ? nil : ScoresView(r.scores)
        reasoning = r.reasoning ?? ""
        confidence = ScoresView(r.confidence)
        format_ok = r.formatOK
        model = Model(base: r.modelID, adapter: r.adapterID)
        latency_ms = r.latencyMs
        created_at = r.createdAt
        self.replayed = replayed
        windows = r.windows.map(WindowView.init)
        evidence = EvidenceView.find(in: r.text)
        verdict = r.verdict
    }
}

struct BatchScoreResponse: ResponseEncodable, Sendable { let results: [ScoreResponse] }
struct ItemsPage<T: Encodable & Sendable>: ResponseEncodable, Sendable { let items: [T]; let next_cursor: String? }
struct Items<T: Encodable & Sendable>: ResponseEncodable, Sendable { let items: [T] }
struct RequestDetailView: ResponseEncodable, Sendable { let request: RequestView; let corrections: [CorrectionView] }

/// Every JSON response uses ISO 8601 dates with fractional seconds in UTC.
func makeJSONEncoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.withoutEscapingSlashes]
    e.dateEncodingStrategy = .custom { date, encoder in
        var c = encoder.singleValueContainer()
        try c.encode(ISO8601.string(date))
    }
    return e
}

enum ISO8601 {
    static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// Parses ISO 8601 with or without fractional seconds, or Unix milliseconds.
    static func parse(_ s: String) -> Date? {
        if let ms = Int64(s) { return Date(timeIntervalSince1970: Double(ms) / 1000) }
        if let d = try? Date(s, strategy: .iso8601) { return d }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s) { return d }
        return nil
    }
}
