-- SMETS1 enrolment. v5.20 brought in User obligations for *enrolled* SMETS1
-- Devices (seeds/001): before its enrolment date, or without one, no User
-- carries G3.17(b) or G3.20(b) for a SMETS1 Device. enrolled_on is NULL for
-- SMETS2+ Devices and for SMETS1 Devices never enrolled.
ALTER TABLE devices ADD COLUMN enrolled_on DATE;

-- Installed enrolled SMETS1 Devices by Supplier, model, MAP, enrolment day
-- and, for Devices inherited on a change of supplier, the day their supply
-- began (inherited_from; '0001-01-01' for Devices not inherited). Coverage on
-- a day counts from it the enrolled Devices of a cell, and those of them
-- inside the churn window, without reading Devices. Kept exact with
-- portfolio in the same transaction as every import, churn, transfer and
-- status change. SMETS1 Devices only, so it stays small beside portfolio.
CREATE TABLE portfolio_enrolled (
    supplier_id    BIGINT NOT NULL,
    model_id       BIGINT NOT NULL,
    map_id         BIGINT NOT NULL DEFAULT 0,
    enrolled_on    DATE NOT NULL,
    inherited_from DATE NOT NULL,
    devices        BIGINT NOT NULL,
    PRIMARY KEY (supplier_id, model_id, map_id, enrolled_on, inherited_from)
);
