-- Evaluation rounds and their councils (ocop_domain::rounds), the commune's Mẫu 03 report and
-- the advisory group's pre-assessment of a dossier. Times are milliseconds since the Unix epoch.

-- The commune's report on four points of a dossier (26/2026 Điều 7.2, Mẫu 03).
CREATE TABLE commune_reports (
    dossier_id TEXT PRIMARY KEY NOT NULL REFERENCES dossiers (id),
    local_materials TEXT NOT NULL,
    local_labour TEXT NOT NULL,
    idea_origin TEXT NOT NULL,
    local_identity TEXT NOT NULL,
    written_by TEXT NOT NULL,
    written_at BIGINT NOT NULL
);

-- The advisory group's (tổ tư vấn) pre-assessment: samples, site visit, a preliminary card.
CREATE TABLE pre_assessments (
    dossier_id TEXT PRIMARY KEY NOT NULL REFERENCES dossiers (id),
    samples_received BIGINT,
    samples_received_on DATE,
    site_visit_note TEXT NOT NULL,
    -- criterion code → option number (JSON), and its total
    preliminary_card TEXT,
    preliminary_total BIGINT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE TABLE rounds (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- province or ministry (district or province for legacy rounds)
    level TEXT NOT NULL,
    -- online or legacy
    kind TEXT NOT NULL,
    -- the province a provincial (or district) round belongs to; NULL for the ministry's
    province_code TEXT,
    meeting_on DATE NOT NULL,
    place TEXT NOT NULL,
    state TEXT NOT NULL,
    -- the council's own rules; NULL: the criteria version's
    quorum BIGINT,
    spread_limit BIGINT,
    averaging TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rounds_province ON rounds (province_code, meeting_on);

-- A seat is a role held on one round on top of the account's own.
CREATE TABLE council_seats (
    round_id TEXT NOT NULL REFERENCES rounds (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    seat TEXT NOT NULL,
    agency TEXT NOT NULL,
    position TEXT NOT NULL,
    -- the organisation the member declared (checked against entities for conflicts)
    organisation TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
);
CREATE INDEX council_seats_user ON council_seats (user_id);

-- A dossier in a round. Product, entity, commune and province are copied for scoped reads.
CREATE TABLE round_products (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds (id),
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    product_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    -- the version the transition rules gave on adding it, never a constant
    criteria_version TEXT NOT NULL,
    product_set TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    -- 1 for the first scoring, +1 for each re-score
    pass BIGINT NOT NULL,
    -- disqualifiers the council found (JSON list of {rule, note})
    disqualifications TEXT NOT NULL,
    -- the result kept when the round closes (or entered for a legacy round)
    final_score BIGINT,
    final_stars BIGINT,
    outcome TEXT,
    result TEXT,
    -- in the ministry's round: the province's round product it came from
    source_id TEXT,
    added_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX round_products_once ON round_products (round_id, dossier_id);
CREATE INDEX round_products_dossier ON round_products (dossier_id);

-- One member's card per product and pass; a draft until submitted_at is set, then never changed.
CREATE TABLE scorecards (
    round_product_id TEXT NOT NULL REFERENCES round_products (id),
    member_id TEXT NOT NULL REFERENCES users (id),
    pass BIGINT NOT NULL,
    choices TEXT NOT NULL,
    total BIGINT,
    submitted_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (round_product_id, member_id, pass)
);

CREATE TABLE conflicts (
    id TEXT PRIMARY KEY NOT NULL,
    round_product_id TEXT NOT NULL REFERENCES round_products (id),
    member_id TEXT NOT NULL REFERENCES users (id),
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    cleared_by TEXT,
    cleared_reason TEXT,
    cleared_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX conflicts_once ON conflicts (round_product_id, member_id, source);

-- Re-scores opened by the chair: pass n+1 of a product, and why.
CREATE TABLE rescores (
    round_product_id TEXT NOT NULL REFERENCES round_products (id),
    pass BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (round_product_id, pass)
);

CREATE TABLE decisions (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds (id),
    number TEXT NOT NULL,
    signed_on DATE NOT NULL,
    signer TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX decisions_number ON decisions (number, signed_on);

CREATE TABLE decision_items (
    decision_id TEXT NOT NULL REFERENCES decisions (id),
    round_product_id TEXT NOT NULL REFERENCES round_products (id),
    outcome TEXT NOT NULL,
    stars BIGINT,
    PRIMARY KEY (decision_id, round_product_id)
);
-- A product has one decision at its round's level; after the ministry's below 90, the province's
-- decision on that central result names the same round product (26/2026 Điều 7.4.g).
CREATE INDEX decision_items_product ON decision_items (round_product_id);
