package assurance

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// PlanRow is one line of the forward plan: the assessment a party is due in
// a role in the year, and why.
type PlanRow struct {
	Party       string             `json:"party"`
	PartyName   string             `json:"party_name"`
	Role        sec.OrgRole        `json:"role"`
	Type        sec.AssessmentType `json:"type"`
	YearInCycle int                `json:"year_in_cycle"`
	DueBy       sec.Date           `json:"due_by"`
	Reason      string             `json:"reason"`
	// Domestic and NonDomestic are the Smart Metering Systems the choice
	// weighed: the party's ESME and GSME from the portfolio aggregates,
	// split by NonDomesticShare (recorded by the SSC for the party, or the
	// default setting: ShareSource says which).
	Domestic         int64   `json:"domestic_sms"`
	NonDomestic      int64   `json:"non_domestic_sms"`
	NonDomesticShare float64 `json:"non_domestic_share"`
	ShareSource      string  `json:"share_source"`
	Override         bool    `json:"override,omitempty"`
	// Assessment is the assessment already planned for the year, if any.
	Assessment int64 `json:"assessment,omitempty"`
}

// ForwardPlan is every party's due assessment for a year.
type ForwardPlan struct {
	Year     int                   `json:"year"`
	Settings sec.AssuranceSettings `json:"settings"`
	Rows     []PlanRow             `json:"rows"`
}

// history is what the assessments say about a party in a role.
type history struct {
	cycleStart    int
	lastFieldwork sec.Date
	planned       int64
}

type partyRole struct {
	id   int64
	role sec.OrgRole
}

// mayPlan reports whether the caller sees the whole forward plan: the SSC,
// its secretariat and the User CIO who carries it out. Anyone else sees the
// rows of its own organisation.
func mayPlan(c access.Caller) bool { return c.System || c.IsSSC() || c.Has(sec.RoleUserCIO) }

// ForwardPlan decides, for every party the caller may plan for and every
// role in which it is assessed, which assessment is due in year and why
// (sec.ChooseAssessment). Smart Metering Systems are counted from the
// portfolio aggregates (estate.Service.SMSCounts), never from Devices.
func (s *Service) ForwardPlan(ctx context.Context, c access.Caller, year int) (ForwardPlan, error) {
	if !c.SignedIn() {
		return ForwardPlan{}, errs.E(errs.Unauthenticated, "sign in to see the forward plan")
	}
	if year < 2014 || year > 2200 {
		return ForwardPlan{}, errs.FieldError("year", "want a year from 2014 to 2200")
	}
	fp := ForwardPlan{Year: year, Settings: s.Settings, Rows: []PlanRow{}}
	// Which parties: every party holding an assessed role, read through the
	// registry as the system (the plan covers every User), then narrowed to
	// the caller's own organisation unless it plans. Names show where the
	// caller may see the party's entry (a Supplier's is AMBER).
	sys := access.SystemCaller("forward plan")
	parties := &party.Service{DB: s.DB}
	names := map[string]string{}
	for _, role := range sec.AssessedRoles {
		visible, err := parties.List(ctx, c, party.Filter{Role: role})
		if err != nil {
			return fp, err
		}
		for _, p := range visible {
			names[p.Code] = p.Name
		}
	}
	type entry struct {
		p    party.Party
		role sec.OrgRole
	}
	var entries []entry
	for _, role := range sec.AssessedRoles {
		ps, err := parties.List(ctx, sys, party.Filter{Role: role})
		if err != nil {
			return fp, err
		}
		for _, p := range ps {
			if mayPlan(c) || p.ID == c.OrgID {
				entries = append(entries, entry{p, role})
			}
		}
	}
	if len(entries) == 0 {
		return fp, nil
	}
	// The counts come from the aggregates as the system: the plan is the
	// SSC's and the CIO's working document, and a party sees only its own
	// row, whose counts are its own portfolio.
	counts, err := estate.NewService(s.DB).SMSCounts(ctx, sys)
	if err != nil {
		return fp, err
	}
	hist, overrides, shares, err := s.planInputs(ctx, year)
	if err != nil {
		return fp, err
	}
	for _, e := range entries {
		key := partyRole{e.p.ID, e.role}
		h := hist[key]
		total := int64(0)
		if e.role.IsSupplier() {
			total = counts[e.p.Code]
		}
		share, source := s.Settings.NonDomesticShare, "default"
		if v, ok := shares[e.p.ID]; ok {
			share, source = v, "ssc"
		}
		nonDom := int64(math.Round(float64(total) * share))
		in := sec.PlanInput{Role: e.role, Year: year, CycleStart: h.cycleStart, Domestic: total - nonDom, NonDomestic: nonDom,
			LastFieldwork: h.lastFieldwork}
		o, overridden := overrides[key]
		if overridden {
			in.Override, in.OverrideReason = o.typ, o.reason
		}
		choice, err := sec.ChooseAssessment(in, s.Settings)
		if err != nil {
			return fp, errs.Wrap(err, "choose assessment")
		}
		name := names[e.p.Code]
		if name == "" {
			name = e.p.Code
		}
		fp.Rows = append(fp.Rows, PlanRow{Party: e.p.Code, PartyName: name, Role: e.role, Type: choice.Type, YearInCycle: choice.YearInCycle,
			DueBy: choice.DueBy, Reason: choice.Reason, Domestic: in.Domestic, NonDomestic: in.NonDomestic,
			NonDomesticShare: share, ShareSource: source, Override: overridden, Assessment: h.planned})
	}
	slices.SortFunc(fp.Rows, func(a, b PlanRow) int {
		if c := a.DueBy.Compare(b.DueBy); c != 0 {
			return c
		}
		if c := strings.Compare(a.Party, b.Party); c != 0 {
			return c
		}
		return strings.Compare(string(a.Role), string(b.Role))
	})
	return fp, nil
}

