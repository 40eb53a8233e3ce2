-- Settings and markers of what has been loaded (dataset checksums, demo seed).
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Administrative units of every period. A code names one unit per period (the 2025 reform
-- re-used codes), so the identity is (code, valid_to); ids are assigned by the loader.
CREATE TABLE units (
    id BIGINT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    level TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    parent_id BIGINT REFERENCES units (id),
    valid_from DATE,
    valid_to DATE,
    decree TEXT
);
CREATE UNIQUE INDEX units_code_current ON units (code) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX units_code_period ON units (code, valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_level ON units (level, valid_to);

-- Old -> new units (many-to-many), with the effective date and the decree.
CREATE TABLE unit_successions (
    predecessor_id BIGINT NOT NULL REFERENCES units (id),
    successor_id BIGINT NOT NULL REFERENCES units (id),
    effective_date DATE NOT NULL,
    decree TEXT,
    PRIMARY KEY (predecessor_id, successor_id)
);
CREATE INDEX unit_successions_successor ON unit_successions (successor_id);
