-- User Systems (SEC G3.17(a), G3.20(a); SECMP0057), owned by
-- internal/usersystem. A User's User Systems: each with its name, what it
-- is, the days it is in service (from, to inclusive; to NULL while it still
-- is), and its ordinal among the User's User Systems (1 for the first, the
-- one its User Entry Process assessed). Each manufacturer or developer of
-- the system's hardware, software or firmware is one component row, with the
-- arrangement (internal/arrangement) the User relies on to be notified by it
-- under G3.20(a). Registering a second or subsequent User System is a
-- notification to the SSC (SECMP0057): one row per event, written with the
-- User System in one transaction.
--
-- RED by default (audience kinds "user_system" and "user_system_notice"):
-- the SSC members, the secretariat, the User's people cleared for RED and
-- the person who registered it are named; marked AMBER, the User's
-- organisation (org_id) and the SSC see it.
CREATE TABLE user_systems (
    id              @id,
    org_id          BIGINT NOT NULL REFERENCES organisations (id),
    ordinal         INTEGER NOT NULL CHECK (ordinal >= 1),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    in_service_from DATE NOT NULL,
    in_service_to   DATE,
    classification  TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    registered_on   DATE NOT NULL,
    registered_by   TEXT NOT NULL,
    created_at      @time NOT NULL,
    updated_at      @time NOT NULL,
    UNIQUE (org_id, ordinal),
    UNIQUE (org_id, name),
    CHECK (in_service_to IS NULL OR in_service_to >= in_service_from)
);

CREATE TABLE user_system_components (
    user_system_id  BIGINT NOT NULL REFERENCES user_systems (id),
    manufacturer_id BIGINT NOT NULL REFERENCES organisations (id),
    supplies        TEXT NOT NULL CHECK (supplies IN ('hardware', 'software', 'firmware', 'hardware_software')),
    component       TEXT NOT NULL DEFAULT '',
    arrangement_id  BIGINT REFERENCES arrangements (id),
    PRIMARY KEY (user_system_id, manufacturer_id)
);
CREATE INDEX user_system_components_by_arrangement ON user_system_components (arrangement_id);

CREATE TABLE user_system_notifications (
    id             @id,
    user_system_id BIGINT NOT NULL UNIQUE REFERENCES user_systems (id),
    org_id         BIGINT NOT NULL REFERENCES organisations (id),
    ordinal        INTEGER NOT NULL CHECK (ordinal >= 2),
    notified_on    DATE NOT NULL,
    first_use      DATE NOT NULL,
    on_time        BOOLEAN NOT NULL,
    classification TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    created_at     @time NOT NULL,
    acknowledged_at @time,
    acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_system_notifications_by_org ON user_system_notifications (org_id, id);
