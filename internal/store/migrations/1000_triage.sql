-- Triage facilities (MP203): a Triage Facility Provider's facilities, their
-- Triage Tools and Interfaces with the operators allowed on each, and the
-- append-only asset record of every Triage Activity, hash-chained per
-- facility. Owned by internal/triage.

-- head_seq and head_hash are the last link of the facility's record: taking
-- the row (UPDATE … RETURNING) serialises writers of one facility, and
-- deleting entries from the end shows against it. assessment_id names the
-- assurance area's assessment (no foreign key until that area lands).
CREATE TABLE triage_facilities (
    id            @id,
    provider_id   BIGINT NOT NULL REFERENCES organisations (id),
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'applied',
    breach_policy TEXT NOT NULL DEFAULT 'block' CHECK (breach_policy IN ('block', 'allow')),
    assessment_id BIGINT,
    decision_note TEXT NOT NULL DEFAULT '',
    head_seq      BIGINT NOT NULL DEFAULT 0,
    head_hash     TEXT NOT NULL,
    created_at    @time NOT NULL,
    updated_at    @time NOT NULL
);
CREATE INDEX triage_facilities_by_provider ON triage_facilities (provider_id);

-- Triage Tools and Triage Interfaces, by serial within a facility.
CREATE TABLE triage_tools (
    id          @id,
    facility_id BIGINT NOT NULL REFERENCES triage_facilities (id),
    category    TEXT NOT NULL CHECK (category IN ('tool', 'interface')),
    serial      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    firmware    TEXT NOT NULL DEFAULT '',
    created_at  @time NOT NULL,
    retired_at  @time,
    UNIQUE (facility_id, serial)
);

-- The operators (users of the provider) allowed on each tool or interface.
CREATE TABLE triage_tool_operators (
    tool_id    BIGINT NOT NULL REFERENCES triage_tools (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    granted_at @time NOT NULL,
    PRIMARY KEY (tool_id, user_id)
);

-- The record: one row per Triage Activity, never updated or deleted. hash
-- covers every column and prev_hash, the hash of the entry before it in the
-- same facility. supplier_id (the Responsible Supplier when received) and
-- model_id decide who else may read an entry; they are hashed too. On
-- SQLite the table is clustered by its key, so verifying a facility reads one
-- range in order.
CREATE TABLE triage_entries (
    facility_id  BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    at           @time NOT NULL,
    device_id    BIGINT NOT NULL,
    step         TEXT NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    operator_id  BIGINT NOT NULL,
    operator     TEXT NOT NULL,
    tool_id      BIGINT NOT NULL,
    interface_id BIGINT NOT NULL,
    supplier_id  BIGINT NOT NULL,
    model_id     BIGINT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (facility_id, seq)
--sqlite: ) WITHOUT ROWID;
--postgres: );
-- A Device's history is found by its id; who may read it is a filter on
-- those few rows, so no index by Supplier (each index costs the intake).
CREATE INDEX triage_entries_by_device ON triage_entries (device_id, facility_id, seq);

-- Where each Device stands in triage now: one row per Device ever received,
-- moved on by each entry in the same transaction. The entries are the
-- record; this is their latest state, for the lifecycle and the reports.
CREATE TABLE triage_devices (
--sqlite:    device_id   INTEGER PRIMARY KEY,
--postgres:  device_id   BIGINT PRIMARY KEY,
    facility_id BIGINT NOT NULL REFERENCES triage_facilities (id),
    state       TEXT NOT NULL,
    supplier_id BIGINT NOT NULL,
    model_id    BIGINT NOT NULL,
    manufacturer_id BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    updated_at  @time NOT NULL
);
CREATE INDEX triage_devices_by_facility ON triage_devices (facility_id, state);
CREATE INDEX triage_devices_by_manufacturer ON triage_devices (manufacturer_id, model_id);

-- Every seal ever fitted: the number is unique across all facilities and,
-- since rows are never deleted, never reused.
CREATE TABLE triage_seals (
    seal        TEXT PRIMARY KEY,
    facility_id BIGINT NOT NULL REFERENCES triage_facilities (id),
    device_id   BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    fitted_at   @time NOT NULL
);
