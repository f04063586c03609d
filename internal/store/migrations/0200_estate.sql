-- The installed estate: every Device, who is responsible for it on any date,
-- and the portfolio aggregates that answer estate-wide questions without
-- scanning Devices. The aggregates are kept exact in the same transaction as
-- every import, churn, firmware change and status change.

-- id is the EUI-64 Device ID's 64 bits read as a signed integer (SQLite's
-- INTEGER PRIMARY KEY is then the row id itself). supplier_id and
-- supply_start describe the current supply period; closed periods live in
-- supply_periods.
CREATE TABLE devices (
--sqlite:    id             INTEGER PRIMARY KEY,
--postgres:  id             BIGINT PRIMARY KEY,
    model_id       BIGINT NOT NULL REFERENCES device_models (id),
    firmware_id    BIGINT NOT NULL REFERENCES firmware_versions (id),
    map_id         BIGINT REFERENCES organisations (id),
    premises       TEXT NOT NULL CHECK (premises IN ('domestic', 'non_domestic')),
    status         TEXT NOT NULL DEFAULT 'installed' CHECK (status IN ('installed', 'removed', 'in_triage', 'disposed')),
    supplier_id    BIGINT REFERENCES organisations (id),
    supply_start   DATE NOT NULL,
    inherited      BOOLEAN NOT NULL DEFAULT FALSE,
    firmware_since DATE NOT NULL
);
CREATE INDEX devices_by_supplier ON devices (supplier_id);

-- Closed supply periods [start, end): the Responsible Supplier before the
-- current one.
CREATE TABLE supply_periods (
    device_id   BIGINT NOT NULL,
    start       DATE NOT NULL,
    "end"       DATE NOT NULL,
    supplier_id BIGINT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (device_id, start)
);

-- Firmware a Device ran before its current firmware.
CREATE TABLE firmware_history (
    device_id   BIGINT NOT NULL,
    since       DATE NOT NULL,
    until       DATE NOT NULL,
    firmware_id BIGINT NOT NULL REFERENCES firmware_versions (id),
    PRIMARY KEY (device_id, since)
);

-- Installed Devices by (Supplier, model, firmware, MAP); map_id 0 means no
-- MAP. generation and device_type repeat the model's, so estate-wide
-- questions group without a join.
CREATE TABLE portfolio (
    supplier_id BIGINT NOT NULL,
    model_id    BIGINT NOT NULL,
    firmware_id BIGINT NOT NULL,
    map_id      BIGINT NOT NULL DEFAULT 0,
    generation  TEXT NOT NULL,
    device_type TEXT NOT NULL,
    devices     BIGINT NOT NULL,
    PRIMARY KEY (supplier_id, model_id, firmware_id, map_id)
);
CREATE INDEX portfolio_by_model ON portfolio (model_id, supplier_id);

-- Installed Devices a Supplier inherited by churn, by the day its supply
-- began: G3.20 coverage gives inherited Devices a window from that day.
CREATE TABLE portfolio_inherited (
    supplier_id  BIGINT NOT NULL,
    model_id     BIGINT NOT NULL,
    map_id       BIGINT NOT NULL DEFAULT 0,
    supply_start DATE NOT NULL,
    devices      BIGINT NOT NULL,
    PRIMARY KEY (supplier_id, model_id, map_id, supply_start)
);

-- Changes of supplier by month, for the SSC's standing reports.
CREATE TABLE churn_monthly (
    month         TEXT NOT NULL,
    from_supplier BIGINT NOT NULL,
    to_supplier   BIGINT NOT NULL,
    devices       BIGINT NOT NULL,
    PRIMARY KEY (month, from_supplier, to_supplier)
);
