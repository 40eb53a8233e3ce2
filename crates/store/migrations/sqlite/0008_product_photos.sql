-- Photos of a product (JPEG or PNG), by the stored file's hash.
CREATE TABLE product_photos (
    product_id TEXT NOT NULL REFERENCES products (id),
    file_sha256 TEXT NOT NULL REFERENCES files (sha256),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (product_id, file_sha256)
);
