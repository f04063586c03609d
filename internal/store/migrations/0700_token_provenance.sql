-- Who made each API token, and when a session last passed its second factor.
--
-- created_by is the user whose own session or token made the token; it is
-- always the token's user (nobody may create a credential that acts as
-- someone else), kept so that the rule can be checked, not assumed.
-- parent_token_id is the token that made it, when a token did: a token never
-- makes one broader or longer-lived than itself.
ALTER TABLE api_tokens ADD COLUMN created_by BIGINT REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN parent_token_id BIGINT REFERENCES api_tokens (id);

-- Creating a token needs a second factor passed recently (15 minutes by
-- default), not merely at some point in a twelve-hour session.
ALTER TABLE sessions ADD COLUMN mfa_at @time;
