-- Failed sign-ins and second-factor codes, counted in a sliding window by
-- account, address and session (internal/account). They lived in each
-- server's memory, so behind a load balancer an attacker got the limit once
-- per server; in the database every server counts the same failures. Rows
-- older than the window are pruned as new failures are written.
CREATE TABLE signin_failures (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    @time NOT NULL
);
CREATE INDEX signin_failures_by_key ON signin_failures (scope, key, at);
CREATE INDEX signin_failures_by_time ON signin_failures (at);
