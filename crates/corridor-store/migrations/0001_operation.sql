-- The operation's store: one schema for SQLite and PostgreSQL.
-- The event log is append-only: rows are inserted, never updated or deleted.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The scenario's files as imported (the registry: sites, households, fleet).
CREATE TABLE scenario_files (
    path TEXT PRIMARY KEY,
    body BYTEA NOT NULL
);

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    body TEXT NOT NULL
);

-- seq is assigned by the writer under the store's write lock: gapless, in commit order.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    site TEXT,
    vehicle TEXT,
    token_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT,
    revoked_ms BIGINT
);

-- Who did or was refused what, when, from where. Append-only.
CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL,
    outcome TEXT NOT NULL
);

CREATE INDEX audit_at ON audit (at_ms);
