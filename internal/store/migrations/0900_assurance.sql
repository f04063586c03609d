-- Security assurance (SEC G8): User Security Assessments of a party in a
-- role, their findings, evidence and outcomes, the SSC's overrides of the
-- forward plan, remediation plans with their actions and updates, and the
-- Directors' Letters that go with them. Every record here is RED by default:
-- named to the SSC, its secretariat, the User CIO and the assessed party's
-- cleared people (audience kinds "assessment", "remediation_plan",
-- "directors_letter"). internal/assurance owns these tables.

-- One assessment. year is the plan year it belongs to; year_in_cycle counts
-- from the cycle's FUSA. initial marks a party's first FUSA in the role,
-- whose outcome is an Assurance Status (G8.34); later assessments get a
-- Compliance Status. follow_up_of links the FUSA that a Deferred or Rejected
-- status required. meeting_item_id is the SSC agenda item at which the
-- outcome was decided: no foreign key yet (the meetings area links to it).
CREATE TABLE assessments (
    id                 @id,
    party_id           BIGINT NOT NULL REFERENCES organisations (id),
    role               TEXT NOT NULL,
    type               TEXT NOT NULL CHECK (type IN ('FUSA', 'VUSA', 'SSA')),
    title              TEXT NOT NULL,
    year               INTEGER NOT NULL,
    year_in_cycle      INTEGER NOT NULL CHECK (year_in_cycle BETWEEN 1 AND 10),
    initial            BOOLEAN NOT NULL DEFAULT FALSE,
    state              TEXT NOT NULL,
    classification     TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    assessor_id        BIGINT REFERENCES organisations (id),
    fieldwork_start    DATE,
    fieldwork_end      DATE,
    response_due       DATE,
    response_received  DATE,
    outcome_kind       TEXT CHECK (outcome_kind IN ('assurance', 'compliance')),
    outcome            TEXT,
    outcome_steps      TEXT NOT NULL DEFAULT '',
    outcome_date       DATE,
    meeting_item_id    BIGINT,
    follow_up_of       BIGINT REFERENCES assessments (id),
    created_at         @time NOT NULL,
    updated_at         @time NOT NULL,
    CHECK (fieldwork_end IS NULL OR fieldwork_end >= fieldwork_start)
);
CREATE INDEX assessments_by_party ON assessments (party_id, role, year);
CREATE INDEX assessments_by_year ON assessments (year);

-- The timeline: every move, with who made it, as what, and why.
CREATE TABLE assessment_events (
    id            @id,
    assessment_id BIGINT NOT NULL REFERENCES assessments (id),
    at            @time NOT NULL,
    actor         TEXT NOT NULL,
    acted_as      TEXT NOT NULL DEFAULT '',
    event         TEXT NOT NULL,
    from_state    TEXT NOT NULL DEFAULT '',
    to_state      TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assessment_events_by_assessment ON assessment_events (assessment_id, id);

-- Findings in the CIO's report (G8.22): a non-compliance (FUSA) or a material
-- increase in risk (VUSA, SSA), against a clause of G3 to G6 or G8, with the
-- party's management response.
CREATE TABLE assessment_findings (
    id            @id,
    assessment_id BIGINT NOT NULL REFERENCES assessments (id),
    kind          TEXT NOT NULL CHECK (kind IN ('non_compliance', 'risk_increase')),
    clause        TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
    title         TEXT NOT NULL,
    evidence      TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at    @time NOT NULL,
    updated_at    @time NOT NULL
);
CREATE INDEX assessment_findings_by_assessment ON assessment_findings (assessment_id);

-- Evidence files, hashed and stored as arrangements store theirs
-- (internal/evidence).
CREATE TABLE assessment_evidence (
    id            @id,
    assessment_id BIGINT NOT NULL REFERENCES assessments (id),
    name          TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       @bytes NOT NULL,
    uploaded_at   @time NOT NULL,
    uploaded_by   TEXT NOT NULL,
    UNIQUE (assessment_id, sha256)
);

-- The SSC's override of the forward plan for a party, role and year, and the
-- share of a party's Smart Metering Systems serving non-domestic premises
-- (the portfolio aggregates have no premises split; see internal/assurance).
CREATE TABLE assessment_overrides (
    party_id   BIGINT NOT NULL REFERENCES organisations (id),
    role       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('FUSA', 'VUSA', 'SSA')),
    reason     TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     @time NOT NULL,
    PRIMARY KEY (party_id, role, year)
);
CREATE TABLE assessment_profiles (
    party_id           BIGINT PRIMARY KEY REFERENCES organisations (id),
    non_domestic_share DOUBLE PRECISION NOT NULL CHECK (non_domestic_share >= 0 AND non_domestic_share <= 1),
    set_by             TEXT NOT NULL,
    set_at             @time NOT NULL
);

-- Remediation plans for findings left open: the party's actions with owners
-- and due dates, its progress updates, and the next-update date the SSC
-- agrees. meeting_item_id: the agenda item of the SSC's latest decision.
CREATE TABLE remediation_plans (
    id              @id,
    assessment_id   BIGINT NOT NULL REFERENCES assessments (id),
    party_id        BIGINT NOT NULL REFERENCES organisations (id),
    title           TEXT NOT NULL,
    state           TEXT NOT NULL,
    classification  TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    next_update     DATE,
    reminded_for    DATE,
    escalated_for   DATE,
    meeting_item_id BIGINT,
    created_at      @time NOT NULL,
    updated_at      @time NOT NULL
);
CREATE INDEX remediation_plans_by_assessment ON remediation_plans (assessment_id);
CREATE INDEX remediation_plans_by_next_update ON remediation_plans (state, next_update);

CREATE TABLE remediation_actions (
    id          @id,
    plan_id     BIGINT NOT NULL REFERENCES remediation_plans (id),
    finding_id  BIGINT REFERENCES assessment_findings (id),
    description TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due         DATE NOT NULL,
    done_on     DATE,
    created_at  @time NOT NULL
);
CREATE INDEX remediation_actions_by_plan ON remediation_actions (plan_id);

CREATE TABLE remediation_updates (
    id       @id,
    plan_id  BIGINT NOT NULL REFERENCES remediation_plans (id),
    at       @time NOT NULL,
    actor    TEXT NOT NULL,
    event    TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX remediation_updates_by_plan ON remediation_updates (plan_id, id);

-- The director-signed cover letter for a plan: a PDF, hashed, with the
-- director's name; submitted, then approved or returned by the SSC.
CREATE TABLE directors_letters (
    id              @id,
    plan_id         BIGINT NOT NULL REFERENCES remediation_plans (id),
    party_id        BIGINT NOT NULL REFERENCES organisations (id),
    director        TEXT NOT NULL,
    state           TEXT NOT NULL,
    classification  TEXT NOT NULL DEFAULT 'RED' CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    content         @bytes NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    decided_at      @time,
    decided_by      TEXT NOT NULL DEFAULT '',
    meeting_item_id BIGINT,
    uploaded_at     @time NOT NULL,
    uploaded_by     TEXT NOT NULL
);
CREATE INDEX directors_letters_by_plan ON directors_letters (plan_id);
