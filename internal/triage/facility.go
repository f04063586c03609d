package triage

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Record kinds, in the audit trail and the audience tables.
const (
	KindFacility = "triage_facility"
	KindTool     = "triage_tool"
	KindEntry    = "triage_entry"
)

// AssessmentLookup finds an assessment of the assurance area by id, as the
// caller may see it. The service works without one: the link is then shown
// as the id alone.
type AssessmentLookup interface {
	Assessment(ctx context.Context, c access.Caller, id int64) (AssessmentRef, error)
}

// AssessmentRef is what a facility shows of its linked assessment.
type AssessmentRef struct {
	ID      int64  `json:"id"`
	Label   string `json:"label,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

// Service keeps Triage Facilities and their records.
type Service struct {
	DB          *store.DB
	Estate      *estate.Service
	Assessments AssessmentLookup
	// Today is the day the transaction clock falls on, for CPA statuses and
	// firmware dates (the UK day by default).
	Today func(time.Time) sec.Date
}

// NewService is a Service on db.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Estate: estate.NewService(db), Today: sec.UKDay}
}

func (s *Service) today(now time.Time) sec.Date {
	if s.Today != nil {
		return s.Today(now)
	}
	return sec.DateOf(now)
}

// Facility is a Triage Facility.
type Facility struct {
	ID           int64             `json:"id"`
	Provider     string            `json:"provider"`
	ProviderName string            `json:"provider_name"`
	Name         string            `json:"name"`
	Address      string            `json:"address"`
	Status       sec.FacilityState `json:"status"`
	BreachPolicy sec.BreachPolicy  `json:"breach_policy"`
	// AssessmentID links the initial FUSA (or a follow-up) in the
	// assurance area; Assessment is filled in when a lookup is wired.
	AssessmentID int64          `json:"assessment_id,omitempty"`
	Assessment   *AssessmentRef `json:"assessment,omitempty"`
	DecisionNote string         `json:"decision_note,omitempty"`
	// Entries is the length of its record.
	Entries   int64     `json:"entries"`
	MayRecord bool      `json:"may_record"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	providerID int64
	headHash   string
}

// ProviderID is the providing organisation's id.
func (f Facility) ProviderID() int64 { return f.providerID }

// facilityVisible: a facility is AMBER to its provider; the SSC and the
// secretariat see every one.
func facilityVisible(c access.Caller, args *access.Args) string {
	return c.VisibleAs(args, KindFacility, "'AMBER'", "f.id", "f.provider_id")
}

// facilityCols are the columns scanFacility reads, from facilityFrom.
const (
	facilityCols = `f.id, o.code, o.name, f.name, f.address, f.status, f.breach_policy, COALESCE(f.assessment_id, 0),
	f.decision_note, f.head_seq, f.created_at, f.updated_at, f.provider_id, f.head_hash`
	facilityFrom   = ` FROM triage_facilities f JOIN organisations o ON o.id = f.provider_id`
	facilitySelect = "SELECT " + facilityCols + facilityFrom
)

func scanFacility(row interface{ Scan(...any) error }) (Facility, error) {
	var f Facility
	err := row.Scan(&f.ID, &f.Provider, &f.ProviderName, &f.Name, &f.Address, &f.Status, &f.BreachPolicy, &f.AssessmentID,
		&f.DecisionNote, &f.Entries, &f.CreatedAt, &f.UpdatedAt, &f.providerID, &f.headHash)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	f.MayRecord = sec.FacilityMayRecord(f.Status)
	return f, err
}

// findFacility reads facility id if the caller may see it.
func findFacility(ctx context.Context, q store.Querier, c access.Caller, id int64) (Facility, error) {
	args := access.Args{id}
	f, err := scanFacility(q.QueryRowContext(ctx, facilitySelect+" WHERE f.id = $1 AND "+facilityVisible(c, &args), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return f, errs.NotFoundf("triage facility", id)
	}
	return f, errs.Wrap(err, "read triage facility")
}

// Facilities lists every facility the caller may see, by provider (the
// CLI's list; pages and the API page through FacilitiesPage).
func (s *Service) Facilities(ctx context.Context, c access.Caller) ([]Facility, error) {
	out := []Facility{}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.facilityQuery(c).Each(ctx, tx, FacilitySpec.First().Export(), func(f Facility) error { out = append(out, f); return nil })
	})
	return out, err
}

