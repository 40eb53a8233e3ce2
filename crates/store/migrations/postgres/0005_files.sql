-- Uploaded files, stored once per content under FILES_DIR/<first two hex digits>/<rest>.
CREATE TABLE files (
    sha256 TEXT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