type override struct {
	typ    sec.AssessmentType
	reason string
}

// planInputs reads, for the year, each party and role's cycle start, last
// CIO fieldwork and planned assessment, the SSC's overrides and the recorded
// non-domestic shares: three grouped reads of this package's tables.
func (s *Service) planInputs(ctx context.Context, year int) (map[partyRole]history, map[partyRole]override, map[int64]float64, error) {
	hist := map[partyRole]history{}
	yearStart := sec.NewDate(year, 1, 1)
	rows, err := s.DB.QueryContext(ctx, `SELECT party_id, role,
		MAX(CASE WHEN type = 'FUSA' AND year_in_cycle = 1 AND year <= $1 THEN year END),
		MAX(CASE WHEN type IN ('FUSA', 'VUSA') AND fieldwork_end < $2 THEN fieldwork_end END),
		MAX(CASE WHEN year = $1 THEN id END)
		FROM assessments WHERE state <> 'cancelled' GROUP BY party_id, role`, year, yearStart)
	if err != nil {
		return nil, nil, nil, errs.Wrap(err, "assessment history")
	}
	for rows.Next() {
		var k partyRole
		var start, planned sql.NullInt64
		var last sec.Date
		if err := rows.Scan(&k.id, &k.role, &start, &last, &planned); err != nil {
			rows.Close()
			return nil, nil, nil, errs.Wrap(err, "assessment history")
		}
		hist[k] = history{cycleStart: int(start.Int64), lastFieldwork: last, planned: planned.Int64}
	}
	rows.Close()
	overrides := map[partyRole]override{}
	rows, err = s.DB.QueryContext(ctx, "SELECT party_id, role, type, reason FROM assessment_overrides WHERE year = $1", year)
	if err != nil {
		return nil, nil, nil, errs.Wrap(err, "overrides")
	}
	for rows.Next() {
		var k partyRole
		var o override
		if err := rows.Scan(&k.id, &k.role, &o.typ, &o.reason); err != nil {
			rows.Close()
			return nil, nil, nil, errs.Wrap(err, "overrides")
		}
		overrides[k] = o
	}
	rows.Close()
	shares := map[int64]float64{}
	rows, err = s.DB.QueryContext(ctx, "SELECT party_id, non_domestic_share FROM assessment_profiles")
	if err != nil {
		return nil, nil, nil, errs.Wrap(err, "profiles")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, nil, nil, errs.Wrap(err, "profiles")
		}
		shares[id] = v
	}
	return hist, overrides, shares, errs.Wrap(rows.Err(), "profiles")
}