// Facility is one facility, with its assessment when a lookup is wired.
func (s *Service) Facility(ctx context.Context, c access.Caller, id int64) (Facility, error) {
	f, err := findFacility(ctx, s.DB, c, id)
	if err != nil {
		return f, err
	}
	s.linkAssessment(ctx, c, &f)
	return f, nil
}

func (s *Service) linkAssessment(ctx context.Context, c access.Caller, f *Facility) {
	if f.AssessmentID == 0 {
		return
	}
	if s.Assessments == nil {
		f.Assessment = &AssessmentRef{ID: f.AssessmentID}
		return
	}
	a, err := s.Assessments.Assessment(ctx, c, f.AssessmentID)
	if err != nil {
		// Not visible to the caller, or gone: the id alone.
		a = AssessmentRef{ID: f.AssessmentID}
	}
	f.Assessment = &a
}

// NewFacility is an application for a facility.
type NewFacility struct {
	// Provider is the providing organisation's code; a provider's own user
	// may leave it empty.
	Provider     string `json:"provider,omitempty"`
	Name         string `json:"name"`
	Address      string `json:"address"`
	BreachPolicy string `json:"breach_policy,omitempty"`
}

// isProvider reports whether the caller acts for the facility's provider:
// a Triage Facility Provider user of that organisation.
func isProvider(c access.Caller, providerID int64) bool {
	return c.Has(sec.RoleTriage) && c.OrgID == providerID && providerID != 0
}

// MayApplyForOwn reports whether the caller applies for facilities of its
// own organisation: a Triage Facility Provider's user (Apply). The triage
// page offers it the application form; the SSC applies for a provider
// through the API.
func MayApplyForOwn(c access.Caller) bool { return c.Has(sec.RoleTriage) }

// MayRecordAt reports whether the caller may record a scan at facility f: a
// user of its provider, while the facility's status lets it record
// (RecordScan).
func MayRecordAt(c access.Caller, f Facility) bool { return f.MayRecord && isProvider(c, f.providerID) }

// actorsFor are the parts the caller plays for a facility.
func actorsFor(c access.Caller, f Facility) []sec.Actor {
	var out []sec.Actor
	if isProvider(c, f.providerID) {
		out = append(out, sec.ActorOwner)
	}
	if c.IsSSC() || c.System {
		out = append(out, sec.ActorSSC)
	}
	return out
}

func cleanText(field, v string, max int, required bool) (string, *errs.Field) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return v, &errs.Field{Field: field, Message: "is required"}
	case len(v) > max:
		return v, &errs.Field{Field: field, Message: "is longer than " + itoa(max) + " characters"}
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		return v, &errs.Field{Field: field, Message: "holds control characters"}
	}
	return v, nil
}

// Apply records a provider's application for a facility: it starts applied,
// and may record nothing until the SSC approves it.
func (s *Service) Apply(ctx context.Context, c access.Caller, in NewFacility) (Facility, error) {
	var fields []errs.Field
	name, fe := cleanText("name", in.Name, 200, true)
	if fe != nil {
		fields = append(fields, *fe)
	}
	address, fe := cleanText("address", in.Address, 500, true)
	if fe != nil {
		fields = append(fields, *fe)
	}
	policy, err := sec.ParseBreachPolicy(in.BreachPolicy)
	if err != nil {
		fields = append(fields, errs.Field{Field: "breach_policy", Message: err.Error()})
	}
	if len(fields) > 0 {
		return Facility{}, errs.Fields("the facility is not valid", fields...)
	}
	var out Facility
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		code := strings.ToUpper(strings.TrimSpace(in.Provider))
		var prov party.Ref
		switch {
		case c.System || c.IsSSC():
			if code == "" {
				return errs.FieldError("provider", "is required: the organisation code of the Triage Facility Provider")
			}
			p, ok := ix.Code(code)
			if !ok || !p.Has(sec.TriageFacilityProvider) {
				return errs.FieldError("provider", "%q is not a Triage Facility Provider: the provider must be an SEC Party with that role (MP203)", code)
			}
			prov = p
		case MayApplyForOwn(c):
			p, ok := ix.ID(c.OrgID)
			if !ok || (code != "" && code != p.Code) {
				return errs.E(errs.Forbidden, "a Triage Facility Provider applies for its own facilities only")
			}
			prov = p
		default:
			return errs.E(errs.Forbidden, "only a Triage Facility Provider (or the SSC for one) may apply for a triage facility")
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO triage_facilities (provider_id, name, address, status, breach_policy, head_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, prov.ID, name, address, string(sec.FacilityLifecycle.Initial()),
			string(policy), audit.Genesis, tx.Now).Scan(&id); err != nil {
			return errs.Wrap(err, "create triage facility")
		}
		if err := audit.Record(ctx, tx, "triage_facility.apply", KindFacility, id,
			map[string]any{"provider": prov.Code, "name": name, "address": address, "breach_policy": policy}); err != nil {
			return err
		}
		out, err = findFacility(ctx, tx, access.SystemCaller("read back"), id)
		return err
	})
	return out, err
}

