-- detlab results store. The schema is a list of migration steps; each "-- step N" section
-- takes a database from PRAGMA user_version N-1 to N. Never edit a released step: add a new one.
-- Tables follow MLflow's shape (runs, params, metrics, artifacts) so sqlite3, pandas or
-- Datasette can query them directly. Times are Unix seconds (REAL), hashes lowercase hex.

-- step 1
CREATE TABLE experiments (
    name        TEXT PRIMARY KEY,
    source      TEXT NOT NULL,          -- the experiment file's text as it was run
    created_at  REAL NOT NULL
);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,     -- run_id(kind, canonical config, repeat)
    experiment    TEXT NOT NULL,        -- "adhoc" for runs started from the CLI
    kind          TEXT NOT NULL,        -- "toolchain" or "train"
    config        TEXT NOT NULL,        -- canonical JSON configuration
    repeat        INTEGER NOT NULL,
    status        TEXT NOT NULL,        -- "done", "failed" or "timeout"
    message       TEXT NOT NULL DEFAULT '',
    started_at    REAL NOT NULL,
    wall_seconds  REAL NOT NULL,
    host          TEXT NOT NULL,
    recorded_at   REAL NOT NULL
);

CREATE TABLE params (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE metrics (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    step    INTEGER NOT NULL,
    value   REAL,                       -- NULL stands for NaN
    PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;

-- Content-addressed storage: sha256 of the raw bytes, data compressed with `codec`.
CREATE TABLE blobs (
    sha256  TEXT PRIMARY KEY,
    size    INTEGER NOT NULL,           -- raw (uncompressed) bytes
    codec   TEXT NOT NULL,              -- "zstd"
    data    BLOB NOT NULL
);

CREATE TABLE artifacts (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    sha256  TEXT NOT NULL REFERENCES blobs(sha256),
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE provenance (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- step 2
-- Reusable intermediate results (e.g. a synthesis netlist keyed by the hash of its inputs),
-- and indexes for the common filters.
CREATE TABLE cache (
    key         TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL REFERENCES blobs(sha256),
    created_at  REAL NOT NULL
);

CREATE INDEX runs_by_experiment ON runs (experiment, kind, status);
CREATE INDEX artifacts_by_sha256 ON artifacts (sha256);

-- step 3
-- Observations and configurations. A row of `runs` is one observation: one execution of a
-- configuration on one machine at one time, with an id of its own that nothing reuses.
-- `config_id` is the configuration's identity: a hash of the canonical configuration and of the
-- bytes of every input it points at (RTL sources, pin file, data set). A sweep resumes by
-- (experiment, config_id, repeat); the analysis groups observations by it. Runs stored before
-- this step get a "legacy-" identity from their configuration text alone (their input bytes
-- were never recorded), filled in by the migration code (db/store.cpp).
ALTER TABLE runs ADD COLUMN config_id TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_config ON runs (config_id, experiment, repeat, status);

-- step 4
-- The store's own id, drawn once when the store is made (or migrated). Two stores made on one
-- host (a teacher's rehearsal and a class run) are two sessions: `detlab merge` records the id
-- of the store an observation came from in its provenance (store.id), and the analysis keeps
-- sessions apart as it keeps machines apart. An observation without store.id belongs to the
-- store it is in.
CREATE TABLE store_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(8))));
