-- Programme monitoring: plans and targets, support and reward policies with their
-- entitlements, disbursements and budgets, trade promotion (export markets, fairs) and training,
-- craft villages. Money is integer đồng; shares are basis points (4000 = 40 %).

-- A plan of a unit (of any period: a former province's 2021–2025 plan keeps its unit) for whole
-- years. province_code/commune_code: where it lies on today's map (the successor holding most of
-- a former unit's communes), for scoped reads; both empty for the nation.
CREATE TABLE plans (
    id TEXT PRIMARY KEY NOT NULL,
    level TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id),
    province_code TEXT,
    commune_code TEXT,
    from_year BIGINT NOT NULL,
    to_year BIGINT NOT NULL,
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX plans_unit_period ON plans ((COALESCE(unit_id, 0)), from_year, to_year);
CREATE INDEX plans_province ON plans (province_code, from_year);

CREATE TABLE plan_targets (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    indicator TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (plan_id, indicator)
);

CREATE TABLE policies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    reference TEXT NOT NULL,
    -- province or commune, with today's codes
    level TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- comma-separated: first, re_recognition, upgrade
    triggers TEXT NOT NULL,
    -- one_time, per_star or cost_share, with the columns it uses
    amount_kind TEXT NOT NULL,
    amount BIGINT,
    amount_3 BIGINT,
    amount_4 BIGINT,
    amount_5 BIGINT,
    share_points BIGINT,
    cap BIGINT,
    cumulative BOOLEAN NOT NULL,
    max_per_commune BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX policies_province ON policies (province_code, valid_from);

-- What a recognition (a certificate) is owed under a policy, computed in the transaction that
-- issues the certificate (or when a policy is applied to earlier recognitions), never changed.
CREATE TABLE entitlements (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES policies (id),
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    decided_on DATE NOT NULL,
    kind TEXT NOT NULL,
    stars BIGINT NOT NULL,
    previous_stars BIGINT,
    amount BIGINT NOT NULL,
    -- why (JSON): full, difference, superseded, limit_reached
    basis TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX entitlements_once ON entitlements (policy_id, certificate_id);
CREATE INDEX entitlements_province ON entitlements (province_code, decided_on);
CREATE INDEX entitlements_product ON entitlements (product_id);

-- Payments of an entitlement: planned → approved → paid, with their dates and documents.
CREATE TABLE disbursements (
    id TEXT PRIMARY KEY NOT NULL,
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id),
    amount BIGINT NOT NULL,
    -- the documented cost a cost share is a share of
    cost BIGINT,
    state TEXT NOT NULL,
    planned_on DATE NOT NULL,
    approved_on DATE,
    paid_on DATE,
    document TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX disbursements_entitlement ON disbursements (entitlement_id);

-- What a unit allots for a year from a source.
CREATE TABLE budgets (
    id TEXT PRIMARY KEY NOT NULL,
    year BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    source TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX budgets_once ON budgets (year, unit_code, source);

-- Trade promotion: when a sales point opened, an online listing's platform; export markets;
-- fairs and the products shown there with their reported sales.
ALTER TABLE sales_points ADD COLUMN opened_on DATE;
ALTER TABLE sales_points ADD COLUMN platform TEXT;

CREATE TABLE export_markets (
    product_id TEXT NOT NULL REFERENCES products (id),
    country TEXT NOT NULL,
    since_year BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (product_id, country)
);

CREATE TABLE fairs (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    place TEXT NOT NULL,
    -- the organising province (today's code); empty for a national event
    province_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX fairs_province ON fairs (province_code, starts_on);

CREATE TABLE fair_products (
    fair_id TEXT NOT NULL REFERENCES fairs (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    sales BIGINT,
    PRIMARY KEY (fair_id, product_id)
);
CREATE INDEX fair_products_product ON fair_products (product_id);

-- Training: courses and who attended (an entity and how many of its people, or officials by name).
CREATE TABLE courses (
    id TEXT PRIMARY KEY NOT NULL,
    topic TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    organiser TEXT NOT NULL,
    audience TEXT NOT NULL,
    province_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX courses_province ON courses (province_code, starts_on);

CREATE TABLE course_attendees (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id),
    entity_id TEXT REFERENCES entities (id),
    name TEXT NOT NULL,
    people BIGINT NOT NULL
);
CREATE INDEX course_attendees_course ON course_attendees (course_id);

-- Traditional craft villages and the products made there; entities in value chains or green
-- (circular) production.
CREATE TABLE craft_villages (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX craft_villages_province ON craft_villages (province_code);

CREATE TABLE craft_village_products (
    village_id TEXT NOT NULL REFERENCES craft_villages (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    PRIMARY KEY (village_id, product_id)
);

ALTER TABLE entities ADD COLUMN value_chain BOOLEAN NOT NULL DEFAULT FALSE;
