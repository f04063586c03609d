-- The audit trail's head once a checkpoint's own transaction had written its
-- entries (the checkpoint's and its notices to the SSC). The scheduled
-- checkpoint is skipped while the head is still there: a quiet system does
-- not mail the SSC a new checkpoint every interval.
ALTER TABLE audit_checkpoints ADD COLUMN quiet_seq BIGINT NOT NULL DEFAULT 0;
