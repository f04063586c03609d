package report

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// The SSC's standing report gathers, for its meetings, the confidential
// standing items (seeds/003, item 16; DOMAIN.md "SSC monthly outputs"): CPA
// certificates that are expired, withdrawn or conditional with the Devices on
// them; vulnerabilities open, overdue or unacknowledged; G3.20 coverage gaps
// by Supplier with their trend over twelve monthly snapshots; and the
// month's churn. Other areas own those records; each reaches the report
// through a source, and a source not connected leaves its section saying so.

// Sources connect the standing report to the areas that own its records.
type Sources struct {
	Certificates    CertificateSource
	Vulnerabilities VulnerabilitySource
	Coverage        CoverageSource
	// StandingItems are security incidents, anomaly detection threshold
	// reports and shared resource notifications (internal/meeting).
	StandingItems StandingItemSource
}

// StandingItemSource gives, as viewer may see them, the standing items open
// on day or that occurred in the month from first.
type StandingItemSource interface {
	StandingItems(ctx context.Context, viewer access.Caller, first, day sec.Date) ([]StandingItemRow, error)
}

// StandingItemRow is one standing item in the report.
type StandingItemRow struct {
	Kind           string             `json:"kind"`
	Occurred       sec.Date           `json:"occurred_on"`
	Party          string             `json:"party"`
	Title          string             `json:"title"`
	Impact         string             `json:"impact"`
	Status         string             `json:"status"`
	Classification sec.Classification `json:"classification"`
}

// CertificateSource gives the installed Devices on firmware whose CPA
// certificates, on day, are expired, past renewal, withdrawn or conditional,
// or that has none (the catalogue's certificate report).
type CertificateSource interface {
	CertificateReport(ctx context.Context, day sec.Date) ([]CertificateRow, error)
}

// CertificateRow counts one Supplier's Devices on one firmware version in one
// certificate state.
type CertificateRow struct {
	Supplier     string `json:"supplier"` // organisation code; "" for no Responsible Supplier
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Firmware     string `json:"firmware"`
	Status       string `json:"status"` // e.g. "expired", "withdrawn", "conditional"
	Detail       string `json:"detail,omitempty"`
	Devices      int64  `json:"devices"`
}

// VulnerabilitySource gives, as viewer may see them, the vulnerabilities
// still open, the rectification plans past their dates, and the recipients
// that have not acknowledged an open vulnerability (the vulnerability
// register's oversight for the SSC), as recorded when the report is made.
type VulnerabilitySource interface {
	StandingVulnerabilities(ctx context.Context, viewer access.Caller, day sec.Date) (VulnerabilityFacts, error)
}

// VulnerabilityFacts is what a VulnerabilitySource gives.
type VulnerabilityFacts struct {
	Open           []VulnerabilityRow  `json:"open"`
	OverduePlans   []OverduePlanRow    `json:"overdue_plans"`
	Unacknowledged []UnacknowledgedRow `json:"unacknowledged"`
}

// VulnerabilityRow is one open vulnerability as the standing report lists it.
type VulnerabilityRow struct {
	Reference      string             `json:"reference"`
	Title          string             `json:"title"`
	State          string             `json:"state"`
	Manufacturer   OrgRef             `json:"manufacturer"`
	Material       bool               `json:"material"`
	Severity       string             `json:"severity,omitempty"`
	Reported       sec.Date           `json:"reported,omitzero"`
	Devices        int64              `json:"devices"`
	OverduePlans   int                `json:"overdue_plans"`
	Unacknowledged int                `json:"unacknowledged"` // recipients yet to acknowledge
	Classification sec.Classification `json:"classification"`
}

// OverduePlanRow is a rectification plan past its declared completion or its
// next update date.
type OverduePlanRow struct {
	Reference          string   `json:"reference"`
	Title              string   `json:"title"`
	Owner              OrgRef   `json:"owner"`
	DeclaredCompletion sec.Date `json:"declared_completion,omitzero"`
	NextUpdateDue      sec.Date `json:"next_update_due,omitzero"`
	Escalations        int      `json:"escalations"`
}

