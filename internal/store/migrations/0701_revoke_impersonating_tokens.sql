-- Revoke every API token that its own user cannot be shown to have made.
--
-- Until 0700 an administrator could mint a token for any user (POST
-- /api/v1/tokens with "user") and an operator could at the command line
-- (metersec token create --user), and the token then read as that user,
-- RED records included, without their password or second factor. The table
-- did not record who made a token, but the audit trail did: every token was
-- created with a "token.create" audit record whose actor_user_id is the
-- creator (NULL for an operator at the command line). A token stays live only
-- when such a record exists with its own user as the actor; every other
-- unrevoked token is revoked now, with revoked_at the time of this migration.
-- Its user makes a new one for themselves. The audit trail is not written
-- here: its records are hash-chained in Go, and this migration's own row in
-- schema_migrations records when it ran.
UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP
WHERE revoked_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM audit_log a
    WHERE a.action = 'token.create'
      AND a.object_type = 'token'
      AND a.object_id = CAST(api_tokens.id AS TEXT)
      AND a.actor_user_id = api_tokens.user_id);
