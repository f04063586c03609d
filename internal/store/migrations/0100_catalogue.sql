-- The catalogue (a Central Products List): Device models of each manufacturer,
-- their firmware versions, and the CPA certificates that let them be installed.

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
    updated_at       @time NOT NULL,
    UNIQUE (manufacturer_id, code)
);

CREATE TABLE firmware_versions (
    id         @id,
    model_id   BIGINT NOT NULL REFERENCES device_models (id),
    version    TEXT NOT NULL,
    released   DATE,
    image_hash TEXT NOT NULL DEFAULT '',
    created_at @time NOT NULL,
    UNIQUE (model_id, version)
);

-- A CPA certificate for one firmware of a model. Expiring certificates have
-- an expiry date; lifetime ones (MP209) a renewal date. A conditional
-- certificate carries conditions to close by a date.
CREATE TABLE cpa_certificates (
    id             @id,
    model_id       BIGINT NOT NULL REFERENCES device_models (id),
    firmware_id    BIGINT NOT NULL REFERENCES firmware_versions (id),
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
    UNIQUE (firmware_id, reference)
);
CREATE INDEX cpa_certificates_by_model ON cpa_certificates (model_id);
