-- A password and second factor reset by an administrator (issue 15 point 7).
-- The administrator never learns or sets a usable password: the reset makes
-- the old password unusable, removes the authenticator, and sends the user
-- (by the delivery outbox, to their own address) a one-time link to choose a
-- new password at their next sign-in. Only the SHA-256 of the link's secret
-- is kept here. One outstanding reset per user: a second replaces the first.
CREATE TABLE password_resets (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    code_hash  @bytes NOT NULL UNIQUE,
    created_at @time NOT NULL,
    expires_at @time NOT NULL
);

-- The audit trail filtered by who and what, newest first (issue 15 point 7):
-- without these a filter walks the whole trail backwards.
CREATE INDEX audit_log_by_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_at ON audit_log (at);
