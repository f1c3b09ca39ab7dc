-- 0002: retrain runs, their loss/reward curves, and the LoRA adapters they produce.
-- Conventions as in 0001 (times in Unix milliseconds, STRICT tables, named constraints).

CREATE TABLE training_runs (
    id                   INTEGER PRIMARY KEY,
    state                TEXT    NOT NULL DEFAULT 'queued'
                         CONSTRAINT training_runs_state
                         CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'rejected')),
    -- What started the run: the nightly schedule or an admin.
    triggered_by         TEXT    NOT NULL
                         CONSTRAINT training_runs_triggered_by CHECK (triggered_by IN ('schedule', 'admin')),
    -- The admin key that asked for the run; NULL for scheduled runs.
    requested_by         INTEGER REFERENCES api_keys (id),
    created_at           INTEGER NOT NULL,
    started_at           INTEGER,
    finished_at          INTEGER,
    -- Current phase ("rejection_sampling", "sft", "grpo", "eval", …) and its progress, for the dashboard.
    phase                TEXT,
    progress             TEXT CONSTRAINT training_runs_progress_json CHECK (progress IS NULL OR json_valid(progress)),
    -- Summary metrics (the per-step curves live in training_run_points).
    metrics              TEXT CONSTRAINT training_runs_metrics_json  CHECK (metrics  IS NULL OR json_valid(metrics)),
    -- Held-out evaluation of the candidate against the active adapter.
    eval                 TEXT CONSTRAINT training_runs_eval_json     CHECK (eval     IS NULL OR json_valid(eval)),
    -- Why the candidate was or was not activated, in words.
    decision             TEXT,
    error                TEXT,
    candidate_adapter_id TEXT REFERENCES adapters (id),
    CONSTRAINT training_runs_admin_has_requester CHECK (triggered_by <> 'admin' OR requested_by IS NOT NULL),
    CONSTRAINT training_runs_started_when_run
        CHECK ((started_at IS NOT NULL) OR state IN ('queued', 'failed', 'cancelled')),
    CONSTRAINT training_runs_finished_when_terminal
        CHECK ((finished_at IS NOT NULL) = (state IN ('succeeded', 'failed', 'cancelled', 'rejected')))
) STRICT;

CREATE INDEX training_runs_by_time ON training_runs (created_at, id);
-- One run at a time: a second 'running' row is a unique-constraint error.
CREATE UNIQUE INDEX training_runs_single_running ON training_runs (state) WHERE state = 'running';

-- queued → running | cancelled | failed;  running → succeeded | rejected | failed | cancelled; the rest are final.
CREATE TRIGGER training_runs_valid_transition BEFORE UPDATE OF state ON training_runs
WHEN NOT (OLD.state = NEW.state
          OR (OLD.state = 'queued' AND NEW.state IN ('running', 'cancelled', 'failed'))
          OR (OLD.state = 'running' AND NEW.state IN ('succeeded', 'rejected', 'failed', 'cancelled')))
BEGIN
    SELECT RAISE(ABORT, 'invalid training run state transition');
END;

-- Loss/reward curves: one row per (run, phase, step).
CREATE TABLE training_run_points (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    phase      TEXT    NOT NULL,
    step       INTEGER NOT NULL CONSTRAINT training_run_points_step_range CHECK (step >= 0),
    loss       REAL,
    reward     REAL,
    -- Anything else logged at this step (per-part rewards, KL, learning rate, diversity, …).
    data       TEXT    CONSTRAINT training_run_points_data_json CHECK (data IS NULL OR json_valid(data)),
    created_at INTEGER NOT NULL,
    CONSTRAINT training_run_points_step_unique UNIQUE (run_id, phase, step)
) STRICT;

CREATE TABLE adapters (
    -- Chosen by the caller, e.g. "v3".
    id                TEXT    PRIMARY KEY NOT NULL CONSTRAINT adapters_id_not_empty CHECK (length(id) > 0),
    -- SHA-256 of the adapter's files, so a swapped file on disk is noticed.
    content_hash      TEXT    NOT NULL,
    path              TEXT    NOT NULL,
    base_model_id     TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    run_id            INTEGER REFERENCES training_runs (id),
    eval              TEXT    CONSTRAINT adapters_eval_json CHECK (eval IS NULL OR json_valid(eval)),
    active            INTEGER NOT NULL DEFAULT 0 CONSTRAINT adapters_active_bool CHECK (active IN (0, 1)),
    activated_at      INTEGER,
    parent_adapter_id TEXT    REFERENCES adapters (id),
    CONSTRAINT adapters_active_has_time CHECK (active = 0 OR activated_at IS NOT NULL)
) STRICT;

-- At most one active adapter (none = the base model alone).
CREATE UNIQUE INDEX adapters_single_active ON adapters (active) WHERE active = 1;
CREATE INDEX adapters_by_time ON adapters (created_at, id);
