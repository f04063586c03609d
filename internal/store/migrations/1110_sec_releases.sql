-- SEC releases and modifications (internal/release): the release history the
-- date-based rules rest on, as data the secretariat keeps, with the history
-- of every change; and the modifications register with the rule changes each
-- makes and the release that implements it. While sec_releases is empty the
-- table shipped in the binary (internal/release/releases.csv) applies.
CREATE TABLE sec_releases (
    version   TEXT PRIMARY KEY,
    effective DATE NOT NULL UNIQUE,
    public    BOOLEAN NOT NULL,
    source    TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT ''
);

-- Each import replaces the table whole; the table as it was before is kept
-- here as CSV, with who changed it, when and why.
CREATE TABLE sec_release_history (
    id          @id,
    changed_at  @time NOT NULL,
    changed_by  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    previous    TEXT NOT NULL,
    current     TEXT NOT NULL
);

CREATE TABLE sec_modifications (
    ref        TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    stage      TEXT NOT NULL,
    release    TEXT,
    effect     TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT '',
    updated_at @time NOT NULL
);
