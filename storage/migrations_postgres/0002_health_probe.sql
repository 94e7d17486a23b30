-- As migrations/0002_health_probe.sql: one row that /healthz rewrites.
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT NOT NULL -- unix milliseconds
);
