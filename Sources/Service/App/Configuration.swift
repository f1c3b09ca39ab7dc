import Foundation
import Scoring
import Storage

/// Everything the service can be told. Defaults run out of the box; a JSON file, then `SAFETY_*` environment
/// variables, then command-line flags override them, in that order.
///
/// Each key is spelled once, in `ServiceConfiguration.keys`: its name in the JSON file, in `SAFETY_<NAME>` and in
/// `--set name=value`, and the property it sets.
public struct ServiceConfiguration: Decodable, Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Model folder (config.json, model.safetensors, tokenizer, scoring_prompt.json).
    public var modelPath = "models/default"
    /// In-memory weight format: `stored`, `f32` or `bf16`.
    public var weightFormat = WeightFormat.asStored
    /// Precision of the large matrix products: f32 (default) or bf16 (AVX512-BF16 hosts; see `MatmulPrecision`).
    public var matmulPrecision = MatmulPrecision.f32
    /// The SQLite file, used when `database_url` is empty (one machine, the default).
    public var databasePath = "var/safety.sqlite"
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…]`: PostgreSQL instead of the SQLite file, so that
    /// several replicas can share one database (docs/DEPLOYMENT.md). Empty = SQLite at `database_path`.
    public var databaseURL = ""
    /// How often a replica checks which adapter the database says is active, and swaps to it when another replica
    /// activated a different one, in seconds (0 = never; a single server needs no checks, but they cost one small
    /// query).
    public var adapterSyncSeconds = 5.0
    /// How long the retrain lease lasts without renewal, in seconds: when the replica running a retrain dies, another
    /// replica marks the run failed and may start the next one after this long. Renewed every third of it.
    public var retrainLeaseSeconds = 30.0
    /// Folder of the numbered SQL migrations; found automatically when empty.
    public var migrationsPath = ""
    /// Static dashboard files.
    public var publicPath = "public"
    /// Where trained adapters are kept (one folder per content hash).
    public var adaptersPath = "var/adapters"
    /// Largest request body, in bytes.
    public var maxBodyBytes = 1 << 20
    /// Longest text, in characters (Unicode code points). Texts longer than one model pass are scored in windows.
    public var maxTextCharacters = 20_000
    /// Most tokens of text in one window of a long text (the instruction comes on top); 0 = as many as the model's
    /// context allows after `max_new_tokens`. The default suits the embedded model, trained on texts of at most 300
    /// characters; raise it (or set 0) for a larger checkpoint.
    public var windowTokens = 160
    /// Tokens of whole sentences that consecutive windows share.
    public var windowOverlapTokens = 48
    /// Hold the reasoning to what the model was shown while decoding: a span it quotes between “ and ” can only be one
    /// that occurs in the text or its evidence line, and it may not claim evidence where the evidence stage found none.
    public var groundReasoning = true
    /// Verdict policy: a score below `verdict_block_below` blocks, below `verdict_review_below` asks for review; a
    /// deciding score with a confidence below `verdict_min_confidence` asks for review. `verdict_thresholds` is a JSON
    /// object of per-dimension overrides ({"block_below": {"data_leak": 70}, "review_below": {...}}); requests may
    /// override any of it with their own `policy`.
    public var verdictBlockBelow = 50
    public var verdictReviewBelow = 80
    public var verdictMinConfidence = 0.5
    public var verdictThresholds = ""
    /// A block on 敏感数据泄露 needs personal data the evidence stage validated; without it, review
    /// (`VerdictPolicy.personalDataBlockNeedsEvidence`).
    public var verdictPersonalDataNeedsEvidence = false
    /// Most texts in one batch request.
    public var maxBatchTexts = 16
    /// Requests waiting for the model beyond this get 503 + Retry-After.
    public var queueCapacity = 64
    /// Sequences decoded together.
    public var maxBatch = 8
    public var maxNewTokens = 512
    /// Per-key rate limit: sustained requests per second and burst.
    public var rateLimitPerSecond = 50.0
    public var rateLimitBurst = 100.0
    /// A bootstrap admin key to register on first start (else one is generated and printed once).
    public var bootstrapAdminKey: String?
    /// When scheduled retraining runs: a five-field cron expression in server time, or "off".
    public var retrainSchedule = "0 3 * * *"
    /// A scheduled run is skipped when fewer new corrections than this arrived since the last run.
    public var retrainMinCorrections = 20
    /// Share of corrected requests held out for the eval gate (chosen by a stable hash of the request id; never trained on).
    public var retrainHeldOutFraction = 0.2
    /// Replay per run: at most this many older human labels, and this many seed-corpus lines.
    public var retrainReplayHuman = 200
    public var retrainReplaySeed = 200
    /// The random anchor sample grows with the share of new corrections that flag something, up to this many: a batch of
    /// nothing but violations (a domain whose every text breaks one rule) has no in-domain negative to hold the rest of
    /// what the model knows, and more anchors do that (docs/LEARNING-LOOP.md). Not below `retrain_replay_seed`.
    public var retrainReplaySeedMax = 1000
    /// Seed-corpus lines most like the new corrections (`ReplaySelection`), replayed beside the random sample: the
    /// look-alikes a new domain is confused with, with their own labels.
    public var retrainReplaySimilar = 400
    /// For each dimension the new corrections flag, this many seed-corpus lines flagged on it (with their own
    /// severities), so a new context for a dimension does not move what the model knows of it.
    public var retrainReplayPerDimension = 150
    /// For each dimension the new corrections do not flag, this many seed-corpus lines flagged on it, as anchors: what
    /// the model knows of the dimensions a run does not teach (personal data read from the evidence line, say) is held
    /// by its own answers on texts that carry them, not only by a random sample where they are rare.
    public var retrainReplayOtherDimensions = 50
    /// Labelled JSONL the replay sample is drawn from (the project's seed corpus); empty or missing = none.
    public var seedCorpusPath = "data/corpus-v2/train.jsonl"
    /// Labelled JSONL of texts outside the corrections (the seed corpus's validation split): a fixed sample of it is
    /// the gate's control set, on which a candidate must not get worse. Empty or missing = no control checks.
    public var retrainControlPath = "data/corpus-v2/validation.jsonl"
    /// JSON file overriding the retrain pipeline's settings (keys of `RetrainConfig`); empty = defaults.
    public var retrainConfigPath = ""
    /// Longest a training step waits for the scorer to go idle before it runs anyway, in seconds.
    public var retrainMaxYieldSeconds = 2.0

    public init() {}

    /// Every key, in the order the environment is read.
    static let keys: [ConfigurationKey] = [
        ConfigurationKey("host", \.host),
        ConfigurationKey("port", \.port),
        ConfigurationKey("model_path", \.modelPath),
        ConfigurationKey("weight_format", \.weightFormat),
        ConfigurationKey("matmul_precision", \.matmulPrecision),
        ConfigurationKey("database_path", \.databasePath),
        ConfigurationKey("database_url", \.databaseURL),
        ConfigurationKey("adapter_sync_seconds", \.adapterSyncSeconds),
        ConfigurationKey("retrain_lease_seconds", \.retrainLeaseSeconds),
        ConfigurationKey("migrations_path", \.migrationsPath),
        ConfigurationKey("public_path", \.publicPath),
        ConfigurationKey("adapters_path", \.adaptersPath),
        ConfigurationKey("max_body_bytes", \.maxBodyBytes),
        ConfigurationKey("max_text_characters", \.maxTextCharacters),
        ConfigurationKey("max_batch_texts", \.maxBatchTexts),
        ConfigurationKey("window_tokens", \.windowTokens),
        ConfigurationKey("window_overlap_tokens", \.windowOverlapTokens),
        ConfigurationKey("ground_reasoning", \.groundReasoning),
        ConfigurationKey("verdict_block_below", \.verdictBlockBelow),
        ConfigurationKey("verdict_review_below", \.verdictReviewBelow),
        ConfigurationKey("verdict_min_confidence", \.verdictMinConfidence),
        ConfigurationKey("verdict_thresholds", \.verdictThresholds),
        ConfigurationKey("verdict_personal_data_needs_evidence", \.verdictPersonalDataNeedsEvidence),
        ConfigurationKey("queue_capacity", \.queueCapacity),
        ConfigurationKey("max_batch", \.maxBatch),
        ConfigurationKey("max_new_tokens", \.maxNewTokens),
        ConfigurationKey("rate_limit_per_second", \.rateLimitPerSecond),
        ConfigurationKey("rate_limit_burst", \.rateLimitBurst),
        ConfigurationKey("bootstrap_admin_key", \.bootstrapAdminKey),
        ConfigurationKey("retrain_schedule", \.retrainSchedule),
        ConfigurationKey("retrain_min_corrections", \.retrainMinCorrections),
        ConfigurationKey("retrain_held_out_fraction", \.retrainHeldOutFraction),
        ConfigurationKey("retrain_replay_human", \.retrainReplayHuman),
        ConfigurationKey("retrain_replay_seed", \.retrainReplaySeed),
        ConfigurationKey("retrain_replay_seed_max", \.retrainReplaySeedMax),
        ConfigurationKey("retrain_replay_similar", \.retrainReplaySimilar),
        ConfigurationKey("retrain_replay_per_dimension", \.retrainReplayPerDimension),
        ConfigurationKey("retrain_replay_other_dimensions", \.retrainReplayOtherDimensions),
        ConfigurationKey("seed_corpus_path", \.seedCorpusPath),
        ConfigurationKey("retrain_control_path", \.retrainControlPath),
        ConfigurationKey("retrain_config_path", \.retrainConfigPath),
        ConfigurationKey("retrain_max_yield_seconds", \.retrainMaxYieldSeconds),
    ]

    /// Keys missing from the JSON keep their defaults.
    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: ConfigurationKey.Name.self)
        for key in Self.keys { try key.decode(&self, container) }
    }

    /// Reads a JSON configuration file; unknown keys are an error (a typo should not be silently ignored).
    public static func load(file: URL) throws -> ServiceConfiguration {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ConfigurationError(message: "cannot read configuration file \(file.path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError(message: "\(file.path) is not a JSON object")
        }
        let known = Set(keys.map(\.name))
        if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
            throw ConfigurationError(message: "\(file.path): unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
        }
        do { return try JSONDecoder().decode(ServiceConfiguration.self, from: data) } catch {
            throw ConfigurationError(message: "\(file.path): \(error)")
        }
    }

    /// Applies `SAFETY_<KEY>` environment variables (e.g. SAFETY_PORT=9000, SAFETY_MODEL_PATH=…).
    public mutating func apply(environment: [String: String]) throws {
        for key in Self.keys {
            guard let value = environment[key.environmentName] else { continue }
            try key.parse(&self, value)
        }
    }

    /// Sets one key from its text form (environment and flags share this).
    public mutating func set(_ key: String, _ value: String) throws {
        guard let descriptor = Self.keys.first(where: { $0.name == key }) else {
            throw ConfigurationError(message: "unknown configuration key \"\(key)\"")
        }
        try descriptor.parse(&self, value)
    }

    public func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ConfigurationError(message: "port must be 0…65535, found \(port)") }
        guard maxTextCharacters > 0, maxBodyBytes > 0, maxBatchTexts > 0, queueCapacity > 0, maxBatch > 0, maxNewTokens > 0 else {
            throw ConfigurationError(message: "limits must be positive")
        }
        guard windowTokens >= 0, windowOverlapTokens >= 0 else {
            throw ConfigurationError(message: "window_tokens and window_overlap_tokens must not be negative (window_tokens 0 = the model's context)")
        }
        _ = try verdictPolicy()
        guard rateLimitPerSecond > 0, rateLimitBurst >= 1 else { throw ConfigurationError(message: "rate limits must be positive") }
        if retrainSchedule != "off" { _ = try CronSchedule(retrainSchedule) }
        guard retrainMinCorrections >= 0, retrainReplayHuman >= 0, retrainReplaySeed >= 0, retrainReplaySeedMax >= 0, retrainReplaySimilar >= 0,
              retrainReplayPerDimension >= 0, retrainReplayOtherDimensions >= 0, retrainMaxYieldSeconds >= 0 else {
            throw ConfigurationError(message: "retrain_min_corrections, retrain_replay_* and retrain_max_yield_seconds must not be negative")
        }
        if !databaseURL.isEmpty {
            do { _ = try PostgresURL(databaseURL) } catch { throw ConfigurationError(message: "database_url: \(error)") }
        }
        guard adapterSyncSeconds >= 0, adapterSyncSeconds <= 3600 else {
            throw ConfigurationError(message: "adapter_sync_seconds must be 0 (off) to 3600, found \(adapterSyncSeconds)")
        }
        guard retrainLeaseSeconds >= 3, retrainLeaseSeconds <= 3600 else {
            throw ConfigurationError(message: "retrain_lease_seconds must be 3 to 3600, found \(retrainLeaseSeconds)")
        }
        guard retrainHeldOutFraction > 0, retrainHeldOutFraction < 1 else {
            throw ConfigurationError(message: "retrain_held_out_fraction must be between 0 and 1 (exclusive), found \(retrainHeldOutFraction)")
        }
    }
}

extension ServiceConfiguration {
    /// What `Database.open(location:)` opens: the PostgreSQL URL when one is set, else the SQLite file.
    public var databaseLocation: String { databaseURL.isEmpty ? databasePath : databaseURL }

    /// `--database` takes either: a postgres:// URL sets `database_url`, anything else `database_path`.
    public mutating func setDatabase(_ value: String) {
        if PostgresURL.looksLikePostgres(value) { databaseURL = value } else { databaseURL = ""; databasePath = value }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension ServiceConfiguration {
    /// The verdict policy in force when a request brings none of its own.
    func verdictPolicy() throws -> VerdictPolicy {
        func refuse(_ message: String) -> ConfigurationError { ConfigurationError(message: "verdict policy: \(message)") }
        var base = VerdictPolicy(blockBelow: verdictBlockBelow, reviewBelow: verdictReviewBelow, minConfidence: Float(verdictMinConfidence))
        base.personalDataBlockNeedsEvidence = verdictPersonalDataNeedsEvidence
        if let problem = base.problems().first { throw refuse(problem) }
        guard !verdictThresholds.isEmpty else { return base }
        do {
            let override = try RequestBody.decode(PolicyOverride?.self, from: Data(verdictThresholds.utf8), root: "verdict_thresholds")
            return try override?.apply(to: base) ?? base
        } catch let e as RequestError {
            throw refuse(e.message)
        } catch {
            throw refuse("verdict_thresholds is not valid JSON")
        }
    }
}
