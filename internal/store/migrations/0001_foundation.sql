-- The foundation: organisations and their security contacts, accounts,
-- sessions and API tokens, the audience of classified records, and the
-- hash-chained audit trail.

CREATE TABLE organisations (
    id             @id,
    code           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    classification TEXT NOT NULL DEFAULT 'GREEN' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    created_at     @time NOT NULL,
    updated_at     @time NOT NULL
);

CREATE TABLE organisation_roles (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    role   TEXT NOT NULL,
    PRIMARY KEY (org_id, role)
);
CREATE INDEX organisation_roles_by_role ON organisation_roles (role, org_id);

-- A contact is never rewritten: a change closes the current row (valid_to)
-- and opens a new one, so the history shows who was the contact when.
CREATE TABLE security_contacts (
    id         @id,
    org_id     BIGINT NOT NULL REFERENCES organisations (id),
    label      TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    pgp_key    TEXT NOT NULL DEFAULT '',
    valid_from @time NOT NULL,
    valid_to   @time,
    changed_by TEXT NOT NULL
);
CREATE UNIQUE INDEX security_contacts_current ON security_contacts (org_id, label) WHERE valid_to IS NULL;
CREATE INDEX security_contacts_history ON security_contacts (org_id, valid_from);

CREATE TABLE users (
    id                  @id,
    org_id              BIGINT NOT NULL REFERENCES organisations (id),
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    red_cleared         BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_secret          TEXT,
    mfa_enrolled_at     @time,
    mfa_last_step       BIGINT NOT NULL DEFAULT 0,
    disabled_at         @time,
    created_at          @time NOT NULL,
    password_changed_at @time NOT NULL
);
CREATE INDEX users_by_org ON users (org_id);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- A second factor being set up: it replaces users.mfa_secret only once a
-- code from it has been seen.
CREATE TABLE mfa_pending (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    secret     TEXT NOT NULL,
    created_at @time NOT NULL
);

-- Sessions and tokens are stored as SHA-256 hashes of the secret the client
-- holds, so a copy of the database signs no one in.
CREATE TABLE sessions (
    id_hash      @bytes PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    csrf         TEXT NOT NULL,
    mfa_passed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   @time NOT NULL,
    expires_at   @time NOT NULL,
    last_seen_at @time NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           @id,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         @bytes NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   @time NOT NULL,
    expires_at   @time NOT NULL,
    revoked_at   @time,
    last_used_at @time
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- Who a classified record names: organisations (AMBER) and people (RED).
-- record_kind is the record's table, record_id its id.
CREATE TABLE audience_orgs (
    record_kind TEXT NOT NULL,
    record_id   BIGINT NOT NULL,
    org_id      BIGINT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (record_kind, record_id, org_id)
);
CREATE INDEX audience_orgs_by_org ON audience_orgs (org_id, record_kind);

CREATE TABLE audience_users (
    record_kind TEXT NOT NULL,
    record_id   BIGINT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (record_kind, record_id, user_id)
);
CREATE INDEX audience_users_by_user ON audience_users (user_id, record_kind);

-- The audit trail: each row's hash covers its fields and the previous row's
-- hash. audit_head holds the last link, so deleting rows from the end shows
-- too, and writers take it in turn (its one row is locked by the UPDATE).
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            @time NOT NULL,
    actor_user_id BIGINT,
    actor_org_id  BIGINT,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    digest        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_by_object ON audit_log (object_type, object_id);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