// UnacknowledgedRow is a recipient told of an open vulnerability that has
// not acknowledged it.
type UnacknowledgedRow struct {
	Reference string `json:"reference"`
	Title     string `json:"title"`
	Org       OrgRef `json:"org"`
	Role      string `json:"role"`
	Devices   int64  `json:"devices"`
	Days      int    `json:"days"` // since it was first told
}

// CoverageSource gives the monthly G3.20 coverage snapshots of the months
// from first to last (those that exist): per Supplier, its obligated Devices
// Covered, under Reasonable steps (the churn window) and in a Gap.
type CoverageSource interface {
	CoverageSnapshots(ctx context.Context, first, last Month) ([]CoverageRow, error)
}

// CoverageRow is one Supplier's coverage in one month's snapshot.
type CoverageRow struct {
	Month           Month  `json:"month"`
	Supplier        string `json:"supplier"` // organisation code
	Covered         int64  `json:"covered"`
	ReasonableSteps int64  `json:"reasonable_steps"`
	Gap             int64  `json:"gap"`
}

// sscBody is the SSC as a body reading other areas' records for a standing
// report: everything up to AMBER, and no RED record, because a RED record
// names its own readers and they need not be the report's. UserID -1 belongs
// to no one.
func sscBody() access.Caller {
	return access.Caller{UserID: -1, Name: "SSC standing report", Roles: []sec.Role{sec.RoleSSCMember}, Via: "system"}
}

// StandingData is the content of a standing report.
type StandingData struct {
	Day             sec.Date              `json:"day"` // the month's last day
	Certificates    *CertificateSection   `json:"certificates"`
	Vulnerabilities *VulnerabilitySection `json:"vulnerabilities"`
	Coverage        *CoverageSection      `json:"coverage"`
	Churn           ChurnSection          `json:"churn"`
	StandingItems   []StandingItemRow     `json:"standing_items"`
	// Unavailable names the sections whose source is not connected.
	Unavailable []string `json:"unavailable"`
}

// CertificateSection is the certificate part of a standing report.
type CertificateSection struct {
	Rows       []CertificateRow `json:"rows"`
	BySupplier []StatusCount    `json:"by_supplier"`
	Devices    int64            `json:"devices"`
}

// StatusCount is a Supplier's Devices on certificates in one state.
type StatusCount struct {
	Supplier OrgRef `json:"supplier"`
	Status   string `json:"status"`
	Devices  int64  `json:"devices"`
}

// VulnerabilitySection is the vulnerability part of a standing report.
type VulnerabilitySection struct {
	VulnerabilityFacts
	OpenCount           int `json:"open_count"`
	OverdueCount        int `json:"overdue_count"`        // open vulnerabilities with an overdue plan
	UnacknowledgedCount int `json:"unacknowledged_count"` // open vulnerabilities some recipient has not acknowledged
}

// CoverageSection is the G3.20 part of a standing report: this month by
// Supplier, and the trend over the last twelve monthly snapshots.
type CoverageSection struct {
	Month      Month              `json:"month"`
	BySupplier []SupplierCoverage `json:"by_supplier"`
	Trend      []CoverageMonth    `json:"trend"`
}

// SupplierCoverage is one Supplier's coverage this month, with its gap in
// each month of the trend (zero where it had none or no snapshot).
type SupplierCoverage struct {
	Supplier        OrgRef  `json:"supplier"`
	Covered         int64   `json:"covered"`
	ReasonableSteps int64   `json:"reasonable_steps"`
	Gap             int64   `json:"gap"`
	GapTrend        []int64 `json:"gap_trend"`
}

// CoverageMonth totals one month's snapshot.
type CoverageMonth struct {
	Month           Month `json:"month"`
	Snapshot        bool  `json:"snapshot"` // false: no snapshot was taken that month
	Covered         int64 `json:"covered"`
	ReasonableSteps int64 `json:"reasonable_steps"`
	Gap             int64 `json:"gap"`
	SuppliersInGap  int   `json:"suppliers_in_gap"`
}

// ChurnSection is the month's changes of supplier, and the totals of the
// twelve months to it.
type ChurnSection struct {
	Month   Month        `json:"month"`
	Devices int64        `json:"devices"`
	Flows   []ChurnFlow  `json:"flows"`
	Trend   []MonthTotal `json:"trend"`
}

