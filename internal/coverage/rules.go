package coverage

import (
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
)

// Status is where a Supplier's Devices of a model stand under G3.20(b).
type Status string

// Statuses, from the best to the worst for an obligated Supplier, then the two
// kinds of Device the Supplier has no G3.20(b) duty for.
const (
	// Covered: a contract chain or the SSC scheme means the Supplier will be
	// notified of material vulnerabilities.
	Covered Status = "covered"
	// Steps: not covered, but the SSC accepts the Supplier is taking
	// reasonable steps: a Letter of Intent, or inherited Devices still inside
	// the churn window (LC50.5).
	Steps Status = "steps"
	// Gap: no arrangement and no steps. Only a gap with no effort is for the
	// Panel (SECAS, 15 Sep 2020).
	Gap Status = "gap"
	// DCC: SMETS2+ Communications Hub and Gas Proxy Functions are the DCC's,
	// listed apart.
	DCC Status = "dcc"
	// Exempt: no User carries G3.20(b) for these Devices under the SEC version
	// in force (SMETS1 before v5.20, In-Home Displays).
	Exempt Status = "exempt"
	// DP087Gap: a SMETS1 Communications Hub or Gas Proxy Function under a
	// release where G3.17(b) gives it to the Supplier but G3.20(b) still
	// excludes it. A known defect of the code (seeds/001), not an exemption:
	// shown apart, with whether an arrangement covers it anyway.
	DP087Gap Status = "dp087_gap"
	// Impracticable: what would be a Gap, but the SSC has accepted the
	// Supplier's record that an arrangement with the manufacturer is not
	// practicable (G3.20 binds "wherever it is practicable to do so"). Its
	// own status: neither covered nor reasonable steps, and not a Gap. A
	// record pending or rejected changes nothing; the reason says so.
	Impracticable Status = "impracticable"
)

var statusLabels = map[Status]string{
	Covered:       "Covered",
	Steps:         "Reasonable steps",
	Gap:           "Gap",
	DCC:           "DCC's",
	Exempt:        "No G3.20 duty",
	DP087Gap:      "DP087 gap",
	Impracticable: "Not practicable (accepted by the SSC)",
}

// Label is the human name of the status.
func (s Status) Label() string { return statusLabels[s] }

// worse reports whether a is worse than b for an obligated Supplier.
func worse(a, b Status) bool { return rank(a) > rank(b) }

func rank(s Status) int {
	switch s {
	case Covered:
		return 1
	case Steps:
		return 2
	case Impracticable:
		return 3
	case Gap:
		return 4
	}
	return 0
}

// Route says how Devices are covered, or why not.
type Route string

// Routes.
const (
	RouteDirect Route = "direct"     // the Supplier's contract with the manufacturer
	RouteMAP    Route = "via_map"    // the Supplier's contract with the owning MAP, and the MAP's with the manufacturer
	RouteScheme Route = "ssc_scheme" // the manufacturer's SSC scheme enrolment (legacy agreement, or a non-meter it names)
	// RouteBuildStandard: a meter first CPA-certified from 22 June 2020,
	// whose manufacturer must notify the SSC directly under the CPA Build
	// Standard, enrolment record or not (seeds/000).
	RouteBuildStandard Route = "cpa_build_standard"
	RouteLoI           Route = "letter_of_intent" // a Letter of Intent or MoU on the direct or the MAP route
	RouteChurn         Route = "churn_window"     // inherited Devices inside the churn window
	RouteNone          Route = "none"
	RouteDCC           Route = "dcc"
	RouteExempt        Route = "exempt"
	// RouteImpracticable: the SSC accepted that no arrangement with the
	// manufacturer is practicable for the Supplier.
	RouteImpracticable Route = "impracticable"
)

var routeLabels = map[Route]string{
	RouteDirect:        "Direct contract with the manufacturer",
	RouteMAP:           "Through the owning MAP's contracts",
	RouteScheme:        "SSC scheme",
	RouteBuildStandard: "SSC scheme (CPA Build Standard)",
	RouteLoI:           "Letter of Intent or MoU",
	RouteChurn:         "Churn window",
	RouteNone:          "No arrangement",
	RouteDCC:           "DCC",
	RouteExempt:        "No duty",
	RouteImpracticable: "Not practicable (accepted by the SSC)",
}

// Label is the human name of the route.
func (r Route) Label() string { return routeLabels[r] }

// Term is an arrangement in force on the day, as the rules need it.
type Term struct {
	ID           int64
	Kind         arrangement.Kind
	Supplier     int64
	MAP          int64
	Manufacturer int64
	AllModels    bool
	Models       map[int64]bool
	Legacy       bool
	Expires      sec.Date // last day in force; zero when open-ended
	// SignedByBoth: a Letter of Intent both parties had signed by the day
	// (seeds/000: "a contract or Letter of Intent signed by both parties").
	SignedByBoth bool
}

