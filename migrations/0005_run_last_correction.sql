-- The highest correction id a run trained on: corrections after the highest one of a finished run (succeeded or
-- rejected) are the "new" ones the scheduler counts. Runs before this migration kept it only as `max_correction_id`
-- in their metrics JSON; it is copied from there.
ALTER TABLE training_runs ADD COLUMN last_correction_id INTEGER;

UPDATE training_runs SET last_correction_id = json_extract(metrics, '$.max_correction_id')
WHERE json_type(metrics, '$.max_correction_id') = 'integer';
