-- The catalogue (a Central Products List): Device models of each manufacturer,
-- their firmware versions, and the CPA certificates that let them be installed.

-- A model is seen by every signed-in user (GREEN, the default) or kept AMBER
-- by its manufacturer: then manufacturer_id is its AMBER audience, with the
-- SSC and secretariat. Codes are unique per manufacturer ignoring case:
-- GBCS writes model identifiers as hex, and "4a1f" and "4A1F" are one model.
CREATE TABLE device_models (
    id               @id,
    manufacturer_id  BIGINT NOT NULL REFERENCES organisations (id),
    code             TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    device_type      TEXT NOT NULL CHECK (device_type IN ('ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'HCALCS', 'IHD')),
    generation       TEXT NOT NULL CHECK (generation IN ('SMETS1', 'SMETS2+')),
    hardware_version TEXT NOT NULL DEFAULT '',
    classification   TEXT NOT NULL DEFAULT 'GREEN' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    created_at       @time NOT NULL,
    updated_at       @time NOT NULL
);
CREATE UNIQUE INDEX device_models_code ON device_models (manufacturer_id, lower(code));
CREATE INDEX device_models_by_type ON device_models (device_type, generation);

-- version is the text as the manufacturer writes it; the catalogue's order
-- of versions (catalogue.Compare) is applied in Go, as SQL cannot express it.
CREATE TABLE firmware_versions (
    id         @id,
    model_id   BIGINT NOT NULL REFERENCES device_models (id),
    version    TEXT NOT NULL,
    released   DATE,
    image_hash TEXT NOT NULL DEFAULT '',
    created_at @time NOT NULL,
    updated_at @time NOT NULL,
    UNIQUE (model_id, version)
);

-- A CPA certificate of a model, covering one or more of its firmware versions
-- (cpa_certificate_firmware). Expiring certificates have an expiry date;
-- lifetime ones (MP209) a renewal date. A conditional certificate carries
-- conditions to close by a date (DOMAIN.md §5, ASSUMPTION).
CREATE TABLE cpa_certificates (
    id             @id,
    model_id       BIGINT NOT NULL REFERENCES device_models (id),
    reference      TEXT NOT NULL,
    issued         DATE NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('expiring', 'lifetime')),
    expires        DATE,
    renewal        DATE,
    conditional    BOOLEAN NOT NULL DEFAULT FALSE,
    conditions     TEXT NOT NULL DEFAULT '',
    conditions_due DATE,
    withdrawn      DATE,
    created_at     @time NOT NULL,
    updated_at     @time NOT NULL,
    UNIQUE (model_id, reference),
    CHECK ((kind = 'expiring' AND expires IS NOT NULL AND renewal IS NULL) OR
           (kind = 'lifetime' AND renewal IS NOT NULL AND expires IS NULL)),
    CHECK (conditional = FALSE OR conditions_due IS NOT NULL)
);

CREATE TABLE cpa_certificate_firmware (
    certificate_id BIGINT NOT NULL REFERENCES cpa_certificates (id),
    firmware_id    BIGINT NOT NULL REFERENCES firmware_versions (id),
    PRIMARY KEY (certificate_id, firmware_id)
);
CREATE INDEX cpa_certificate_firmware_by_firmware ON cpa_certificate_firmware (firmware_id);
