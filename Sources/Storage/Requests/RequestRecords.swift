import Foundation

/// A scored request to log: the text, the model's answer and how it was produced.
public struct NewScoredRequest: Sendable, Equatable {
    public var id: String
    public var text: String
    public var clientKeyID: Int64
    /// The client's own id for the request; a retry with the same one returns the first row.
    public var clientRequestID: String?
    public var metadata: JSONValue?
    public var reasoning: String?
    /// The model's scores, nil where its answer gave none.
    public var scores: PerDimension<Int?>
    /// The model's confidence in each score, a probability in [0, 1].
    public var confidence: PerDimension<Double?>
    /// Whether the answer had the expected `<reasoning>…</reasoning><answer>{…}</answer>` shape.
    public var formatOK: Bool
    public var rawOutput: String
    public var modelID: String
    /// The adapter active for the batch that scored this request; nil = base model.
    public var adapterID: String?
    public var latencyMs: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var createdAt: Date
    /// The windows the text was scored in (one for a text that fits the model in one pass).
    public var windows: [RequestWindow]
    /// What the client should do: "pass", "review" or "block" (nil for callers that decide none).
    public var verdict: String?

    public init(
        id: String = RequestID.make(), text: String, clientKeyID: Int64, clientRequestID: String? = nil,
        metadata: JSONValue? = nil, reasoning: String?, scores: PerDimension<Int?>,
        confidence: PerDimension<Double?> = PerDimension(repeating: nil), formatOK: Bool, rawOutput: String,
        modelID: String, adapterID: String? = nil, latencyMs: Int, promptTokens: Int, completionTokens: Int,
        createdAt: Date = Date(), windows: [RequestWindow] = [], verdict: String? = nil
    ) {
        self.windows = windows
        self.verdict = verdict
        self.id = id
        self.text = text
        self.clientKeyID = clientKeyID
        self.clientRequestID = clientRequestID
        self.metadata = metadata
        self.reasoning = reasoning
        self.scores = scores
        self.confidence = confidence
        self.formatOK = formatOK
        self.rawOutput = rawOutput
        self.modelID = modelID
        self.adapterID = adapterID
        self.latencyMs = latencyMs
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.createdAt = createdAt
    }
}

/// A logged request as stored.
public struct ScoredRequest: Sendable, Equatable, Codable {
    public var id: String
    public var text: String
    public var textSHA256: String
    public var clientKeyID: Int64
    public var clientRequestID: String?
    public var metadata: JSONValue?
    public var reasoning: String?
    public var scores: PerDimension<Int?>
    public var confidence: PerDimension<Double?>
    /// The smallest confidence, a missing one counting as 0: the review queue's order.
    public var minConfidence: Double
    public var formatOK: Bool
    public var rawOutput: String
    public var modelID: String
    public var adapterID: String?
    public var latencyMs: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var createdAt: Date
    /// Time of the latest correction; nil while uncorrected.
    public var correctedAt: Date?
    public var correctionCount: Int
    /// The windows the text was scored in; empty for rows stored before windows were recorded.
    public var windows: [RequestWindow] = []
    /// "pass", "review" or "block"; nil for rows stored before verdicts were recorded.
    public var verdict: String? = nil

    public var isCorrected: Bool { correctedAt != nil }

    enum CodingKeys: String, CodingKey {
        case id, text
        case textSHA256 = "text_sha256"
        case clientKeyID = "client_key_id"
        case clientRequestID = "client_request_id"
        case metadata, reasoning, scores, confidence
        case minConfidence = "min_confidence"
        case formatOK = "format_ok"
        case rawOutput = "raw_output"
        case modelID = "model_id"
        case adapterID = "adapter_id"
        case latencyMs = "latency_ms"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case createdAt = "created_at"
        case correctedAt = "corrected_at"
        case correctionCount = "correction_count"
        case windows, verdict
    }
}