func (t *Term) covers(model int64) bool { return t.AllModels || t.Models[model] }

// strength is how much the term counts: a Letter of Intent signed by both
// parties as much as a contract, one signed by one party (or with no
// signatures recorded) as reasonable steps.
func (t *Term) strength() arrangement.Strength {
	if t.Kind == arrangement.LetterOfIntent && t.SignedByBoth {
		return arrangement.Binding
	}
	return arrangement.StrengthOf(t.Kind)
}

// Terms indexes the arrangements in force by the pair of parties they link.
type Terms struct {
	direct      map[[2]int64][]*Term // (supplier, manufacturer)
	supplierMAP map[[2]int64][]*Term // (supplier, MAP)
	mapMfr      map[[2]int64][]*Term // (MAP, manufacturer)
	scheme      map[int64][]*Term    // manufacturer
}

// NewTerms indexes arrangements in force. A Letter of Intent goes on the link
// its two parties make; a churn contract links the Supplier to the MAP like a
// Supplier–MAP contract.
func NewTerms(ts []Term) *Terms {
	x := &Terms{direct: map[[2]int64][]*Term{}, supplierMAP: map[[2]int64][]*Term{},
		mapMfr: map[[2]int64][]*Term{}, scheme: map[int64][]*Term{}}
	for i := range ts {
		t := &ts[i]
		switch {
		case t.Kind == arrangement.SSCScheme:
			x.scheme[t.Manufacturer] = append(x.scheme[t.Manufacturer], t)
		case t.Supplier != 0 && t.Manufacturer != 0:
			x.direct[[2]int64{t.Supplier, t.Manufacturer}] = append(x.direct[[2]int64{t.Supplier, t.Manufacturer}], t)
		case t.Supplier != 0 && t.MAP != 0:
			x.supplierMAP[[2]int64{t.Supplier, t.MAP}] = append(x.supplierMAP[[2]int64{t.Supplier, t.MAP}], t)
		case t.MAP != 0 && t.Manufacturer != 0:
			x.mapMfr[[2]int64{t.MAP, t.Manufacturer}] = append(x.mapMfr[[2]int64{t.MAP, t.Manufacturer}], t)
		}
	}
	return x
}

// link finds the strongest term in ts covering the model: a contract before
// a Letter of Intent, then the one lasting longest.
func link(ts []*Term, model int64) (*Term, arrangement.Strength) {
	var best *Term
	var bs arrangement.Strength
	for _, t := range ts {
		if !t.covers(model) {
			continue
		}
		st := t.strength()
		if best == nil || st > bs || st == bs && lastsLonger(t.Expires, best.Expires) {
			best, bs = t, st
		}
	}
	return best, bs
}

func lastsLonger(a, b sec.Date) bool {
	if a.IsZero() {
		return !b.IsZero()
	}
	return !b.IsZero() && a.After(b)
}

// Model is what the rules need of a Device Model.
type Model struct {
	ID           int64
	Manufacturer int64
	Type         sec.DeviceType
	Generation   sec.Generation
	// Certified is the day of the model's first CPA certificate; zero when
	// the catalogue holds none.
	Certified sec.Date
}

// Cell is a Supplier's installed Devices of one model owned by one MAP (0:
// none), from the portfolio aggregates.
type Cell struct {
	Supplier int64
	Model    Model
	MAP      int64
	Devices  int64
	// InWindow of the Devices were inherited on a change of supplier and are
	// still inside the churn window on the day; WindowStart is the earliest
	// supply start among them, so its window closes first.
	InWindow    int64
	WindowStart sec.Date
	// NotEnrolled of a SMETS1 cell's Devices were not enrolled on the day
	// (no enrolment date, or a later one): v5.20 brought in User obligations
	// for enrolled SMETS1 Devices only (seeds/001). For a SMETS1 cell,
	// InWindow counts enrolled Devices only.
	NotEnrolled int64
}

// Part is a share of a cell's Devices with one status and one reason.
type Part struct {
	Status  Status
	Route   Route
	MAP     int64
	Devices int64
	// Terms are the arrangements behind the status (one, or two for a MAP
	// chain).
	Terms []int64
	// Until is when the status may change by itself: the first expiry of the
	// arrangements behind it, or the last day of the churn window.
	Until sec.Date
	// Since is, for Devices in the churn window, the earliest day their
	// supply began.
	Since sec.Date
	// Duty is the G3.20(b) answer for DCC, exempt and DP087-gap Devices.
	Duty *sec.Duty
	// Arranged is, for the DP087 gap, how strongly the Supplier's
	// arrangements cover the Devices anyway (0: not at all).
	Arranged arrangement.Strength
	// SchemeNote says why the SSC scheme (the build standard, or the
	// manufacturer's enrolment record) does not reach the model.
	SchemeNote string
	// Practicability is, for a Gap or not-practicable part, the Supplier's
	// record about the manufacturer that decides it (nil: none).
	Practicability *impracticable.Standing
}

