-- Signed checkpoints of the audit trail's head. The hash chain alone is
-- unkeyed: whoever can write the database can truncate it and move the head,
-- or rewrite a row and recompute every later hash. A checkpoint is signed
-- with an ed25519 key kept outside the database, and copies go to the SSC by
-- email, so a rewrite of anything a checkpoint covers shows against a copy
-- the writer of the database cannot reach. The table is a convenience (the
-- latest is published at /api/v1/audit/checkpoint); the copies are the proof.
CREATE TABLE audit_checkpoints (
    id        @id,
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    at        @time NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);