// ChurnFlow is the Devices that moved from one Supplier to another.
type ChurnFlow struct {
	From    OrgRef `json:"from"`
	To      OrgRef `json:"to"`
	Devices int64  `json:"devices"`
}

// MonthTotal is a count for a month.
type MonthTotal struct {
	Month   Month `json:"month"`
	Devices int64 `json:"devices"`
}

func standingData(ctx context.Context, q store.Querier, src Sources, f facts, m Month) (StandingData, error) {
	d := StandingData{Day: m.Last(), Unavailable: []string{}}
	byCode := map[string]org{}
	for _, o := range f.orgs {
		byCode[o.Code] = o
	}
	supplierRef := func(code string) OrgRef {
		if code == "" {
			return OrgRef{Code: "", Name: "No Responsible Supplier"}
		}
		if o, ok := byCode[code]; ok {
			return o.ref()
		}
		return OrgRef{Code: code, Name: code}
	}

	if src.Certificates == nil {
		d.Unavailable = append(d.Unavailable, "certificates")
	} else {
		rows, err := src.Certificates.CertificateReport(ctx, d.Day)
		if err != nil {
			return d, err
		}
		cs := &CertificateSection{Rows: rows, BySupplier: []StatusCount{}}
		if cs.Rows == nil {
			cs.Rows = []CertificateRow{}
		}
		idx := map[[2]string]int{}
		for _, r := range rows {
			cs.Devices += r.Devices
			k := [2]string{r.Supplier, r.Status}
			i, ok := idx[k]
			if !ok {
				i = len(cs.BySupplier)
				idx[k] = i
				cs.BySupplier = append(cs.BySupplier, StatusCount{Supplier: supplierRef(r.Supplier), Status: r.Status})
			}
			cs.BySupplier[i].Devices += r.Devices
		}
		slices.SortFunc(cs.BySupplier, func(a, b StatusCount) int {
			return cmp.Or(strings.Compare(a.Supplier.Name, b.Supplier.Name), strings.Compare(a.Status, b.Status))
		})
		d.Certificates = cs
	}

	if src.Vulnerabilities == nil {
		d.Unavailable = append(d.Unavailable, "vulnerabilities")
	} else {
		facts, err := src.Vulnerabilities.StandingVulnerabilities(ctx, sscBody(), d.Day)
		if err != nil {
			return d, err
		}
		vs := &VulnerabilitySection{VulnerabilityFacts: VulnerabilityFacts{Open: []VulnerabilityRow{},
			OverduePlans: facts.OverduePlans, Unacknowledged: facts.Unacknowledged}}
		if vs.OverduePlans == nil {
			vs.OverduePlans = []OverduePlanRow{}
		}
		if vs.Unacknowledged == nil {
			vs.Unacknowledged = []UnacknowledgedRow{}
		}
		for _, v := range facts.Open {
			if v.Classification == sec.Red {
				continue // a source that lets one through does not carry it further
			}
			vs.Open = append(vs.Open, v)
			vs.OpenCount++
			if v.OverduePlans > 0 {
				vs.OverdueCount++
			}
			if v.Unacknowledged > 0 {
				vs.UnacknowledgedCount++
			}
		}
		d.Vulnerabilities = vs
	}

	if src.Coverage == nil {
		d.Unavailable = append(d.Unavailable, "coverage")
	} else {
		first := m.Add(-11)
		rows, err := src.Coverage.CoverageSnapshots(ctx, first, m)
		if err != nil {
			return d, err
		}
		d.Coverage = coverageSection(rows, first, m, supplierRef)
	}

	if src.StandingItems == nil {
		d.Unavailable = append(d.Unavailable, "standing items")
	} else {
		rows, err := src.StandingItems.StandingItems(ctx, sscBody(), m.First(), d.Day)
		if err != nil {
			return d, err
		}
		d.StandingItems = []StandingItemRow{}
		for _, r := range rows {
			if r.Classification != sec.Red { // as for vulnerabilities: RED names its own readers
				d.StandingItems = append(d.StandingItems, r)
			}
		}
	}

	churn, err := churnSection(ctx, q, m, f)
	if err != nil {
		return d, err
	}
	d.Churn = churn
	return d, nil
}

