-- Notification arrangements (SEC G3.20): contracts and letters of intent
-- between Suppliers, MAPs and manufacturers, churn contracts, and
-- manufacturers' enrolments in the SSC scheme; their evidence files; the
-- in-app alerts they raise; and monthly snapshots of each Supplier's coverage.

-- One arrangement between two parties (or, for the SSC scheme, a manufacturer
-- and the SSC). Which party columns are set depends on kind (see
-- internal/arrangement/kind.go). Dates are inclusive: in force from effective
-- to expires (NULL: open-ended) unless ended earlier (terminated: in force
-- until the day before ended).
CREATE TABLE arrangements (
    id              @id,
    reference       TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('supplier_manufacturer', 'supplier_map', 'map_manufacturer', 'churn', 'letter_of_intent', 'ssc_scheme')),
    title           TEXT NOT NULL DEFAULT '',
    supplier_id     BIGINT REFERENCES organisations (id),
    map_id          BIGINT REFERENCES organisations (id),
    manufacturer_id BIGINT REFERENCES organisations (id),
    all_models      BOOLEAN NOT NULL,
    materiality     TEXT NOT NULL DEFAULT '',
    sec_version     TEXT,
    legacy          BOOLEAN NOT NULL DEFAULT FALSE,
    signed          DATE NOT NULL,
    effective       DATE NOT NULL,
    expires         DATE,
    ended           DATE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'ended')),
    classification  TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    confirmed_at    @time,
    confirmed_by    TEXT NOT NULL DEFAULT '',
    created_at      @time NOT NULL,
    updated_at      @time NOT NULL,
    CHECK (expires IS NULL OR expires >= effective),
    CHECK (ended IS NULL OR ended >= effective)
);
CREATE INDEX arrangements_by_supplier ON arrangements (supplier_id);
CREATE INDEX arrangements_by_map ON arrangements (map_id);
CREATE INDEX arrangements_by_manufacturer ON arrangements (manufacturer_id);

-- The models an arrangement covers when it does not cover all of them.
CREATE TABLE arrangement_models (
    arrangement_id BIGINT NOT NULL REFERENCES arrangements (id),
    model_id       BIGINT NOT NULL REFERENCES device_models (id),
    PRIMARY KEY (arrangement_id, model_id)
);
CREATE INDEX arrangement_models_by_model ON arrangement_models (model_id);

-- Evidence files live in the database, beside the arrangement they prove:
-- they are few and small (at most 10 MiB each), they commit or roll back with
-- the arrangement, their visibility is the arrangement's (a SQL condition),
-- and `metersec backup` copies them with everything else.
CREATE TABLE arrangement_evidence (
    id             @id,
    arrangement_id BIGINT NOT NULL REFERENCES arrangements (id),
    name           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    content        @bytes NOT NULL,
    uploaded_at    @time NOT NULL,
    uploaded_by    TEXT NOT NULL,
    UNIQUE (arrangement_id, sha256)
);

-- In-app alerts (until the delivery service carries them): one row per
-- recipient organisation and event. AMBER by default: the recipient and the
-- SSC see it.
CREATE TABLE arrangement_alerts (
    id             @id,
    org_id         BIGINT NOT NULL REFERENCES organisations (id),
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    link           TEXT NOT NULL DEFAULT '',
    record_kind    TEXT NOT NULL DEFAULT '',
    record_id      BIGINT NOT NULL DEFAULT 0,
    classification TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    alert_key      TEXT NOT NULL,
    created_at     @time NOT NULL,
    UNIQUE (alert_key, org_id)
);
CREATE INDEX arrangement_alerts_by_org ON arrangement_alerts (org_id, created_at);

-- A Supplier's G3.20 coverage per model as it stood when last computed in a
-- month, so the SSC can follow it month to month. Device counts by status.
CREATE TABLE coverage_snapshots (
    supplier_id     BIGINT NOT NULL REFERENCES organisations (id),
    month           TEXT NOT NULL,
    model_id        BIGINT NOT NULL,
    manufacturer_id BIGINT NOT NULL,
    taken_on        DATE NOT NULL,
    status          TEXT NOT NULL,
    covered         BIGINT NOT NULL,
    steps           BIGINT NOT NULL,
    gap             BIGINT NOT NULL,
    dcc             BIGINT NOT NULL,
    exempt          BIGINT NOT NULL,
    PRIMARY KEY (supplier_id, month, model_id)
);
CREATE INDEX coverage_snapshots_by_month ON coverage_snapshots (month);

-- Two indexes on the estate's aggregate tables, for coverage (the estate
-- keeps the rows; coverage only reads them):
-- portfolio_cells lets coverage sum a Supplier's Devices over firmware by
-- (model, MAP) straight from the index, in order, with no sort;
-- portfolio_inherited_window answers, for each (Supplier, model, MAP) that no
-- arrangement covers, how many inherited Devices are still inside their
-- churn window: a seek and a short range per cell, from the index alone (the
-- primary key has the same order but, on SQLite, not the count).
CREATE INDEX portfolio_cells ON portfolio (supplier_id, model_id, map_id, devices);
CREATE INDEX portfolio_inherited_window ON portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices);