/// One window of a long text as stored: where it lies (Unicode scalar offsets, half-open), what the model said about
/// it, and which dimensions' request-level scores it decided (the lowest score of all windows).
public struct RequestWindow: Sendable, Equatable, Codable {
    public var start: Int
    public var end: Int
    public var scores: PerDimension<Int?>
    public var reasoning: String
    public var formatOK: Bool
    public var decides: [Dimension]

    public init(start: Int, end: Int, scores: PerDimension<Int?>, reasoning: String, formatOK: Bool, decides: [Dimension]) {
        self.start = start; self.end = end; self.scores = scores; self.reasoning = reasoning
        self.formatOK = formatOK; self.decides = decides
    }

    enum CodingKeys: String, CodingKey {
        case start, end, scores, reasoning
        case formatOK = "format_ok"
        case decides
    }
}

/// What `insert` did: stored the row, or found the earlier row with the same (client key, client request id).
public struct InsertResult: Sendable, Equatable {
    /// The stored row: the new one, or the earlier one when `inserted` is false.
    public var request: ScoredRequest
    public var inserted: Bool
}

/// A request with every correction of it, oldest first.
public struct RequestDetail: Sendable, Equatable, Codable {
    public var request: ScoredRequest
    public var corrections: [Correction]
    /// The correction that counts ("latest wins").
    public var latestCorrection: Correction? { corrections.last }
}

/// Filters for listing requests. Unset fields do not filter.
public struct RequestQuery: Sendable, Equatable {
    public enum Order: String, Sendable { case newestFirst = "newest", oldestFirst = "oldest" }
    public enum AdapterFilter: Sendable, Equatable {
        /// Requests scored by the base model alone.
        case baseModel
        case adapter(String)
    }

    /// Inclusive lower bound on `created_at`.
    public var from: Date?
    /// Exclusive upper bound on `created_at`.
    public var to: Date?
    /// Keep requests whose model score on a dimension is strictly below the value.
    public var scoreBelow: [Dimension: Int]
    /// Keep requests whose model score on a dimension is strictly above the value.
    public var scoreAbove: [Dimension: Int]
    /// true: only corrected requests; false: only uncorrected ones.
    public var corrected: Bool?
    public var adapter: AdapterFilter?
    public var order: Order
    /// Page size, 1…1000.
    public var limit: Int

    public init(
        from: Date? = nil, to: Date? = nil, scoreBelow: [Dimension: Int] = [:], scoreAbove: [Dimension: Int] = [:],
        corrected: Bool? = nil, adapter: AdapterFilter? = nil, order: Order = .newestFirst, limit: Int = 50
    ) {
        self.from = from
        self.to = to
        self.scoreBelow = scoreBelow
        self.scoreAbove = scoreAbove
        self.corrected = corrected
        self.adapter = adapter
        self.order = order
        self.limit = limit
    }
}

/// One page of a listing; pass `nextCursor` back for the next page (nil on the last page).
public struct RequestPage: Sendable, Equatable, Codable {
    public var items: [ScoredRequest]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}

/// Requests per minute, for the dashboard.
public struct MinuteCount: Sendable, Equatable, Codable {
    /// Start of the minute.
    public var minute: Date
    public var requests: Int
    /// Requests whose answer did not have the expected format.
    public var formatFailures: Int
    public var meanLatencyMs: Double

    enum CodingKeys: String, CodingKey {
        case minute, requests
        case formatFailures = "format_failures"
        case meanLatencyMs = "mean_latency_ms"
    }
}

/// Distribution of the model's scores on one dimension. Bucket `i` holds scores in
/// `[i * bucketWidth, (i + 1) * bucketWidth)`; the last bucket also holds 100.
public struct ScoreHistogram: Sendable, Equatable, Codable {
    public var dimension: Dimension
    public var bucketWidth: Int
    public var counts: [Int]
    /// Requests without a score on this dimension.
    public var missing: Int

    enum CodingKeys: String, CodingKey {
        case dimension
        case bucketWidth = "bucket_width"
        case counts, missing
    }
}