func coverageSection(rows []CoverageRow, first, last Month, ref func(string) OrgRef) *CoverageSection {
	cs := &CoverageSection{Month: last, BySupplier: []SupplierCoverage{}}
	months := []Month{}
	for mm := first; !last.Before(mm); mm = mm.Add(1) {
		months = append(months, mm)
		cs.Trend = append(cs.Trend, CoverageMonth{Month: mm})
	}
	bySupplier := map[string]*SupplierCoverage{}
	for _, r := range rows {
		i := slices.Index(months, r.Month)
		if i < 0 {
			continue
		}
		t := &cs.Trend[i]
		t.Snapshot = true
		t.Covered += r.Covered
		t.ReasonableSteps += r.ReasonableSteps
		t.Gap += r.Gap
		if r.Gap > 0 {
			t.SuppliersInGap++
		}
		sc := bySupplier[r.Supplier]
		if sc == nil {
			sc = &SupplierCoverage{Supplier: ref(r.Supplier), GapTrend: make([]int64, len(months))}
			bySupplier[r.Supplier] = sc
		}
		sc.GapTrend[i] += r.Gap
		if r.Month == last {
			sc.Covered += r.Covered
			sc.ReasonableSteps += r.ReasonableSteps
			sc.Gap += r.Gap
		}
	}
	for _, sc := range bySupplier {
		cs.BySupplier = append(cs.BySupplier, *sc)
	}
	slices.SortFunc(cs.BySupplier, func(a, b SupplierCoverage) int {
		return cmp.Or(cmp.Compare(b.Gap, a.Gap), cmp.Compare(b.ReasonableSteps, a.ReasonableSteps), strings.Compare(a.Supplier.Name, b.Supplier.Name))
	})
	return cs
}

// churnSection reads the changes of supplier the estate counts by month.
func churnSection(ctx context.Context, q store.Querier, m Month, f facts) (ChurnSection, error) {
	cs := ChurnSection{Month: m, Flows: []ChurnFlow{}, Trend: []MonthTotal{}}
	rows, err := q.QueryContext(ctx, `SELECT from_supplier, to_supplier, devices FROM churn_monthly
		WHERE month = $1 AND devices > 0 ORDER BY devices DESC, from_supplier, to_supplier`, m.String())
	if err != nil {
		return cs, errs.Wrap(err, "churn")
	}
	for rows.Next() {
		var from, to, n int64
		if err := rows.Scan(&from, &to, &n); err != nil {
			rows.Close()
			return cs, errs.Wrap(err, "churn")
		}
		cs.Flows = append(cs.Flows, ChurnFlow{From: f.org(from).ref(), To: f.org(to).ref(), Devices: n})
		cs.Devices += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return cs, errs.Wrap(err, "churn")
	}
	first := m.Add(-11)
	totals := map[string]int64{}
	rows, err = q.QueryContext(ctx, `SELECT month, SUM(devices) FROM churn_monthly WHERE month >= $1 AND month <= $2 GROUP BY month`,
		first.String(), m.String())
	if err != nil {
		return cs, errs.Wrap(err, "churn")
	}
	defer rows.Close()
	for rows.Next() {
		var month string
		var n int64
		if err := rows.Scan(&month, &n); err != nil {
			return cs, errs.Wrap(err, "churn")
		}
		totals[month] = n
	}
	for mm := first; !m.Before(mm); mm = mm.Add(1) {
		cs.Trend = append(cs.Trend, MonthTotal{Month: mm, Devices: totals[mm.String()]})
	}
	return cs, errs.Wrap(rows.Err(), "churn")
}

func shortMonth(m Month) string { return uk.MonthOf(m.First().Time()) }

