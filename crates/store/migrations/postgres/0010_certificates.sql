-- Certificates, their revocations and inspections, the issuer's signing keys, notices, and the
-- one table of background jobs (sweeps, e-mails) that every server claims work from.

CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    -- OCOP-<province>-<year>-<serial>
    number TEXT NOT NULL,
    province_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    serial BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    entity_id TEXT NOT NULL REFERENCES entities (id),
    commune_code TEXT NOT NULL,
    stars BIGINT NOT NULL,
    -- hundredths of a point, the council's final mean
    score BIGINT,
    criteria_version TEXT NOT NULL,
    decision_id TEXT NOT NULL REFERENCES decisions (id),
    round_product_id TEXT NOT NULL REFERENCES round_products (id),
    -- province or ministry: who recognised the star, and so who revokes it
    authority TEXT NOT NULL,
    issued_on DATE NOT NULL,
    expires_on DATE NOT NULL,
    -- the signed QR payload (base32) and its key, signed once on first use
    payload TEXT,
    key_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX certificates_number ON certificates (number);
CREATE UNIQUE INDEX certificates_serial ON certificates (province_code, year, serial);
CREATE INDEX certificates_product ON certificates (product_id, created_at);
CREATE INDEX certificates_province ON certificates (province_code, expires_on);
CREATE INDEX certificates_entity ON certificates (entity_id);

-- The last serial given per province and year; the row lock serialises concurrent issuers.
CREATE TABLE certificate_serials (
    province_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (province_code, year)
);

CREATE TABLE inspections (
    id TEXT PRIMARY KEY NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    -- periodic or ad_hoc
    kind TEXT NOT NULL,
    -- province or ministry
    level TEXT NOT NULL,
    inspected_on DATE NOT NULL,
    inspectors TEXT NOT NULL,
    criteria_maintained BOOLEAN NOT NULL,
    mark_used_correctly BOOLEAN NOT NULL,
    findings TEXT NOT NULL,
    -- passed, corrective_action or revocation_proposed
    outcome TEXT NOT NULL,
    action TEXT,
    action_deadline DATE,
    ground TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX inspections_certificate ON inspections (certificate_id, inspected_on);

CREATE TABLE revocations (
    id TEXT PRIMARY KEY NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    ground TEXT NOT NULL,
    found_on DATE NOT NULL,
    finding_ref TEXT NOT NULL,
    deadline DATE,
    inspection_id TEXT REFERENCES inspections (id),
    opened_by TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    decision_number TEXT,
    decided_on DATE,
    signer TEXT,
    decided_by TEXT,
    decided_at BIGINT
);
-- At most one revocation per certificate.
CREATE UNIQUE INDEX revocations_once ON revocations (certificate_id);

-- The issuer's ed25519 keys. The private half is sealed (ChaCha20-Poly1305) with the
-- installation's secret, which lives in a file beside the servers, never in the database.
CREATE TABLE signing_keys (
    id BIGINT PRIMARY KEY NOT NULL,
    public_key TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    valid_from DATE NOT NULL,
    retired_on DATE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    certificate_id TEXT REFERENCES certificates (id),
    -- the values the message is written with (JSON)
    params TEXT NOT NULL,
    link TEXT NOT NULL,
    -- what makes a notice the same one (a certificate's milestone): sent once per account
    dedupe_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE UNIQUE INDEX notices_once ON notices (account_id, dedupe_key);
CREATE INDEX notices_account ON notices (account_id, created_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- a job that must exist once (the sweep of a day, the e-mail of a notice)
    dedupe_key TEXT,
    payload TEXT NOT NULL,
    run_after BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    done_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_once ON jobs (dedupe_key);
CREATE INDEX jobs_due ON jobs (kind, done_at, run_after);

-- When the producer filed (submitted) the dossier: a re-evaluation filed before expiry keeps
-- a certificate valid pending its result (Điều 12.3).
ALTER TABLE dossiers ADD COLUMN filed_on DATE;
