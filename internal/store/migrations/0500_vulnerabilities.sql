-- Vulnerability coordination: reported vulnerabilities, their affected
-- firmware, who was told (recipients, each a classified record of its own),
-- the timeline, and the Suppliers' rectification plans to the SSC.

-- One row per year hands out MSV-YYYY-NNNN references; taking the row in the
-- reporting transaction serialises reports on PostgreSQL.
CREATE TABLE vuln_refs (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- A vulnerability in one manufacturer's products. material is NULL until
-- judged (triage or mark_not_material). cves is a comma-separated, sorted
-- list. revision counts changes to what the vulnerability says (CSAF
-- revision history); fanout_at is when the recipients last changed.
CREATE TABLE vulnerabilities (
    id                    @id,
    ref                   TEXT NOT NULL UNIQUE,
    title                 TEXT NOT NULL,
    description           TEXT NOT NULL,
    mitigation            TEXT NOT NULL DEFAULT '',
    reporter_id           BIGINT NOT NULL REFERENCES organisations (id),
    manufacturer_id       BIGINT NOT NULL REFERENCES organisations (id),
    state                 TEXT NOT NULL,
    material              BOOLEAN,
    materiality_rationale TEXT NOT NULL DEFAULT '',
    cvss_vector           TEXT NOT NULL DEFAULT '',
    cvss_version          TEXT NOT NULL DEFAULT '',
    cvss_score            DOUBLE PRECISION NOT NULL DEFAULT 0,
    cvss_severity         TEXT NOT NULL DEFAULT '',
    cves                  TEXT NOT NULL DEFAULT '',
    classification        TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    discovered_on         DATE,
    reported_on           DATE NOT NULL,
    source                TEXT NOT NULL DEFAULT '',
    import_report         TEXT NOT NULL DEFAULT '',
    revision              INTEGER NOT NULL DEFAULT 1,
    fanout_at             @time,
    created_at            @time NOT NULL,
    updated_at            @time NOT NULL
);
CREATE INDEX vulnerabilities_by_state ON vulnerabilities (state);
CREATE INDEX vulnerabilities_by_manufacturer ON vulnerabilities (manufacturer_id);

-- Affected firmware ranges per model, in the catalogue's version order
-- (catalogue.Range). Bounds are the firmware text, '' for "not given".
CREATE TABLE vuln_ranges (
    id            @id,
    vuln_id       BIGINT NOT NULL REFERENCES vulnerabilities (id),
    model_id      BIGINT NOT NULL REFERENCES device_models (id),
    introduced    TEXT NOT NULL DEFAULT '',
    fixed         TEXT NOT NULL DEFAULT '',
    last_affected TEXT NOT NULL DEFAULT ''
);
CREATE INDEX vuln_ranges_by_vuln ON vuln_ranges (vuln_id);

-- The affected firmware the ranges select from the catalogue, kept so the
-- fan-out is one join with the portfolio aggregates.
CREATE TABLE vuln_firmware (
    vuln_id     BIGINT NOT NULL REFERENCES vulnerabilities (id),
    firmware_id BIGINT NOT NULL REFERENCES firmware_versions (id),
    model_id    BIGINT NOT NULL REFERENCES device_models (id),
    PRIMARY KEY (vuln_id, firmware_id)
);

-- The fan-out reads the portfolio aggregates (0200, the estate's) of the
-- affected firmware; this index covers that read on both engines.
CREATE INDEX portfolio_by_firmware ON portfolio (firmware_id, supplier_id, map_id, devices);

-- Who must be told, one row per organisation and role. Each row is a
-- classified record (kind vuln_recipient) whose audience is its organisation
-- and the manufacturer, never the other recipients. devices counts the
-- affected Devices the organisation answers for (its own counts only). An
-- inactive row is a recipient that no longer operates affected Devices: it
-- keeps its history and gets no new notices; if it takes on affected Devices
-- again it is active again (activations counts how often) and is told again
-- (notified_for is the activation it was last told for).
CREATE TABLE vuln_recipients (
    id                @id,
    vuln_id           BIGINT NOT NULL REFERENCES vulnerabilities (id),
    org_id            BIGINT NOT NULL REFERENCES organisations (id),
    role              TEXT NOT NULL CHECK (role IN ('manufacturer', 'supplier', 'map', 'dcc', 'ssc')),
    classification    TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    devices           BIGINT NOT NULL DEFAULT 0,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    activations       INTEGER NOT NULL DEFAULT 1,
    notified_for      INTEGER NOT NULL DEFAULT 0,
    added_at          @time NOT NULL,
    inactive_since    @time,
    first_notified_at @time,
    last_notified_at  @time,
    notices           INTEGER NOT NULL DEFAULT 0,
    seen_at           @time,
    seen_by           BIGINT REFERENCES users (id),
    acknowledged_at   @time,
    acknowledged_by   BIGINT REFERENCES users (id),
    statement         TEXT NOT NULL DEFAULT '' CHECK (statement IN ('', 'affected', 'not_affected', 'under_investigation')),
    justification     TEXT NOT NULL DEFAULT '',
    statement_at      @time,
    reminders         INTEGER NOT NULL DEFAULT 0,
    last_reminded_at  @time,
    UNIQUE (vuln_id, org_id, role)
);
CREATE INDEX vuln_recipients_by_org ON vuln_recipients (org_id, vuln_id);

-- The timeline. recipient_id or plan_id tie an entry to a record with its
-- own audience: its note and actor are shown only to those who may see that
-- record.
CREATE TABLE vuln_events (
    id            @id,
    vuln_id       BIGINT NOT NULL REFERENCES vulnerabilities (id),
    at            @time NOT NULL,
    kind          TEXT NOT NULL,
    event         TEXT NOT NULL DEFAULT '',
    from_state    TEXT NOT NULL DEFAULT '',
    to_state      TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    recipient_id  BIGINT REFERENCES vuln_recipients (id),
    plan_id       BIGINT,
    private       BOOLEAN NOT NULL DEFAULT FALSE,
    actor_as      TEXT NOT NULL DEFAULT '',
    actor_org_id  BIGINT REFERENCES organisations (id),
    actor_user_id BIGINT REFERENCES users (id),
    actor_name    TEXT NOT NULL DEFAULT '',
    revision      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX vuln_events_by_vuln ON vuln_events (vuln_id, at);

-- A Supplier's (or the DCC's) notice to the SSC of the steps it is taking
-- and when they will be complete (G3.18, G3.9). AMBER: the owner and the SSC.
CREATE TABLE vuln_plans (
    id                  @id,
    vuln_id             BIGINT NOT NULL REFERENCES vulnerabilities (id),
    org_id              BIGINT NOT NULL REFERENCES organisations (id),
    state               TEXT NOT NULL,
    classification      TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    steps               TEXT NOT NULL,
    declared_completion DATE,
    next_update_due     DATE,
    ssc_note            TEXT NOT NULL DEFAULT '',
    revision            INTEGER NOT NULL DEFAULT 0,
    submitted_at        @time,
    completed_at        @time,
    overdue_since       @time,
    escalations         INTEGER NOT NULL DEFAULT 0,
    created_at          @time NOT NULL,
    updated_at          @time NOT NULL,
    UNIQUE (vuln_id, org_id)
);
CREATE INDEX vuln_plans_by_state ON vuln_plans (state);

-- Every change to a plan, with its reason: the history the SSC reviews.
CREATE TABLE vuln_plan_revisions (
    id                  @id,
    plan_id             BIGINT NOT NULL REFERENCES vuln_plans (id),
    at                  @time NOT NULL,
    event               TEXT NOT NULL,
    state               TEXT NOT NULL,
    revision            INTEGER NOT NULL,
    steps               TEXT NOT NULL DEFAULT '',
    declared_completion DATE,
    next_update_due     DATE,
    reason              TEXT NOT NULL DEFAULT '',
    actor_name          TEXT NOT NULL DEFAULT '',
    actor_org_id        BIGINT REFERENCES organisations (id)
);
CREATE INDEX vuln_plan_revisions_by_plan ON vuln_plan_revisions (plan_id, id);
