-- Generated documents (certificates, minutes, annexes, scoring sheets) kept in the file store,
-- by the digest of what they are made from (their data and the templates): typeset once per
-- content by whichever server is asked first, then served from the store (docs/operations.md).
CREATE TABLE generated_documents (
    key TEXT PRIMARY KEY NOT NULL,
    file_sha256 TEXT NOT NULL REFERENCES files (sha256),
    created_at BIGINT NOT NULL
);
