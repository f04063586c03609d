-- The SSC's risk register: risks with owner, likelihood, impact, treatment
-- and review date; the Likelihood Definitions (label, description,
-- probability band) and the scoring bands, which are data the SSC edits;
-- and the history of every change to them (who, when, old and new value;
-- a risk's entries name it, so they are shown only to those who may see it).
-- Risks are AMBER to the SSC by default (audience kind "risk"). The
-- defaults below are DOMAIN.md §7's ASSUMPTION (common 5×5 practice, not
-- the SSC's own values, which are not public). internal/risk owns these
-- tables.
CREATE TABLE ssc_risks (
    id              @id,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL,
    likelihood      INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact          INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
    treatment       TEXT NOT NULL DEFAULT '',
    review_date     DATE NOT NULL,
    classification  TEXT NOT NULL DEFAULT 'AMBER' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    meeting_item_id BIGINT,
    created_at      @time NOT NULL,
    updated_at      @time NOT NULL
);

CREATE TABLE risk_likelihoods (
    level       INTEGER PRIMARY KEY CHECK (level BETWEEN 1 AND 5),
    label       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    min_pct     DOUBLE PRECISION NOT NULL,
    max_pct     DOUBLE PRECISION NOT NULL,
    CHECK (min_pct >= 0 AND max_pct <= 100 AND min_pct < max_pct)
);
INSERT INTO risk_likelihoods (level, label, description, min_pct, max_pct) VALUES
    (1, 'Rare', 'May occur only in exceptional circumstances', 0, 5),
    (2, 'Unlikely', 'Could occur at some time', 5, 20),
    (3, 'Possible', 'Might occur at some time', 20, 50),
    (4, 'Likely', 'Will probably occur in most circumstances', 50, 80),
    (5, 'Almost certain', 'Is expected to occur in most circumstances', 80, 100);

CREATE TABLE risk_bands (
    name      TEXT PRIMARY KEY,
    min_score INTEGER NOT NULL,
    max_score INTEGER NOT NULL,
    colour    TEXT NOT NULL,
    CHECK (min_score >= 1 AND max_score <= 25 AND min_score <= max_score)
);
INSERT INTO risk_bands (name, min_score, max_score, colour) VALUES
    ('Low', 1, 4, '#2e7d32'),
    ('Medium', 5, 9, '#f9a825'),
    ('High', 10, 16, '#ef6c00'),
    ('Very High', 17, 25, '#c62828');

CREATE TABLE risk_history (
    id        @id,
    at        @time NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('risk', 'likelihood', 'band')),
    item      TEXT NOT NULL,
    risk_id   BIGINT REFERENCES ssc_risks (id),
    field     TEXT NOT NULL,
    old_value TEXT NOT NULL DEFAULT '',
    new_value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX risk_history_by_item ON risk_history (kind, item, id);
