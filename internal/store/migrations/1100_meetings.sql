-- SSC meetings (internal/meeting): meetings and who attended, agenda items
-- whose colour is their classification, the records they link, their papers,
-- decisions and actions, the pseudonyms the public headlines use, and the
-- minutes in versions.

-- A meeting is GREEN (signed-in users see that it happened) until its
-- headlines are published, when it becomes WHITE: the public pages show only
-- WHITE meetings, so an unpublished meeting answers exactly as a missing one.
CREATE TABLE meetings (
    id             @id,
    number         INTEGER NOT NULL UNIQUE CHECK (number > 0),
    held_on        DATE NOT NULL,
    starts         TEXT NOT NULL DEFAULT '',
    ends           TEXT NOT NULL DEFAULT '',
    place          TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('planned', 'held', 'minutes_approved')),
    classification TEXT NOT NULL DEFAULT 'GREEN' CHECK (classification IN ('WHITE', 'GREEN')),
    published_at   @time,
    next_meeting   DATE,
    created_at     @time NOT NULL,
    updated_at     @time NOT NULL
);
CREATE INDEX meetings_by_date ON meetings (held_on);

-- Attendance: SSC members and the secretariat present, and apologies. The
-- people present are the audience of the meeting's RED items (kept in
-- audience_users by the meeting service).
CREATE TABLE meeting_attendance (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    present    BOOLEAN NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

-- An agenda item. classification is its colour.
CREATE TABLE meeting_items (
    id             @id,
    meeting_id     BIGINT NOT NULL REFERENCES meetings (id),
    position       INTEGER NOT NULL,
    item_type      TEXT NOT NULL,
    classification TEXT NOT NULL CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL DEFAULT '',
    discussion     TEXT NOT NULL DEFAULT '',
    party_id       BIGINT REFERENCES organisations (id),
    created_at     @time NOT NULL,
    updated_at     @time NOT NULL,
    UNIQUE (meeting_id, position)
);
CREATE INDEX meeting_items_by_party ON meeting_items (party_id);

-- Records of other areas an item is about, by kind and key; each area
-- resolves its own kind (title and visibility) through meeting.RegisterLink.
CREATE TABLE meeting_item_links (
    item_id     BIGINT NOT NULL REFERENCES meeting_items (id),
    record_kind TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    PRIMARY KEY (item_id, record_kind, record_key)
);

-- Papers, stored beside the item like arrangement evidence: small, few, and
-- visible exactly when the item is.
CREATE TABLE meeting_papers (
    id          @id,
    item_id     BIGINT NOT NULL REFERENCES meeting_items (id),
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    content     @bytes NOT NULL,
    uploaded_at @time NOT NULL,
    uploaded_by TEXT NOT NULL,
    UNIQUE (item_id, sha256)
);

CREATE TABLE meeting_decisions (
    id         @id,
    item_id    BIGINT NOT NULL REFERENCES meeting_items (id),
    verb       TEXT NOT NULL CHECK (verb IN ('APPROVED', 'AGREED', 'NOTED')),
    body       TEXT NOT NULL DEFAULT '',
    created_at @time NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX meeting_decisions_by_item ON meeting_decisions (item_id);

-- Actions; an open one is carried into every later meeting's matters arising.
CREATE TABLE meeting_actions (
    id           @id,
    item_id      BIGINT NOT NULL REFERENCES meeting_items (id),
    body         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    due          DATE,
    status       TEXT NOT NULL CHECK (status IN ('open', 'done', 'closed')),
    note         TEXT NOT NULL DEFAULT '',
    completed_on DATE,
    created_at   @time NOT NULL,
    updated_at   @time NOT NULL
);
CREATE INDEX meeting_actions_by_item ON meeting_actions (item_id);
CREATE INDEX meeting_actions_by_status ON meeting_actions (status, due);

-- Each party's pseudonym in public headlines: allocated from the sequence
-- A, B, … (seq) when the party is first the subject of an item, or set by
-- hand to carry over an older label; never derived from its name or code.
CREATE TABLE meeting_pseudonyms (
    org_id     BIGINT PRIMARY KEY REFERENCES organisations (id),
    label      TEXT NOT NULL UNIQUE,
    seq        INTEGER UNIQUE,
    created_at @time NOT NULL
);

-- Minutes: kind 'draft' (GREEN and WHITE items; GREEN) or 'confidential'
-- (every item; RED to the people present). Versions are kept; approved text
-- never changes (a correction is a new version with a reason).
CREATE TABLE meeting_minutes (
    id               @id,
    meeting_id       BIGINT NOT NULL REFERENCES meetings (id),
    kind             TEXT NOT NULL CHECK (kind IN ('draft', 'confidential')),
    version          INTEGER NOT NULL,
    classification   TEXT NOT NULL CHECK (classification IN ('GREEN', 'RED')),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'superseded')),
    body             TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    approved_by_item BIGINT REFERENCES meeting_items (id),
    approved_at      @time,
    created_at       @time NOT NULL,
    updated_at       @time NOT NULL,
    UNIQUE (meeting_id, kind, version)
);
