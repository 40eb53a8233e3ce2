-- Products of OCOP entities. Commune and province are copied from the entity when the product is
-- registered, for scoped reads; the code is {province}-{commune}-{seq}-{year}.
CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (id),
    code TEXT NOT NULL,
    code_year BIGINT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    criteria_version TEXT NOT NULL,
    product_set TEXT NOT NULL,
    description TEXT NOT NULL,
    raw_material_area TEXT,
    trademark TEXT,
    gtin TEXT,
    sales_channels TEXT NOT NULL,
    export_markets TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX products_code ON products (code);
CREATE INDEX products_entity ON products (entity_id);
CREATE INDEX products_commune ON products (commune_code, code_year);
CREATE INDEX products_province ON products (province_code);
