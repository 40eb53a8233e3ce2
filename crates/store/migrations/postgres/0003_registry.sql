-- The registry of OCOP entities. Each row carries its commune and that commune's province (codes
-- in force when written) so that scoped queries filter on an indexed column.
CREATE TABLE entities (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    legal_form TEXT,
    registration_code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    representative TEXT NOT NULL,
    address TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    women_led BOOLEAN NOT NULL,
    ethnic_minority_led BOOLEAN NOT NULL,
    members BIGINT,
    workers BIGINT,
    founded_on DATE,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX entities_registration_code ON entities (registration_code);
CREATE INDEX entities_commune ON entities (commune_code);
CREATE INDEX entities_province ON entities (province_code);