// Rules evaluate cells on one day under one SEC version.
type Rules struct {
	Terms    *Terms
	Settings sec.Settings
	Version  sec.Version
	Date     sec.Date
	// Impracticable holds, by (Supplier, manufacturer), the record that an
	// arrangement is not practicable deciding the day (impracticable.ForCoverage).
	Impracticable map[[2]int64]impracticable.Standing
	duties        map[[2]string]sec.Duty
}

// NewRules prepares the rules for a day.
func NewRules(terms *Terms, s sec.Settings, v sec.Version, d sec.Date) *Rules {
	return &Rules{Terms: terms, Settings: s, Version: v, Date: d, duties: map[[2]string]sec.Duty{}}
}

// duty is who carries G3.20(b) for a Device of the type and generation that
// has a Responsible Supplier (it is in the Supplier's portfolio).
func (r *Rules) duty(t sec.DeviceType, g sec.Generation) sec.Duty {
	k := [2]string{string(t), string(g)}
	if d, ok := r.duties[k]; ok {
		return d
	}
	o, err := sec.WhoCarries(sec.DutyQuery{Type: t, Generation: g, HasSupplier: true, Date: r.Date, Version: r.Version}, r.Settings)
	d := o.G320
	if err != nil {
		// An unknown type or generation cannot come from the catalogue's
		// checked columns; say so rather than guess a holder.
		d = sec.Duty{Clause: sec.ClauseG320, Holder: sec.HolderNoOne, Reason: "cannot decide: " + err.Error()}
	}
	r.duties[k] = d
	return d
}

// enrolmentMatters reports whether a SMETS1 Device's enrolment changes who
// carries G3.20(b) under the rules' version: from v5.20 on, where an enrolled
// one would be the Supplier's or in the DP087 gap.
func (r *Rules) enrolmentMatters(m Model) bool {
	if m.Generation != sec.SMETS1 {
		return false
	}
	d := r.duty(m.Type, m.Generation)
	return d.Holder == sec.HolderSupplier || d.KnownGap
}

// notEnrolledDuty is who carries G3.20(b) for a SMETS1 Device of type t not
// enrolled on the day: no one.
func (r *Rules) notEnrolledDuty(t sec.DeviceType) sec.Duty {
	o, err := sec.WhoCarries(sec.DutyQuery{Type: t, Generation: sec.SMETS1, HasSupplier: true, Date: r.Date, Version: r.Version,
		NotEnrolled: true}, r.Settings)
	if err != nil {
		return sec.Duty{Clause: sec.ClauseG320, Holder: sec.HolderNoOne, Reason: "cannot decide: " + err.Error()}
	}
	return o.G320
}

// Evaluate splits a cell's Devices by G3.20(b) status. A SMETS1 cell's
// Devices not enrolled on the day come first, under no duty; the enrolled
// ones are evaluated as any other.
func (r *Rules) Evaluate(c Cell) []Part {
	if c.NotEnrolled > 0 && r.enrolmentMatters(c.Model) {
		d := r.notEnrolledDuty(c.Model.Type)
		out := []Part{{Status: Exempt, Route: RouteExempt, MAP: c.MAP, Devices: min(c.NotEnrolled, c.Devices), Duty: &d}}
		c.Devices -= c.NotEnrolled
		c.NotEnrolled = 0
		if c.Devices <= 0 {
			return out
		}
		return append(r.Evaluate(c), out...)
	}
	d := r.duty(c.Model.Type, c.Model.Generation)
	switch d.Holder {
	case sec.HolderDCC:
		return []Part{{Status: DCC, Route: RouteDCC, MAP: c.MAP, Devices: c.Devices, Duty: &d}}
	case sec.HolderNoOne:
		if d.KnownGap {
			// No duty binds, but say whether the Supplier is covered anyway:
			// the gap is in the code, not necessarily in its arrangements.
			route, terms, strength, _ := r.best(c)
			return []Part{{Status: DP087Gap, Route: route, MAP: c.MAP, Devices: c.Devices, Terms: ids(terms),
				Until: firstExpiry(terms), Duty: &d, Arranged: strength}}
		}
		return []Part{{Status: Exempt, Route: RouteExempt, MAP: c.MAP, Devices: c.Devices, Duty: &d}}
	}
	route, terms, strength, note := r.best(c)
	switch strength {
	case arrangement.Binding:
		return []Part{{Status: Covered, Route: route, MAP: c.MAP, Devices: c.Devices, Terms: ids(terms), Until: firstExpiry(terms)}}
	case arrangement.Steps:
		return []Part{{Status: Steps, Route: RouteLoI, MAP: c.MAP, Devices: c.Devices, Terms: ids(terms), Until: firstExpiry(terms)}}
	}
	var parts []Part
	in := min(c.InWindow, c.Devices)
	if in > 0 {
		parts = append(parts, Part{Status: Steps, Route: RouteChurn, MAP: c.MAP, Devices: in,
			Until: r.Settings.ChurnWindowEnds(c.WindowStart), Since: c.WindowStart, SchemeNote: note})
	}
	if rest := c.Devices - in; rest > 0 {
		p := Part{Status: Gap, Route: RouteNone, MAP: c.MAP, Devices: rest, SchemeNote: note}
		if st, ok := r.Impracticable[[2]int64{c.Supplier, c.Model.Manufacturer}]; ok {
			p.Practicability = &st
			if st.Stands {
				p.Status, p.Route = Impracticable, RouteImpracticable
			}
		}
		parts = append(parts, p)
	}
	return parts
}

