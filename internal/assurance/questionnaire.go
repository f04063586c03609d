package assurance

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// DefaultSections are the risk areas the SSC agreed the self-assessment
// declaration should cover (seed 003, item 5).
var DefaultSections = []string{
	"Vulnerability management",
	"Personnel screening",
	"Security training",
	"Anomaly detection thresholds",
	"Duty to notify and to be notified",
}

// Template is one version of the self-assessment questionnaire.
type Template struct {
	ID        int64      `json:"id"`
	Version   int        `json:"version"`
	Title     string     `json:"title"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	Questions []Question `json:"questions"`
}

// Question is one question of a template, in a section.
type Question struct {
	ID      int64  `json:"id"`
	Section string `json:"section"`
	Text    string `json:"text"`
	// Answer is the party's answer, in a questionnaire.
	Answer string `json:"answer,omitempty"`
}

// TemplateInput is a new template version: its questions by section.
type TemplateInput struct {
	Title    string         `json:"title"`
	Sections []SectionInput `json:"sections"`
}

// SectionInput is one section of a new template.
type SectionInput struct {
	Name      string   `json:"name"`
	Questions []string `json:"questions"`
}

// Questionnaire is a self-assessment's answers, on the template version it
// was started on (or, before the first save, the latest).
type Questionnaire struct {
	AssessmentID int64      `json:"assessment_id"`
	Version      int        `json:"version"`
	State        string     `json:"state"` // new, draft, submitted
	SubmittedAt  *time.Time `json:"submitted_at,omitempty"`
	SubmittedBy  string     `json:"submitted_by,omitempty"`
	Questions    []Question `json:"questions"`
	// MayAnswer says whether the caller may save answers now.
	MayAnswer bool `json:"may_answer"`
}

// AnswersInput saves answers: question id to text. Version must be the
// questionnaire's template version.
type AnswersInput struct {
	Version int              `json:"version"`
	Answers map[int64]string `json:"answers"`
	Submit  bool             `json:"submit,omitempty"`
}

// CreateTemplate adds a new version of the questionnaire (the SSC). Answers
// already given stay on the version they were given to.
func (s *Service) CreateTemplate(ctx context.Context, c access.Caller, in TemplateInput) (Template, error) {
	if !c.System && !c.IsSSC() {
		return Template{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may change the self-assessment questionnaire")
	}
	var fields []errs.Field
	title, f := checkText("title", in.Title, true)
	if f != nil {
		fields = append(fields, *f)
	}
	if len(in.Sections) == 0 {
		fields = append(fields, errs.Field{Field: "sections", Message: "a questionnaire needs at least one section"})
	}
	for i, sec := range in.Sections {
		if _, f := checkText(fmt.Sprintf("sections[%d].name", i), sec.Name, true); f != nil {
			fields = append(fields, *f)
		}
		if len(sec.Questions) == 0 {
			fields = append(fields, errs.Field{Field: fmt.Sprintf("sections[%d].questions", i), Message: "a section needs at least one question"})
		}
		for j, q := range sec.Questions {
			if _, f := checkText(fmt.Sprintf("sections[%d].questions[%d]", i, j), q, true); f != nil {
				fields = append(fields, *f)
			}
		}
	}
	if len(fields) > 0 {
		return Template{}, errs.Fields("the questionnaire is not valid", fields...)
	}
	var version int
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM questionnaire_templates").Scan(&version); err != nil {
			return errs.Wrap(err, "template version")
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO questionnaire_templates (version, title, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
			version, title, tx.Now, c.Name).Scan(&id); err != nil {
			return errs.Wrap(err, "create template")
		}
		pos := 0
		for _, sec := range in.Sections {
			for _, q := range sec.Questions {
				pos++
				if _, err := tx.ExecContext(ctx, `INSERT INTO questionnaire_questions (template_id, section, position, text) VALUES ($1, $2, $3, $4)`,
					id, strings.TrimSpace(sec.Name), pos, strings.TrimSpace(q)); err != nil {
					return errs.Wrap(err, "add question")
				}
			}
		}
		return audit.Record(ctx, tx, "questionnaire.template", "questionnaire_template", version, in)
	})
	if err != nil {
		return Template{}, err
	}
	return s.Template(ctx, c, version)
}

// Template returns one version of the questionnaire (0: the latest). The
// questions are not confidential: any signed-in user may read them.
func (s *Service) Template(ctx context.Context, c access.Caller, version int) (Template, error) {
	if !c.SignedIn() {
		return Template{}, errs.E(errs.Unauthenticated, "sign in to read the questionnaire")
	}
	var t Template
	q := "SELECT id, version, title, created_at, created_by FROM questionnaire_templates WHERE version = $1"
	args := []any{version}
	if version == 0 {
		q, args = "SELECT id, version, title, created_at, created_by FROM questionnaire_templates ORDER BY version DESC LIMIT 1", nil
	}
	err := s.DB.QueryRowContext(ctx, q, args...).Scan(&t.ID, &t.Version, &t.Title, &t.CreatedAt, &t.CreatedBy)
	if err == sql.ErrNoRows {
		return t, errs.NotFoundf("questionnaire version", version)
	}
	if err != nil {
		return t, errs.Wrap(err, "read template")
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.Questions, err = questionsOf(ctx, s.DB, t.ID, 0)
	return t, err
}

// questionsOf reads a template's questions, with a response's answers.
func questionsOf(ctx context.Context, q store.Querier, templateID, responseID int64) ([]Question, error) {
	rows, err := q.QueryContext(ctx, `SELECT q.id, q.section, q.text, COALESCE(a.answer, '') FROM questionnaire_questions q
		LEFT JOIN questionnaire_answers a ON a.question_id = q.id AND a.response_id = $2
		WHERE q.template_id = $1 ORDER BY q.position`, templateID, responseID)
	if err != nil {
		return nil, errs.Wrap(err, "questions")
	}
	defer rows.Close()
	out := []Question{}
	for rows.Next() {
		var qu Question
		if err := rows.Scan(&qu.ID, &qu.Section, &qu.Text, &qu.Answer); err != nil {
			return nil, errs.Wrap(err, "questions")
		}
		out = append(out, qu)
	}
	return out, errs.Wrap(rows.Err(), "questions")
}

// response is a questionnaire_responses row.
type response struct {
	id, templateID int64
	version        int
	state          string
	submittedAt    sql.NullTime
	submittedBy    string
}

func findResponse(ctx context.Context, q store.Querier, assessmentID int64) (response, error) {
	var r response
	err := q.QueryRowContext(ctx, `SELECT r.id, r.template_id, t.version, r.state, r.submitted_at, r.submitted_by
		FROM questionnaire_responses r JOIN questionnaire_templates t ON t.id = r.template_id WHERE r.assessment_id = $1`, assessmentID).
		Scan(&r.id, &r.templateID, &r.version, &r.state, &r.submittedAt, &r.submittedBy)
	return r, err
}

// Questionnaire returns a self-assessment's questionnaire, if the caller may
// see the assessment.
func (s *Service) Questionnaire(ctx context.Context, c access.Caller, assessmentID int64) (Questionnaire, error) {
	var out Questionnaire
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, assessmentID)
		if err != nil {
			return err
		}
		out, err = s.questionnaire(ctx, tx, c, a)
		return err
	})
	return out, err
}

func (s *Service) questionnaire(ctx context.Context, tx *store.Tx, c access.Caller, a Assessment) (Questionnaire, error) {
	if a.Type != sec.SSA {
		return Questionnaire{}, errs.E(errs.Conflict, "assessment %d is a %s: only self-assessments have a questionnaire", a.ID, a.Type)
	}
	out := Questionnaire{AssessmentID: a.ID, State: "new"}
	r, err := findResponse(ctx, tx, a.ID)
	switch {
	case err == sql.ErrNoRows:
		var tid int64
		err := tx.QueryRowContext(ctx, "SELECT id, version FROM questionnaire_templates ORDER BY version DESC LIMIT 1").Scan(&tid, &out.Version)
		if err == sql.ErrNoRows {
			return out, errs.E(errs.Conflict, "the SSC has not yet published a self-assessment questionnaire")
		}
		if err != nil {
			return out, errs.Wrap(err, "latest template")
		}
		if out.Questions, err = questionsOf(ctx, tx, tid, 0); err != nil {
			return out, err
		}
	case err != nil:
		return out, errs.Wrap(err, "questionnaire")
	default:
		out.Version, out.State, out.SubmittedBy = r.version, r.state, r.submittedBy
		if r.submittedAt.Valid {
			t := r.submittedAt.Time.UTC()
			out.SubmittedAt = &t
		}
		if out.Questions, err = questionsOf(ctx, tx, r.templateID, r.id); err != nil {
			return out, err
		}
	}
	out.MayAnswer = out.State != "submitted" && a.State.IsOpen() && slices.Contains(actorsFor(c, a), sec.ActorOwner)
	return out, nil
}

// SaveAnswers saves the party's answers as a draft, or submits them when
// every question is answered. Only the assessed party answers; an answer to
// a question of another template version is refused, and nothing is saved.
func (s *Service) SaveAnswers(ctx context.Context, c access.Caller, assessmentID int64, in AnswersInput) (Questionnaire, error) {
	var out Questionnaire
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, assessmentID)
		if err != nil {
			return err
		}
		q, err := s.questionnaire(ctx, tx, c, a)
		if err != nil {
			return err
		}
		if !slices.Contains(actorsFor(c, a), sec.ActorOwner) {
			return errs.E(errs.Forbidden, "only the assessed party answers its self-assessment (G8.18)")
		}
		if q.State == "submitted" {
			return errs.E(errs.Conflict, "the questionnaire was submitted on %s: its answers no longer change", uk.Date(*q.SubmittedAt))
		}
		if !a.State.IsOpen() {
			return errs.E(errs.Conflict, "assessment %d is %s", a.ID, a.State)
		}
		if in.Version != q.Version {
			return errs.FieldError("version", "the questionnaire is on version %d, not %d", q.Version, in.Version)
		}
		byID := map[int64]int{}
		for i, qu := range q.Questions {
			byID[qu.ID] = i
		}
		var fields []errs.Field
		ids := make([]int64, 0, len(in.Answers))
		for id := range in.Answers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			i, ok := byID[id]
			if !ok {
				fields = append(fields, errs.Field{Field: fmt.Sprintf("answers.%d", id), Message: fmt.Sprintf("question %d is not a question of version %d of the questionnaire", id, q.Version)})
				continue
			}
			v, f := checkText(fmt.Sprintf("answers.%d", id), in.Answers[id], false)
			if f != nil {
				fields = append(fields, *f)
				continue
			}
			q.Questions[i].Answer = v
		}
		if len(fields) > 0 {
			return errs.Fields("the answers are not valid", fields...)
		}
		if in.Submit {
			for _, qu := range q.Questions {
				if qu.Answer == "" {
					fields = append(fields, errs.Field{Field: fmt.Sprintf("answers.%d", qu.ID), Message: "unanswered: " + qu.Text})
				}
			}
			if len(fields) > 0 {
				return errs.Fields("answer every question before submitting", fields...)
			}
		}
		var rid, tid int64
		r, err := findResponse(ctx, tx, a.ID)
		switch {
		case err == sql.ErrNoRows:
			if err := tx.QueryRowContext(ctx, "SELECT id FROM questionnaire_templates WHERE version = $1", q.Version).Scan(&tid); err != nil {
				return errs.Wrap(err, "template")
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO questionnaire_responses (assessment_id, template_id, state, saved_at) VALUES ($1, $2, 'draft', $3) RETURNING id`,
				a.ID, tid, tx.Now).Scan(&rid); err != nil {
				return errs.Wrap(err, "start questionnaire")
			}
		case err != nil:
			return errs.Wrap(err, "questionnaire")
		default:
			rid = r.id
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO questionnaire_answers (response_id, question_id, answer) VALUES ($1, $2, $3)
				ON CONFLICT (response_id, question_id) DO UPDATE SET answer = excluded.answer`, rid, id, q.Questions[byID[id]].Answer); err != nil {
				return errs.Wrap(err, "save answer")
			}
		}
		state := "draft"
		if in.Submit {
			state = "submitted"
			if _, err := tx.ExecContext(ctx, "UPDATE questionnaire_responses SET state = 'submitted', saved_at = $1, submitted_at = $1, submitted_by = $2 WHERE id = $3",
				tx.Now, c.Name, rid); err != nil {
				return errs.Wrap(err, "submit questionnaire")
			}
			if err := addEvent(ctx, tx, a.ID, sec.ActorOwner, "questionnaire_submitted", "", "", fmt.Sprintf("version %d, %d answers", q.Version, len(q.Questions))); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, "UPDATE questionnaire_responses SET saved_at = $1 WHERE id = $2", tx.Now, rid); err != nil {
			return errs.Wrap(err, "save questionnaire")
		}
		if err := audit.Record(ctx, tx, "questionnaire."+state, KindAssessment, a.ID, in); err != nil {
			return err
		}
		out, err = s.questionnaire(ctx, tx, c, a)
		return err
	})
	return out, err
}
