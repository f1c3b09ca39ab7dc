-- The verdict a client acts on (pass / review / block), decided from the nine scores and their confidences by the
-- policy in force for the request (configuration, overridable per request). NULL for rows written before verdicts.
ALTER TABLE requests ADD COLUMN verdict TEXT
    CONSTRAINT requests_verdict_value CHECK (verdict IS NULL OR verdict IN ('pass', 'review', 'block'));

-- The review queue shows `review` first, then `block` (a person confirms what was stopped), then the rest; least
-- confident first within each. Virtual: SQLite adds only virtual generated columns to an existing table.
ALTER TABLE requests ADD COLUMN review_priority INTEGER GENERATED ALWAYS AS (
    CASE verdict WHEN 'review' THEN 0 WHEN 'block' THEN 1 ELSE 2 END) VIRTUAL;

CREATE INDEX requests_review_queue_by_verdict ON requests (review_priority, min_confidence, created_at, id)
    WHERE corrected_at IS NULL;
