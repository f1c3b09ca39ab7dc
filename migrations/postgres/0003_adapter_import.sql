-- PostgreSQL 0003: adapters trained elsewhere and imported through the API (POST /v1/admin/adapters), and the gate
-- they pass before they may serve. The same columns, constraints and messages as SQLite's 0006_adapter_import.sql;
-- SQLite's WHEN-triggers are functions here.
--
-- `origin` says where an adapter came from: 'retrain' (the server's own learning loop: registered only after its
-- run's gate accepted it, so it has no gate of its own here) or 'imported'. An imported adapter is evaluated on the
-- held-out set by the retrain's own gate in the background: `gate_state` goes pending → evaluating → passed, rejected
-- or failed (the evaluation itself could not run; `gate_detail` says why).
ALTER TABLE adapters ADD COLUMN origin TEXT NOT NULL DEFAULT 'retrain'
    CONSTRAINT adapters_origin CHECK (origin IN ('retrain', 'imported'));
-- A name for people ("trl-grpo-2026-03"); set for imports.
ALTER TABLE adapters ADD COLUMN label TEXT
    CONSTRAINT adapters_label_length CHECK (label IS NULL OR char_length(label) BETWEEN 1 AND 200);
-- The folder the files were imported from (the server keeps its own copy under `path`).
ALTER TABLE adapters ADD COLUMN source_path TEXT;
ALTER TABLE adapters ADD COLUMN gate_state TEXT
    CONSTRAINT adapters_gate_state CHECK (gate_state IS NULL OR gate_state IN ('pending', 'evaluating', 'passed', 'rejected', 'failed'));
-- The gate's decision in words, or why the evaluation failed.
ALTER TABLE adapters ADD COLUMN gate_detail TEXT;
-- Set when an admin activated the adapter although its gate had not passed: why, who, when.
ALTER TABLE adapters ADD COLUMN override_reason TEXT
    CONSTRAINT adapters_override_reason_length CHECK (override_reason IS NULL OR char_length(override_reason) BETWEEN 1 AND 1000);
ALTER TABLE adapters ADD COLUMN override_by BIGINT REFERENCES api_keys (id);
ALTER TABLE adapters ADD COLUMN override_at BIGINT;

-- An imported adapter always has a gate state; a retrain's never does.
CREATE FUNCTION safety_adapters_gate_by_origin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.origin = 'imported') <> (NEW.gate_state IS NOT NULL) THEN
        RAISE EXCEPTION 'adapters_gate_by_origin: an imported adapter has a gate state and a retrain adapter has none';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER adapters_gate_by_origin BEFORE INSERT OR UPDATE OF origin, gate_state ON adapters
    FOR EACH ROW EXECUTE FUNCTION safety_adapters_gate_by_origin();

-- An imported adapter serves only once its gate passed, or with an admin's recorded reason.
CREATE FUNCTION safety_adapters_activation_needs_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.active AND NEW.origin = 'imported' AND NEW.gate_state IS DISTINCT FROM 'passed' AND NEW.override_reason IS NULL THEN
        RAISE EXCEPTION 'adapters_activation_needs_gate: an imported adapter whose gate has not passed needs an override reason';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER adapters_activation_needs_gate BEFORE UPDATE OF active ON adapters
    FOR EACH ROW EXECUTE FUNCTION safety_adapters_activation_needs_gate();

-- The same weights are imported once (a second import answers with the existing adapter).
CREATE UNIQUE INDEX adapters_imported_content_unique ON adapters (content_hash) WHERE origin = 'imported';
CREATE INDEX adapters_by_content_hash ON adapters (content_hash);
-- The evaluation queue of imports.
CREATE INDEX adapters_by_gate_state ON adapters (gate_state, created_at) WHERE gate_state IN ('pending', 'evaluating');
