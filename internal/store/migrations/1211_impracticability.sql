-- "Wherever it is practicable" (G3.20; issue 13 point 10): a Supplier
-- records, per manufacturer, why an arrangement to be notified of
-- vulnerabilities is not practicable, with evidence; the SSC accepts or
-- rejects it (sec.ImpracticableLifecycle), and only an accepted one, from the
-- day decided until the day withdrawn, changes the Supplier's coverage (its
-- own status, apart from Gap and Reasonable steps). RED by default: the
-- Supplier's people cleared for RED, the SSC members and the secretariat
-- (audience_users, kind 'impracticability'); the manufacturer is not named.
CREATE TABLE impracticabilities (
    id              @id,
    reference       TEXT NOT NULL UNIQUE,
    supplier_id     BIGINT NOT NULL REFERENCES organisations (id),
    manufacturer_id BIGINT NOT NULL REFERENCES organisations (id),
    reason          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('recorded', 'accepted', 'rejected', 'withdrawn')),
    classification  TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    recorded_on     DATE NOT NULL,
    decided_on      DATE,
    decided_by      TEXT NOT NULL DEFAULT '',
    decision_note   TEXT NOT NULL DEFAULT '',
    withdrawn_on    DATE,
    created_at      @time NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      @time NOT NULL,
    CHECK (supplier_id <> manufacturer_id),
    CHECK (decided_on IS NULL OR decided_on >= recorded_on),
    CHECK (withdrawn_on IS NULL OR withdrawn_on >= recorded_on)
);
CREATE INDEX impracticabilities_by_supplier ON impracticabilities (supplier_id, manufacturer_id);

-- Evidence files, as for arrangements (internal/evidence): hashed, typed by
-- content, stored with the record whose visibility they share.
CREATE TABLE impracticability_evidence (
    id                  @id,
    impracticability_id BIGINT NOT NULL REFERENCES impracticabilities (id),
    name                TEXT NOT NULL,
    media_type          TEXT NOT NULL,
    size                BIGINT NOT NULL,
    sha256              TEXT NOT NULL,
    content             @bytes NOT NULL,
    uploaded_at         @time NOT NULL,
    uploaded_by         TEXT NOT NULL,
    UNIQUE (impracticability_id, sha256)
);

-- Coverage snapshots count the Devices under an accepted record apart.
ALTER TABLE coverage_snapshots ADD COLUMN impracticable BIGINT NOT NULL DEFAULT 0;
