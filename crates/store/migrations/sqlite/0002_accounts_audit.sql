-- Accounts, sessions, machine tokens, login throttling, and the hash-chained audit trail.
-- Ids are random text made by the application; times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- The commune (commune officers) or province (provincial officers, council members) bound to;
    -- NULL for national roles and producers.
    unit_code TEXT,
    -- The entity a producer acts for.
    entity_id TEXT,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

-- Only a hash of the cookie's token is stored: a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

-- Failed logins per e-mail, whether or not an account exists, so that lock-out reveals nothing.
CREATE TABLE login_throttle (
    email TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT
);

-- Append-only; each hash covers the previous hash and the record (ocop_domain::audit).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    changes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

-- The chain's head: one row, updated in the same transaction as each append, which serialises
-- writers on both databases and lets a verifier notice deleted newest records.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