// NeedsWindow reports whether the cell's status depends on its churn
// window: the Supplier carries G3.20(b) for it and nothing covers it.
func (r *Rules) NeedsWindow(c Cell) bool {
	if r.duty(c.Model.Type, c.Model.Generation).Holder != sec.HolderSupplier {
		return false
	}
	_, _, strength, _ := r.best(c)
	return strength == 0
}

// best finds the strongest way the cell's Devices are covered: a binding
// route (direct, scheme, MAP chain) before a Letter of Intent on either the
// direct or the MAP route. A MAP chain is as strong as its weaker link.
func (r *Rules) best(c Cell) (Route, []*Term, arrangement.Strength, string) {
	m := c.Model
	dt, ds := link(r.Terms.direct[[2]int64{c.Supplier, m.Manufacturer}], m.ID)
	if ds == arrangement.Binding {
		return RouteDirect, []*Term{dt}, ds, ""
	}
	sa, st := r.scheme(m)
	if sa.Covers {
		if st == nil {
			return RouteBuildStandard, nil, arrangement.Binding, ""
		}
		return RouteScheme, []*Term{st}, arrangement.Binding, ""
	}
	note := sa.Reason
	var ms arrangement.Strength
	var chain []*Term
	if c.MAP != 0 {
		st, s1 := link(r.Terms.supplierMAP[[2]int64{c.Supplier, c.MAP}], m.ID)
		mt, s2 := link(r.Terms.mapMfr[[2]int64{c.MAP, m.Manufacturer}], m.ID)
		if st != nil && mt != nil {
			ms, chain = min(s1, s2), []*Term{st, mt}
		}
	}
	if ms == arrangement.Binding {
		return RouteMAP, chain, ms, ""
	}
	if ds == arrangement.Steps {
		return RouteLoI, []*Term{dt}, ds, note
	}
	if ms == arrangement.Steps {
		return RouteLoI, chain, ms, note
	}
	return RouteNone, nil, 0, note
}

// scheme asks sec.SchemeCovers whether the SSC is notified directly about
// the model: by the build standard (no enrolment record needed, so no term),
// or through the manufacturer's enrolment record in force that names it.
func (r *Rules) scheme(m Model) (sec.SchemeAnswer, *Term) {
	q := sec.SchemeQuery{Type: m.Type, Certified: m.Certified}
	var enrolled *Term
	for _, t := range r.Terms.scheme[m.Manufacturer] {
		if !t.covers(m.ID) {
			continue
		}
		if enrolled == nil || t.Legacy && !enrolled.Legacy {
			enrolled = t
		}
	}
	if enrolled != nil {
		q.Enrolled, q.Legacy = true, enrolled.Legacy
	}
	a := sec.SchemeCovers(q, r.Settings)
	if a.Basis == sec.SchemeBuildStandard {
		return a, nil
	}
	return a, enrolled
}

func ids(ts []*Term) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func firstExpiry(ts []*Term) sec.Date {
	var first sec.Date
	for _, t := range ts {
		if !t.Expires.IsZero() && (first.IsZero() || t.Expires.Before(first)) {
			first = t.Expires
		}
	}
	return first
}

// WindowOpenFrom is the earliest supply start whose churn window is still
// open on day d: inherited Devices whose supply began on or after it are
// inside the window. ChurnWindowEnds never decreases as the start moves
// later, so one bound splits them exactly, and the SQL can filter on it.
func WindowOpenFrom(s sec.Settings, d sec.Date) sec.Date {
	start := d.AddMonths(-s.ChurnWindowMonths).AddDays(-4)
	for s.ChurnWindowEnds(start).Before(d) {
		start = start.AddDays(1)
	}
	return start
}