// standingSections lays the data out for people. It reads only the data, so
// a stored report's JSON gives the same sections again.
func standingSections(d StandingData, m Month) []Section {
	secs := []Section{standingSummary(d, m)}
	unavailable := func(id, heading, what string) Section {
		return Section{ID: id, Heading: heading, Intro: "Not available in this report: " + what + " was not connected when it was generated."}
	}

	if c := d.Certificates; c == nil {
		secs = append(secs, unavailable("certificates", "CPA certificates: expired, withdrawn or conditional", "the catalogue's certificate report"))
	} else {
		sum := &Table{Columns: []Column{{Name: "Supplier code"}, {Name: "Supplier"}, {Name: "Certificate state"}, {Name: "Devices", Num: true}},
			Empty: "No installed Device was on an expired, withdrawn or conditional certificate."}
		for _, s := range c.BySupplier {
			sum.Rows = append(sum.Rows, []string{s.Supplier.Code, s.Supplier.Name, s.Status, itoa(s.Devices)})
		}
		if len(c.BySupplier) > 0 {
			sum.Foot = []string{"", "Total", "", itoa(c.Devices)}
		}
		detail := &Table{Columns: []Column{{Name: "Supplier"}, {Name: "Manufacturer"}, {Name: "Model"}, {Name: "Firmware"}, {Name: "Certificate state"}, {Name: "Devices", Num: true}},
			Empty: "None."}
		// Largest first: the PDF and the page show the head of a long table
		// and leave the whole of it to its CSV.
		rows := slices.Clone(c.Rows)
		slices.SortStableFunc(rows, func(a, b CertificateRow) int { return cmp.Compare(b.Devices, a.Devices) })
		for _, r := range rows {
			state := r.Status
			if r.Detail != "" {
				state += " (" + r.Detail + ")"
			}
			sup := r.Supplier
			if sup == "" {
				sup = "—"
			}
			detail.Rows = append(detail.Rows, []string{sup, r.Manufacturer, r.Model, r.Firmware, state, itoa(r.Devices)})
		}
		secs = append(secs,
			Section{ID: "certificates", Heading: "CPA certificates: expired, withdrawn or conditional",
				Intro: "Installed Devices on firmware whose CPA certificate was expired, past its renewal date, withdrawn or conditional (or missing) on " + uk.Day(d.Day.Time()) + ", by Supplier.",
				Table: sum},
			Section{ID: "certificate-devices", Heading: "Devices by model and firmware", Intro: "Largest first.", Table: detail})
	}

	if v := d.Vulnerabilities; v == nil {
		secs = append(secs, unavailable("vulnerabilities", "Vulnerabilities: open, overdue or unacknowledged", "the vulnerability register"))
	} else {
		t := &Table{Columns: []Column{{Name: "Reference"}, {Name: "Title"}, {Name: "Manufacturer"}, {Name: "State"}, {Name: "Material"},
			{Name: "Severity"}, {Name: "Devices", Num: true}, {Name: "Overdue plans", Num: true}, {Name: "Unacknowledged", Num: true}},
			Empty: "No vulnerability was open."}
		for _, it := range v.Open {
			t.Rows = append(t.Rows, []string{it.Reference, it.Title, it.Manufacturer.Code, it.State, yesNo(it.Material), it.Severity,
				itoa(it.Devices), itoa(int64(it.OverduePlans)), itoa(int64(it.Unacknowledged))})
		}
		plans := &Table{Columns: []Column{{Name: "Reference"}, {Name: "Title"}, {Name: "Plan of"}, {Name: "Declared completion"},
			{Name: "Next update due"}, {Name: "Escalations", Num: true}}, Empty: "No rectification plan was overdue."}
		for _, p := range v.OverduePlans {
			plans.Rows = append(plans.Rows, []string{p.Reference, p.Title, p.Owner.String(), p.DeclaredCompletion.String(), p.NextUpdateDue.String(), itoa(int64(p.Escalations))})
		}
		unack := &Table{Columns: []Column{{Name: "Reference"}, {Name: "Title"}, {Name: "Recipient"}, {Name: "As"}, {Name: "Devices", Num: true}, {Name: "Days since told", Num: true}},
			Empty: "Every recipient had acknowledged."}
		for _, u := range v.Unacknowledged {
			unack.Rows = append(unack.Rows, []string{u.Reference, u.Title, u.Org.String(), u.Role, itoa(u.Devices), itoa(int64(u.Days))})
		}
		secs = append(secs,
			Section{ID: "vulnerabilities", Heading: "Vulnerabilities: open, overdue or unacknowledged",
				Intro: itoa(int64(v.OpenCount)) + " open, of which " + itoa(int64(v.OverdueCount)) + " with a rectification plan overdue and " + itoa(int64(v.UnacknowledgedCount)) +
					" not yet acknowledged by every recipient, as the register stood when this report was made. RED vulnerabilities are not included: they name their own readers.",
				Table: t},
			Section{ID: "overdue-plans", Heading: "Rectification plans overdue", Intro: "Plans past their declared completion date or the SSC's next update date (G3.18, G3.9).", Table: plans},
			Section{ID: "unacknowledged", Heading: "Notices not acknowledged", Table: unack})
	}

	if d.StandingItems == nil {
		secs = append(secs, unavailable("standing-items", "Security incidents, anomaly detection and shared resources", "the meetings area"))
	} else {
		t := &Table{Columns: []Column{{Name: "Kind"}, {Name: "Occurred"}, {Name: "Party"}, {Name: "What"}, {Name: "Impact"}, {Name: "Status"}},
			Empty: "No security incident, anomaly detection report or shared resource notification was open or new."}
		for _, r := range d.StandingItems {
			t.Rows = append(t.Rows, []string{r.Kind, r.Occurred.String(), r.Party, r.Title, r.Impact, r.Status})
		}
		secs = append(secs, Section{ID: "standing-items", Heading: "Security incidents, anomaly detection and shared resources",
			Intro: "Standing items open on " + uk.Day(d.Day.Time()) + " or that occurred during the month. RED items are not included: they name their own readers.",
			Table: t})
	}

	if c := d.Coverage; c == nil {
		secs = append(secs, unavailable("coverage", "G3.20 coverage gaps by Supplier", "the arrangements register (its monthly coverage snapshots)"))
	} else {
		chart := &Chart{ID: "coverage-trend", Title: "Devices without G3.20 coverage, last twelve monthly snapshots",
			Desc:   "Stacked bars per month: Devices in a gap, and Devices whose Supplier is taking reasonable steps within the churn window.",
			Series: []Series{{Name: "Gap", Colour: "#b3261e"}, {Name: "Reasonable steps", Colour: "#d08a1a"}}}
		trend := &Table{Columns: []Column{{Name: "Month"}, {Name: "Snapshot"}, {Name: "Suppliers with a gap", Num: true}, {Name: "Gap", Num: true}, {Name: "Reasonable steps", Num: true}, {Name: "Covered", Num: true}}}
		for _, t := range c.Trend {
			chart.Labels = append(chart.Labels, shortMonth(t.Month))
			chart.Series[0].Values = append(chart.Series[0].Values, t.Gap)
			chart.Series[1].Values = append(chart.Series[1].Values, t.ReasonableSteps)
			snap := "yes"
			if !t.Snapshot {
				snap = "none taken"
			}
			trend.Rows = append(trend.Rows, []string{t.Month.String(), snap, itoa(int64(t.SuppliersInGap)), itoa(t.Gap), itoa(t.ReasonableSteps), itoa(t.Covered)})
		}
		by := &Table{Columns: []Column{{Name: "Supplier code"}, {Name: "Supplier"}, {Name: "Gap", Num: true}, {Name: "Reasonable steps", Num: true}, {Name: "Covered", Num: true}, {Name: "Gap 12 months ago", Num: true}, {Name: "Change", Num: true}},
			Empty: "No coverage snapshot for this month."}
		for _, s := range c.BySupplier {
			var before int64
			if len(s.GapTrend) > 0 {
				before = s.GapTrend[0]
			}
			by.Rows = append(by.Rows, []string{s.Supplier.Code, s.Supplier.Name, itoa(s.Gap), itoa(s.ReasonableSteps), itoa(s.Covered), itoa(before), itoa(s.Gap - before)})
		}
		secs = append(secs,
			Section{ID: "coverage", Heading: "G3.20 coverage gaps by Supplier",
				Intro: "Devices for which each Supplier carries G3.20 in " + c.Month.Label() + ", by coverage: Covered by an arrangement or the SSC scheme, Reasonable steps within the churn window (LC50.5), or a Gap. Largest gaps first.",
				Table: by},
			Section{ID: "coverage-trend", Heading: "G3.20 gaps over the last twelve monthly snapshots", Chart: chart, Table: trend})
	}

	ch := d.Churn
	flows := &Table{Columns: []Column{{Name: "Losing Supplier"}, {Name: "Gaining Supplier"}, {Name: "Devices", Num: true}},
		Empty: "No change of supplier was recorded in the month."}
	for _, fl := range ch.Flows {
		flows.Rows = append(flows.Rows, []string{fl.From.String(), fl.To.String(), itoa(fl.Devices)})
	}
	if len(ch.Flows) > 0 {
		flows.Foot = []string{"Total", "", itoa(ch.Devices)}
	}
	chart := &Chart{ID: "churn-trend", Title: "Devices changing supplier, last twelve months",
		Desc: "Bars per month: Devices whose Responsible Supplier changed.", Series: []Series{{Name: "Devices", Colour: "#0b5cad"}}}
	trend := &Table{Columns: []Column{{Name: "Month"}, {Name: "Devices", Num: true}}}
	for _, t := range ch.Trend {
		chart.Labels = append(chart.Labels, shortMonth(t.Month))
		chart.Series[0].Values = append(chart.Series[0].Values, t.Devices)
		trend.Rows = append(trend.Rows, []string{t.Month.String(), itoa(t.Devices)})
	}
	secs = append(secs,
		Section{ID: "churn", Heading: "Changes of supplier in " + m.Label(),
			Intro: thousands(itoa(ch.Devices)) + " Devices changed Responsible Supplier in the month, Supplier of Last Resort transfers included.", Table: flows},
		Section{ID: "churn-trend", Heading: "Changes of supplier over twelve months", Chart: chart, Table: trend})
	return secs
}

