-- Certifications a product holds (VietGAP, GlobalGAP, organic, HACCP, ISO…), with validity.
CREATE TABLE product_certifications (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    issuer TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX product_certifications_product ON product_certifications (product_id);
