-- The audit trail's head, signed once a day with the certificate key and published, so that a
-- copy kept elsewhere proves the log's end was not rewritten (docs/operations.md).
CREATE TABLE audit_anchors (
    day DATE PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    key_id BIGINT NOT NULL,
    signature TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
