-- Self-assessment questionnaires (G8.18): versioned templates of questions
-- grouped in sections, and each self-assessment's answers. A response is
-- bound to the template version it was started on, so a new version never
-- changes answers already given. A response is part of its assessment and
-- is seen by whoever may see the assessment. internal/assurance owns these
-- tables.
CREATE TABLE questionnaire_templates (
    id         @id,
    version    INTEGER NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    created_at @time NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE questionnaire_questions (
    id          @id,
    template_id BIGINT NOT NULL REFERENCES questionnaire_templates (id),
    section     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    UNIQUE (template_id, position)
);

CREATE TABLE questionnaire_responses (
    id            @id,
    assessment_id BIGINT NOT NULL UNIQUE REFERENCES assessments (id),
    template_id   BIGINT NOT NULL REFERENCES questionnaire_templates (id),
    state         TEXT NOT NULL CHECK (state IN ('draft', 'submitted')),
    saved_at      @time NOT NULL,
    submitted_at  @time,
    submitted_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE questionnaire_answers (
    response_id BIGINT NOT NULL REFERENCES questionnaire_responses (id),
    question_id BIGINT NOT NULL REFERENCES questionnaire_questions (id),
    answer      TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);
