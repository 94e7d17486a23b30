-- One row that /healthz rewrites, so that the health check proves the database still takes
-- writes: a disk that filled up or went read-only answers reads but fails every write.
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL -- unix milliseconds
);
