-- Dossiers for a product's evaluation, and their evidence documents. Commune and province are
-- copied from the product for scoped reads.
CREATE TABLE dossiers (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    entity_id TEXT NOT NULL REFERENCES entities (id),
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    evaluation_type TEXT NOT NULL,
    state TEXT NOT NULL,
    contact_phone TEXT,
    criteria_version TEXT NOT NULL,
    product_set TEXT NOT NULL,
    -- The producer's self-assessment: criterion code → option number (JSON), and its total.
    self_assessment TEXT,
    self_assessment_total BIGINT,
    return_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dossiers_product ON dossiers (product_id);
CREATE INDEX dossiers_commune ON dossiers (commune_code, state);
CREATE INDEX dossiers_province ON dossiers (province_code, state);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    evidence_type TEXT NOT NULL,
    criterion_code TEXT,
    file_sha256 TEXT NOT NULL REFERENCES files (sha256),
    original_name TEXT NOT NULL,
    expires_on DATE,
    created_at BIGINT NOT NULL
);
CREATE INDEX evidence_dossier ON evidence (dossier_id);
