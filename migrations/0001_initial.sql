-- 0001: API keys, scored requests, reviewers' corrections, audit log.
--
-- Migrations are append-only: never edit this file once it has shipped (the runner refuses to start when an applied
-- file's checksum changes); add 0002_…, 0003_… instead. Each file runs in its own transaction with foreign keys on;
-- a later migration that rebuilds a table uses `PRAGMA defer_foreign_keys = ON`, not `foreign_keys = OFF`.
--
-- Conventions:
--   * times are INTEGER milliseconds since the Unix epoch (UTC): they sort, compare and bucket by minute cheaply;
--   * every table is STRICT, so a value of the wrong type is an error instead of being stored as it comes;
--   * constraints that a caller can trip are named, and SQLite's error names them ("CHECK constraint failed:
--     requests_commercial_range"); Storage turns that into a typed error;
--   * the nine TC260-003 dimensions use stable ASCII column names, in the canonical order:
--       commercial          商业违规
--       adversarial         对抗性检测
--       bias                带有偏见、仇恨、歧视或侮辱
--       terrorism_violence  恐怖主义&&带有暴力倾向
--       political_military  政治&&军事敏感问题
--       data_leak           敏感数据泄露
--       sensitive_words     敏感词
--       misinformation      虚假信息
--       illegal_inducement  诱导&&违法不良信息
--     Scores are integers 0–100, higher = more compliant.

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    -- SHA-256 of the presented key, lowercase hex. The key itself is never stored.
    key_hash     TEXT    NOT NULL
                 CONSTRAINT api_keys_key_hash_unique UNIQUE
                 CONSTRAINT api_keys_key_hash_hex CHECK (length(key_hash) = 64 AND key_hash NOT GLOB '*[^0-9a-f]*'),
    -- First characters of the key, shown in listings so people can tell keys apart.
    prefix       TEXT    NOT NULL CONSTRAINT api_keys_prefix_length CHECK (length(prefix) BETWEEN 1 AND 16),
    role         TEXT    NOT NULL CONSTRAINT api_keys_role CHECK (role IN ('client', 'reviewer', 'admin')),
    label        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;

CREATE TABLE requests (
    -- UUIDv7 text (time-ordered, so new rows land at the end of the primary-key index).
    id                    TEXT    PRIMARY KEY NOT NULL,
    text                  TEXT    NOT NULL CONSTRAINT requests_text_not_empty CHECK (length(text) > 0),
    text_sha256           TEXT    NOT NULL CONSTRAINT requests_text_sha256_hex CHECK (length(text_sha256) = 64),
    client_key_id         INTEGER NOT NULL REFERENCES api_keys (id),
    -- Set by clients that retry: the same (key, client_request_id) is stored once.
    client_request_id     TEXT,
    metadata              TEXT    CONSTRAINT requests_metadata_json CHECK (metadata IS NULL OR json_valid(metadata)),
    reasoning             TEXT,
    -- Model scores; NULL where the model's answer did not yield that dimension (format_ok = 0).
    commercial            INTEGER CONSTRAINT requests_commercial_range         CHECK (commercial         BETWEEN 0 AND 100),
    adversarial           INTEGER CONSTRAINT requests_adversarial_range        CHECK (adversarial        BETWEEN 0 AND 100),
    bias                  INTEGER CONSTRAINT requests_bias_range               CHECK (bias               BETWEEN 0 AND 100),
    terrorism_violence    INTEGER CONSTRAINT requests_terrorism_violence_range CHECK (terrorism_violence BETWEEN 0 AND 100),
    political_military    INTEGER CONSTRAINT requests_political_military_range CHECK (political_military BETWEEN 0 AND 100),
    data_leak             INTEGER CONSTRAINT requests_data_leak_range          CHECK (data_leak          BETWEEN 0 AND 100),
    sensitive_words       INTEGER CONSTRAINT requests_sensitive_words_range    CHECK (sensitive_words    BETWEEN 0 AND 100),
    misinformation        INTEGER CONSTRAINT requests_misinformation_range     CHECK (misinformation     BETWEEN 0 AND 100),
    illegal_inducement    INTEGER CONSTRAINT requests_illegal_inducement_range CHECK (illegal_inducement BETWEEN 0 AND 100),
    -- The model's confidence in each score: a probability in [0, 1]; NULL where there is no score.
    confidence_commercial         REAL CONSTRAINT requests_confidence_commercial_range         CHECK (confidence_commercial         BETWEEN 0 AND 1),
    confidence_adversarial        REAL CONSTRAINT requests_confidence_adversarial_range        CHECK (confidence_adversarial        BETWEEN 0 AND 1),
    confidence_bias               REAL CONSTRAINT requests_confidence_bias_range               CHECK (confidence_bias               BETWEEN 0 AND 1),
    confidence_terrorism_violence REAL CONSTRAINT requests_confidence_terrorism_violence_range CHECK (confidence_terrorism_violence BETWEEN 0 AND 1),
    confidence_political_military REAL CONSTRAINT requests_confidence_political_military_range CHECK (confidence_political_military BETWEEN 0 AND 1),
    confidence_data_leak          REAL CONSTRAINT requests_confidence_data_leak_range          CHECK (confidence_data_leak          BETWEEN 0 AND 1),
    confidence_sensitive_words    REAL CONSTRAINT requests_confidence_sensitive_words_range    CHECK (confidence_sensitive_words    BETWEEN 0 AND 1),
    confidence_misinformation     REAL CONSTRAINT requests_confidence_misinformation_range     CHECK (confidence_misinformation     BETWEEN 0 AND 1),
    confidence_illegal_inducement REAL CONSTRAINT requests_confidence_illegal_inducement_range CHECK (confidence_illegal_inducement BETWEEN 0 AND 1),
    -- The review queue's sort key. A missing confidence counts as 0: an answer without scores needs a human first.
    min_confidence        REAL GENERATED ALWAYS AS (min(
                              coalesce(confidence_commercial, 0.0),         coalesce(confidence_adversarial, 0.0),
                              coalesce(confidence_bias, 0.0),               coalesce(confidence_terrorism_violence, 0.0),
                              coalesce(confidence_political_military, 0.0), coalesce(confidence_data_leak, 0.0),
                              coalesce(confidence_sensitive_words, 0.0),    coalesce(confidence_misinformation, 0.0),
                              coalesce(confidence_illegal_inducement, 0.0))) STORED,
    format_ok             INTEGER NOT NULL CONSTRAINT requests_format_ok_bool CHECK (format_ok IN (0, 1)),
    raw_output            TEXT    NOT NULL,
    model_id              TEXT    NOT NULL,
    -- The adapter that was active for this request's batch; NULL = base model. Deliberately not a foreign key:
    -- the server may serve an adapter folder that was never registered, and logging a request must not fail on it.
    adapter_id            TEXT,
    latency_ms            INTEGER NOT NULL CONSTRAINT requests_latency_ms_range        CHECK (latency_ms >= 0),
    prompt_tokens         INTEGER NOT NULL CONSTRAINT requests_prompt_tokens_range     CHECK (prompt_tokens >= 0),
    completion_tokens     INTEGER NOT NULL CONSTRAINT requests_completion_tokens_range CHECK (completion_tokens >= 0),
    created_at            INTEGER NOT NULL,
    -- Maintained by the triggers on `corrections` below; never written by application code.
    corrected_at          INTEGER,
    correction_count      INTEGER NOT NULL DEFAULT 0 CONSTRAINT requests_correction_count_range CHECK (correction_count >= 0),
    CONSTRAINT requests_client_request_unique UNIQUE (client_key_id, client_request_id)
) STRICT;

-- GET /v1/requests: newest first, keyset pagination on (created_at, id).
CREATE INDEX requests_by_time ON requests (created_at, id);
-- GET /v1/requests?adapter=…
CREATE INDEX requests_by_adapter ON requests (adapter_id, created_at, id);
-- GET /v1/review-queue: uncorrected requests, least confident first. Partial: corrected rows leave the index.
CREATE INDEX requests_review_queue ON requests (min_confidence, created_at, id) WHERE corrected_at IS NULL;

CREATE TABLE corrections (
    id                 INTEGER PRIMARY KEY,
    request_id         TEXT    NOT NULL REFERENCES requests (id),
    reviewer_key_id    INTEGER NOT NULL REFERENCES api_keys (id),
    commercial         INTEGER NOT NULL CONSTRAINT corrections_commercial_range         CHECK (commercial         BETWEEN 0 AND 100),
    adversarial        INTEGER NOT NULL CONSTRAINT corrections_adversarial_range        CHECK (adversarial        BETWEEN 0 AND 100),
    bias               INTEGER NOT NULL CONSTRAINT corrections_bias_range               CHECK (bias               BETWEEN 0 AND 100),
    terrorism_violence INTEGER NOT NULL CONSTRAINT corrections_terrorism_violence_range CHECK (terrorism_violence BETWEEN 0 AND 100),
    political_military INTEGER NOT NULL CONSTRAINT corrections_political_military_range CHECK (political_military BETWEEN 0 AND 100),
    data_leak          INTEGER NOT NULL CONSTRAINT corrections_data_leak_range          CHECK (data_leak          BETWEEN 0 AND 100),
    sensitive_words    INTEGER NOT NULL CONSTRAINT corrections_sensitive_words_range    CHECK (sensitive_words    BETWEEN 0 AND 100),
    misinformation     INTEGER NOT NULL CONSTRAINT corrections_misinformation_range     CHECK (misinformation     BETWEEN 0 AND 100),
    illegal_inducement INTEGER NOT NULL CONSTRAINT corrections_illegal_inducement_range CHECK (illegal_inducement BETWEEN 0 AND 100),
    reasoning          TEXT,
    note               TEXT,
    created_at         INTEGER NOT NULL
) STRICT;

-- Corrections of one request in order; the one with the highest id is the one that counts.
CREATE INDEX corrections_by_request ON corrections (request_id, id);
-- "Corrections since a time" for the retrain job.
CREATE INDEX corrections_by_time ON corrections (created_at, id);

-- The latest correction of each corrected request ("latest wins").
CREATE VIEW latest_corrections AS
    SELECT c.* FROM corrections AS c
    WHERE c.id = (SELECT max(id) FROM corrections WHERE request_id = c.request_id);

-- A correction is a record of what a reviewer said: add a new one instead of editing an old one.
CREATE TRIGGER corrections_are_append_only BEFORE UPDATE ON corrections
BEGIN
    SELECT RAISE(ABORT, 'corrections are append-only: add a new correction instead');
END;

CREATE TRIGGER corrections_mark_request AFTER INSERT ON corrections
BEGIN
    UPDATE requests
    SET corrected_at = max(coalesce(corrected_at, NEW.created_at), NEW.created_at),
        correction_count = correction_count + 1
    WHERE id = NEW.request_id;
END;

CREATE TRIGGER corrections_unmark_request AFTER DELETE ON corrections
BEGIN
    UPDATE requests
    SET corrected_at = (SELECT max(created_at) FROM corrections WHERE request_id = OLD.request_id),
        correction_count = correction_count - 1
    WHERE id = OLD.request_id;
END;

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    -- NULL for actions the server takes on its own (scheduled retrain, start-up recovery).
    key_id     INTEGER REFERENCES api_keys (id),
    action     TEXT    NOT NULL CONSTRAINT audit_log_action_not_empty CHECK (length(action) > 0),
    target     TEXT,
    details    TEXT    CONSTRAINT audit_log_details_json CHECK (details IS NULL OR json_valid(details)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_log_by_time ON audit_log (created_at, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
