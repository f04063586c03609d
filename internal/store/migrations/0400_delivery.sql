-- Delivery: the in-app inbox (notices), organisations' webhook endpoints,
-- and the outbox of email and webhook jobs written in the same transaction
-- as the change that causes them.

-- A notice is one organisation's copy of something it must be told. It is a
-- classified record whose audience is its organisation (never RED: RED
-- content goes to named people, not to an organisation's inbox).
CREATE TABLE notices (
    id              @id,
    org_id          BIGINT NOT NULL REFERENCES organisations (id),
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    link            TEXT NOT NULL DEFAULT '',
    record_kind     TEXT NOT NULL DEFAULT '',
    record_id       BIGINT NOT NULL DEFAULT 0,
    classification  TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER')),
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      @time NOT NULL
);
CREATE INDEX notices_by_org ON notices (org_id, id);
CREATE INDEX notices_by_record ON notices (record_kind, record_id);

-- Who has read which notice; a row is written once, the first time.
CREATE TABLE notice_reads (
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    user_id   BIGINT NOT NULL REFERENCES users (id),
    read_at   @time NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);

-- The secret is kept as is because signing needs it; it is shown once, when
-- made, and never listed or logged. After a rotation calls are signed with
-- the old secret too until old_secret_until, so the receiver can switch over
-- without refusing a call.
CREATE TABLE webhook_endpoints (
    id               @id,
    org_id           BIGINT NOT NULL REFERENCES organisations (id),
    url              TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    secret           TEXT NOT NULL,
    old_secret       TEXT NOT NULL DEFAULT '',
    old_secret_until @time,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       @time NOT NULL,
    created_by       TEXT NOT NULL,
    disabled_at      @time,
    last_success_at  @time,
    last_failure_at  @time,
    last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (org_id);

-- The outbox. A job is pending until a worker claims it; while sending,
-- next_attempt_at is the end of the worker's lease, so a job whose worker
-- died is due again once the lease runs out. locked_by names the claim, so a
-- worker whose lease expired cannot overwrite the outcome of the next one.
-- idempotency_key makes enqueueing twice a no-op and is what the reader's
-- systems see (hashed) as Message-ID and Idempotency-Key.
CREATE TABLE delivery_jobs (
    id              @id,
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    org_id          BIGINT REFERENCES organisations (id),
    email           TEXT NOT NULL DEFAULT '',
    endpoint_id     BIGINT REFERENCES webhook_endpoints (id),
    notice_id       BIGINT REFERENCES notices (id),
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    html            TEXT NOT NULL DEFAULT '',
    link            TEXT NOT NULL DEFAULT '',
    classification  TEXT NOT NULL DEFAULT 'AMBER',
    data            TEXT NOT NULL DEFAULT '',
    record_kind     TEXT NOT NULL DEFAULT '',
    record_id       BIGINT NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at @time NOT NULL,
    locked_by       TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      @time NOT NULL,
    delivered_at    @time,
    CHECK ((channel = 'email' AND email <> '') OR (channel = 'webhook' AND endpoint_id IS NOT NULL))
);
-- Claiming reads due jobs oldest first: this index gives them in that order
-- whatever their state, so a claim reads only the rows it takes (an index on
-- (state, next_attempt_at) would make every claim sort the whole backlog).
-- Delivered jobs are the bulk of the table and never looked for by state, so
-- the indexes leave them out.
CREATE INDEX delivery_jobs_due ON delivery_jobs (next_attempt_at, id) WHERE state IN ('pending', 'sending');
-- For the operators' counts. Channel first, so that the planner never takes
-- it for the claim (which does not name a channel) and sorts the backlog.
CREATE INDEX delivery_jobs_undelivered ON delivery_jobs (channel, state) WHERE state <> 'delivered';
CREATE INDEX delivery_jobs_by_endpoint ON delivery_jobs (endpoint_id) WHERE state IN ('pending', 'sending');
CREATE INDEX delivery_jobs_by_record ON delivery_jobs (record_kind, record_id);
CREATE INDEX delivery_jobs_by_notice ON delivery_jobs (notice_id);
