-- Single sign-on (OpenID Connect): an identity at an identity provider, named
-- by the provider's issuer URL and its subject for the person (OIDC Core
-- 2: "iss" and "sub" together are the only stable, unique key), linked by an
-- administrator to one existing account (internal/account). Signing in with
-- an identity that no row names is refused: accounts are never created from a
-- token. One account may have identities at several providers.
CREATE TABLE oidc_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    linked_at  @time NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_by_user ON oidc_identities (user_id);