// Decision moves a facility on by its lifecycle.
type Decision struct {
	Event        sec.FacilityEvent `json:"event"`
	AssessmentID int64             `json:"assessment_id,omitempty"`
	Note         string            `json:"note,omitempty"`
}

// Decide records a decision on a facility: the SSC's outcome of the initial
// FUSA, the provider starting operation, a suspension. A decision may link
// the assessment it rests on; the link is kept until another replaces it.
func (s *Service) Decide(ctx context.Context, c access.Caller, id int64, d Decision) (Facility, error) {
	note, fe := cleanText("note", d.Note, 2000, false)
	if fe != nil {
		return Facility{}, errs.Fields("the decision is not valid", *fe)
	}
	if d.AssessmentID < 0 {
		return Facility{}, errs.FieldError("assessment_id", "must be an assessment's id")
	}
	var out Facility
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, id)
		if err != nil {
			return err
		}
		next, err := sec.FacilityLifecycle.Next(f.Status, d.Event, actorsFor(c, f)...)
		if err != nil {
			return transitionErr(err, "facility "+f.Name)
		}
		assessment := f.AssessmentID
		if d.AssessmentID != 0 {
			assessment = d.AssessmentID
		}
		var aid any
		if assessment != 0 {
			aid = assessment
		}
		if _, err := tx.ExecContext(ctx, `UPDATE triage_facilities SET status = $1, assessment_id = $2, decision_note = $3, updated_at = $4 WHERE id = $5`,
			string(next), aid, note, tx.Now, f.ID); err != nil {
			return errs.Wrap(err, "decide triage facility")
		}
		if err := audit.Record(ctx, tx, "triage_facility."+string(d.Event), KindFacility, f.ID,
			map[string]any{"status": next, "previous": f.Status, "assessment_id": assessment, "note": note}); err != nil {
			return err
		}
		out, err = findFacility(ctx, tx, access.SystemCaller("read back"), f.ID)
		return err
	})
	if err == nil {
		s.linkAssessment(ctx, c, &out)
	}
	return out, err
}

// SetBreachPolicy changes whether a breached tamper boundary blocks triage at
// the facility without a recorded reason (the provider's or the SSC's call).
func (s *Service) SetBreachPolicy(ctx context.Context, c access.Caller, id int64, policy string) (Facility, error) {
	p, err := sec.ParseBreachPolicy(policy)
	if err != nil || strings.TrimSpace(policy) == "" {
		return Facility{}, errs.FieldError("breach_policy", "want block or allow")
	}
	var out Facility
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if len(actorsFor(c, f)) == 0 {
			return errs.E(errs.Forbidden, "only the facility's provider and the SSC may set its breach policy")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE triage_facilities SET breach_policy = $1, updated_at = $2 WHERE id = $3", string(p), tx.Now, f.ID); err != nil {
			return errs.Wrap(err, "set breach policy")
		}
		if err := audit.Record(ctx, tx, "triage_facility.breach_policy", KindFacility, f.ID,
			map[string]any{"breach_policy": p, "previous": f.BreachPolicy}); err != nil {
			return err
		}
		out, err = findFacility(ctx, tx, access.SystemCaller("read back"), f.ID)
		return err
	})
	return out, err
}

// FacilityEvents lists the decisions the caller may make on the facility now:
// the buttons a page shows.
func FacilityEvents(c access.Caller, f Facility) []sec.FacilityEvent {
	return sec.FacilityLifecycle.Events(f.Status, actorsFor(c, f)...)
}

// transitionErr turns a lifecycle refusal into the error a caller sees:
// Forbidden when the move exists but is not theirs, Conflict otherwise.
func transitionErr(err error, what string) error {
	if errors.Is(err, sec.ErrNotPermitted) {
		return errs.E(errs.Forbidden, "%s: %v", what, err)
	}
	return errs.E(errs.Conflict, "%s: %v", what, err)
}
