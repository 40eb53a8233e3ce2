-- The public portal: production batches (GS1 Digital Link /01/{gtin}/10/{lot} opens one), where a
-- product is sold, and a look-up of products by GTIN.

CREATE TABLE batches (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    -- the lot number printed on the package (GS1 AI 10)
    lot TEXT NOT NULL,
    produced_on DATE NOT NULL,
    quantity BIGINT NOT NULL,
    -- the unit the quantity counts: "chai 500 ml", "kg"
    unit TEXT NOT NULL,
    raw_material_area TEXT,
    expires_on DATE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX batches_lot ON batches (product_id, lot);

-- Where to buy a product: a supermarket chain, an OCOP showroom or point of sale (with its
-- address), an e-commerce listing (with its URL).
CREATE TABLE sales_points (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    -- supermarket, showroom, point_of_sale, ecommerce
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    url TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sales_points_product ON sales_points (product_id);

CREATE INDEX products_gtin ON products (gtin);