// OverrideInput is the SSC's choice of assessment for a party, role and
// year, replacing the rules' choice in the forward plan.
type OverrideInput struct {
	Party  string `json:"party"`
	Role   string `json:"role"`
	Year   int    `json:"year"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
	// NonDomesticShare, when set, records the share (0 to 1) of the party's
	// Smart Metering Systems serving non-domestic premises.
	NonDomesticShare *float64 `json:"non_domestic_share,omitempty"`
}

// SetOverride records the SSC's override of the forward plan (and, if
// given, the party's non-domestic share). Only the SSC and its secretariat
// may.
func (s *Service) SetOverride(ctx context.Context, c access.Caller, in OverrideInput) error {
	if !MayOverride(c) {
		return errs.E(errs.Forbidden, "only SSC members and the secretariat may override the forward plan")
	}
	var fields []errs.Field
	role, err := sec.ParseOrgRole(in.Role)
	if err != nil {
		fields = append(fields, errs.Field{Field: "role", Message: err.Error()})
	} else if !isAssessedRole(role) {
		fields = append(fields, errs.Field{Field: "role", Message: role.Label() + " is not a role in which parties are assessed"})
	}
	var typ sec.AssessmentType
	if strings.TrimSpace(in.Type) != "" {
		if typ, err = sec.ParseAssessmentType(in.Type); err != nil {
			fields = append(fields, errs.Field{Field: "type", Message: err.Error()})
		}
	}
	if in.Year < 2014 || in.Year > 2200 {
		fields = append(fields, errs.Field{Field: "year", Message: "want a year from 2014 to 2200"})
	}
	reason, f := checkText("reason", in.Reason, typ != "")
	if f != nil {
		fields = append(fields, *f)
	}
	if in.NonDomesticShare != nil && (*in.NonDomesticShare < 0 || *in.NonDomesticShare > 1 || math.IsNaN(*in.NonDomesticShare)) {
		fields = append(fields, errs.Field{Field: "non_domestic_share", Message: "want a share from 0 to 1"})
	}
	if typ == "" && in.NonDomesticShare == nil {
		fields = append(fields, errs.Field{Field: "type", Message: "required: FUSA, VUSA or SSA (or give a non_domestic_share)"})
	}
	var partyID int64
	code := strings.ToUpper(strings.TrimSpace(in.Party))
	if err := s.DB.QueryRowContext(ctx, "SELECT id FROM organisations WHERE code = $1", code).Scan(&partyID); err != nil {
		fields = append(fields, errs.Field{Field: "party", Message: "no party has the code " + strings.TrimSpace(in.Party)})
	} else if role != "" && !hasOrgRole(ctx, s.DB, partyID, role) {
		fields = append(fields, errs.Field{Field: "role", Message: code + " does not hold the role " + role.Label()})
	}
	if len(fields) > 0 {
		return errs.Fields("the override is not valid", fields...)
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if typ != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_overrides (party_id, role, year, type, reason, set_by, set_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (party_id, role, year) DO UPDATE SET type = excluded.type,
				reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
				partyID, string(role), in.Year, string(typ), reason, c.Name, tx.Now); err != nil {
				return errs.Wrap(err, "override")
			}
		}
		if in.NonDomesticShare != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_profiles (party_id, non_domestic_share, set_by, set_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT (party_id) DO UPDATE SET non_domestic_share = excluded.non_domestic_share,
				set_by = excluded.set_by, set_at = excluded.set_at`, partyID, *in.NonDomesticShare, c.Name, tx.Now); err != nil {
				return errs.Wrap(err, "non-domestic share")
			}
		}
		return audit.Record(ctx, tx, "assessment.override", "party", code, in)
	})
}