// standingSummary is the report's first page: each standing item's headline
// figure, and the section that details it.
func standingSummary(d StandingData, m Month) Section {
	t := &Table{Columns: []Column{{Name: "Standing item"}, {Name: "Figure", Num: true}, {Name: "See"}}}
	add := func(what string, n int64, see string) { t.Rows = append(t.Rows, []string{what, itoa(n), see}) }
	missing := func(what, see string) { t.Rows = append(t.Rows, []string{what, "", see + " (not available)"}) }
	if c := d.Certificates; c != nil {
		add("Devices on an expired, withdrawn or conditional CPA certificate", c.Devices, "CPA certificates")
	} else {
		missing("Devices on an expired, withdrawn or conditional CPA certificate", "CPA certificates")
	}
	if v := d.Vulnerabilities; v != nil {
		add("Vulnerabilities open", int64(v.OpenCount), "Vulnerabilities")
		add("of which with a rectification plan overdue", int64(v.OverdueCount), "Rectification plans overdue")
		add("of which not acknowledged by every recipient", int64(v.UnacknowledgedCount), "Notices not acknowledged")
	} else {
		missing("Vulnerabilities open", "Vulnerabilities")
	}
	if d.StandingItems != nil {
		add("Security incidents, anomaly reports and shared resource notifications", int64(len(d.StandingItems)), "Security incidents")
	}
	if c := d.Coverage; c != nil && len(c.Trend) > 0 {
		last := c.Trend[len(c.Trend)-1]
		add("Devices in a G3.20 gap", last.Gap, "G3.20 coverage gaps")
		add("Suppliers with a G3.20 gap", int64(last.SuppliersInGap), "G3.20 coverage gaps")
		add("Devices under reasonable steps (churn window)", last.ReasonableSteps, "G3.20 coverage gaps")
	} else {
		missing("Devices in a G3.20 gap", "G3.20 coverage gaps")
	}
	add("Devices that changed supplier in "+m.Label(), d.Churn.Devices, "Changes of supplier")
	return Section{ID: "summary", Heading: "Summary", Table: t,
		Intro: "The month's standing items at a glance, as at " + uk.Day(d.Day.Time()) + ". Long tables show their largest rows; each is whole in the report's CSV file."}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// sscMembers lists the users who hold the SSC member role and are not
// disabled: a standing report names them as its RED audience.
func sscMembers(ctx context.Context, q store.Querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role = $1 AND u.disabled_at IS NULL ORDER BY u.id`, string(sec.RoleSSCMember))
	if err != nil {
		return nil, errs.Wrap(err, "SSC members")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "SSC members")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "SSC members")
}
