-- Texts longer than one model pass are scored in overlapping windows. The stored request keeps the whole text (as
-- before) and, here, its windows: a JSON array of {start, end, scores, reasoning, format_ok, decides}, offsets in
-- Unicode scalars of `text`, scores keyed by the ASCII dimension names (null where the window gave none), `decides`
-- the dimensions whose request-level score came from that window. NULL for rows written before this migration.
ALTER TABLE requests ADD COLUMN windows TEXT
    CONSTRAINT requests_windows_json CHECK (windows IS NULL OR (json_valid(windows) AND json_type(windows) = 'array'));
