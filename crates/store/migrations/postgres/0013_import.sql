-- Imports (issue 13): each file brought in, dry or real, with its progress and its report.
CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    province_code TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    -- write the rows without problems and skip the others (the default is all or nothing)
    partial BOOLEAN NOT NULL,
    -- queued, reading, checking, writing, done, refused (a problem; nothing written), failed
    state TEXT NOT NULL,
    total_rows BIGINT NOT NULL,
    done_rows BIGINT NOT NULL,
    -- the report as JSON (ocop_domain::import::Report), once finished
    report TEXT,
    -- the audit record of a run that wrote
    audit_seq BIGINT,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX imports_province ON imports (province_code, created_at);

-- The further objects one audit record touched (an import's created and updated records), so
-- that each record's history shows the event that made or changed it.
CREATE TABLE audit_objects (
    audit_seq BIGINT NOT NULL REFERENCES audit_log (seq),
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (object_type, object_id, audit_seq)
);

-- A product's code of before the 2025 reform, kept as it was beside its new code.
ALTER TABLE products ADD COLUMN legacy_code TEXT;
CREATE UNIQUE INDEX products_legacy_code ON products (legacy_code) WHERE legacy_code IS NOT NULL;
-- The number printed on a paper certificate of before the system, kept as it was.
ALTER TABLE certificates ADD COLUMN legacy_number TEXT;
CREATE INDEX certificates_legacy_number ON certificates (legacy_number);
-- A council result of before the system: the parts' and members' totals its list gave
-- ({"parts": [A, B, C] | null, "members": [...]}, hundredths of a point).
ALTER TABLE round_products ADD COLUMN legacy_totals TEXT;
