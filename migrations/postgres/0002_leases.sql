-- PostgreSQL 0002: leases, for replicas that share this database. A lease is held by one replica until it expires;
-- the holder renews it while it works, so a holder that dies (kill -9, a lost machine) lets it lapse and another
-- replica takes over. The retrain job holds the lease named 'retrain' while it runs, so one retrain runs at a time
-- across replicas and a run whose replica died is noticed and marked failed.
-- (SQLite needs no table: one file is served by one process, which keeps its leases in memory.)

CREATE TABLE leases (
    name        TEXT   PRIMARY KEY CONSTRAINT leases_name_not_empty CHECK (length(name) > 0),
    holder      TEXT   NOT NULL CONSTRAINT leases_holder_not_empty CHECK (length(holder) > 0),
    -- Times from the database server's clock, so replicas whose clocks disagree still agree on who holds it.
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    CONSTRAINT leases_expire_after_acquired CHECK (expires_at > acquired_at)
);
