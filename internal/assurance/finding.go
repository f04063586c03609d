package assurance

import (
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Finding is one item of the CIO's report (G8.22): a non-compliance with G3
// to G6 (FUSA) or a material increase in risk (VUSA, SSA), with the party's
// management response.
type Finding struct {
	ID       int64           `json:"id"`
	Kind     sec.FindingKind `json:"kind"`
	Clause   string          `json:"clause"`
	Severity string          `json:"severity"`
	Title    string          `json:"title"`
	Evidence string          `json:"evidence,omitempty"`
	Response string          `json:"response,omitempty"`
	Status   string          `json:"status"`
}

// FindingInput is a new finding.
type FindingInput struct {
	Clause   string `json:"clause"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Evidence string `json:"evidence,omitempty"`
}

// ResponseInput is the party's management response to a finding, or the
// SSC closing it.
type ResponseInput struct {
	Response string `json:"response,omitempty"`
	Close    bool   `json:"close,omitempty"`
}

func findingsOf(ctx context.Context, q store.Querier, id int64) ([]Finding, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, clause, severity, title, evidence, response, status
		FROM assessment_findings WHERE assessment_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errs.Wrap(err, "findings")
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.ID, &f.Kind, &f.Clause, &f.Severity, &f.Title, &f.Evidence, &f.Response, &f.Status); err != nil {
			return nil, errs.Wrap(err, "findings")
		}
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "findings")
}

// reportStates are the states in which the CIO's report is written or
// stands: findings are raised from fieldwork until the SSC considers it.
var reportStates = []sec.AssessmentState{sec.AssessmentFieldwork, sec.AssessmentReportIssued, sec.AssessmentResponseDue, sec.AssessmentResponseReceived}

// AddFinding records a finding in an assessment's report: the User CIO
// raises it (for a self-assessment too, on review).
func (s *Service) AddFinding(ctx context.Context, c access.Caller, id int64, in FindingInput) (Finding, error) {
	var fields []errs.Field
	clause, err := sec.CheckFindingClause(in.Clause)
	if err != nil {
		fields = append(fields, errs.Field{Field: "clause", Message: err.Error()})
	}
	sev := strings.ToLower(strings.TrimSpace(in.Severity))
	if !slices.Contains(sec.Severities, sev) {
		fields = append(fields, errs.Field{Field: "severity", Message: "want one of " + strings.Join(sec.Severities, ", ")})
	}
	title, f := checkText("title", in.Title, true)
	if f != nil {
		fields = append(fields, *f)
	}
	evidence, f := checkText("evidence", in.Evidence, false)
	if f != nil {
		fields = append(fields, *f)
	}
	if len(fields) > 0 {
		return Finding{}, errs.Fields("the finding is not valid", fields...)
	}
	var out Finding
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !raisesFindings(c) {
			return errs.E(errs.Forbidden, "only the User CIO raises findings in an assessment's report (G8.22)")
		}
		if !slices.Contains(reportStates, a.State) {
			return errs.E(errs.Conflict, "assessment %d is %s: findings are raised from fieldwork until the SSC considers the report", a.ID, a.State)
		}
		out = Finding{Kind: sec.FindingKindFor(a.Type), Clause: clause, Severity: sev, Title: title, Evidence: evidence, Status: "open"}
		err = tx.QueryRowContext(ctx, `INSERT INTO assessment_findings (assessment_id, kind, clause, severity, title, evidence, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, a.ID, string(out.Kind), clause, sev, title, evidence, tx.Now).Scan(&out.ID)
		if err != nil {
			return errs.Wrap(err, "add finding")
		}
		if err := addEvent(ctx, tx, a.ID, sec.ActorAssessor, "finding", "", "", clause+" ("+sev+"): "+title); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "assessment.finding", KindAssessment, a.ID, out)
	})
	return out, err
}

// RespondToFinding records the party's management response to a finding
// (the assessed party), or closes it (the SSC).
func (s *Service) RespondToFinding(ctx context.Context, c access.Caller, id, findingID int64, in ResponseInput) (Finding, error) {
	resp, f := checkText("response", in.Response, !in.Close)
	if f != nil {
		return Finding{}, errs.Fields("the response is not valid", *f)
	}
	var out Finding
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, id)
		if err != nil {
			return err
		}
		fs, err := findingsOf(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(fs, func(f Finding) bool { return f.ID == findingID })
		if i < 0 {
			return errs.NotFoundf("finding", findingID)
		}
		out = fs[i]
		actors := actorsFor(c, a)
		switch {
		case in.Close:
			if !slices.Contains(actors, sec.ActorSSC) {
				return errs.E(errs.Forbidden, "only the SSC closes a finding")
			}
			out.Status = "closed"
		default:
			if !slices.Contains(actors, sec.ActorOwner) {
				return errs.E(errs.Forbidden, "only the assessed party writes its management response")
			}
			out.Response = resp
		}
		if _, err := tx.ExecContext(ctx, "UPDATE assessment_findings SET response = $1, status = $2, updated_at = $3 WHERE id = $4",
			out.Response, out.Status, tx.Now, out.ID); err != nil {
			return errs.Wrap(err, "respond to finding")
		}
		ev := "finding_response"
		if in.Close {
			ev = "finding_closed"
		}
		if err := addEvent(ctx, tx, a.ID, actors[0], ev, "", "", out.Clause+": "+out.Title); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "assessment."+ev, KindAssessment, a.ID, out)
	})
	return out, err
}
