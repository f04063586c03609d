package coverage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func auditf(ctx context.Context, tx *store.Tx, action, id string, state any) error {
	return audit.Record(ctx, tx, action, RecordKind, id, state)
}

// AlertSettings say how far ahead alerts look. They are configuration: the
// SEC sets no notice periods.
type AlertSettings struct {
	// ExpiryDays: arrangements expiring within this many days are announced.
	ExpiryDays int `json:"expiry_days"`
	// ChurnNoticeDays: inherited Devices with no arrangement whose churn
	// window closes within this many days are announced.
	ChurnNoticeDays int `json:"churn_notice_days"`
}

// DefaultAlertSettings: two months' warning of an expiry, one month of a
// churn window closing.
func DefaultAlertSettings() AlertSettings { return AlertSettings{ExpiryDays: 60, ChurnNoticeDays: 30} }

// Validate reports settings that make no sense.
func (a AlertSettings) Validate() error {
	var fields []errs.Field
	if a.ExpiryDays < 1 || a.ExpiryDays > 366 {
		fields = append(fields, errs.Field{Field: "expiry_days", Message: fmt.Sprintf("%d: want 1 to 366", a.ExpiryDays)})
	}
	if a.ChurnNoticeDays < 1 || a.ChurnNoticeDays > 180 {
		fields = append(fields, errs.Field{Field: "churn_notice_days", Message: fmt.Sprintf("%d: want 1 to 180", a.ChurnNoticeDays)})
	}
	if len(fields) > 0 {
		return errs.Fields("the alert settings are not valid", fields...)
	}
	return nil
}

// AlertResult says what an alert run found and sent.
type AlertResult struct {
	Date            sec.Date `json:"date"`
	Expiring        int      `json:"expiring_notices"`
	ChurnClosing    int      `json:"churn_window_notices"`
	NewGaps         int      `json:"new_gap_notices"`
	SnapshotMonth   string   `json:"snapshot_month"`
	SnapshotRows    int      `json:"snapshot_rows"`
	ComparedWith    string   `json:"compared_with,omitempty"` // the month new gaps are measured against
	BaselineOnly    bool     `json:"baseline_only,omitempty"` // no earlier snapshot: nothing counts as new yet
	NoticesInFlight int      `json:"notices"`
}

// RunAlerts is the daily job: it announces arrangements about to expire,
// churn windows about to close on inherited Devices with no arrangement, and
// new gaps (a Supplier operating a model it has no arrangement for that it did
// not have a gap for in the last month's snapshot), to the parties concerned
// and the SSC; then it records this month's snapshot. Running it again the
// same day sends nothing twice. Only the system and the SSC run it.
func (s *Service) RunAlerts(ctx context.Context, c access.Caller, d sec.Date, as AlertSettings) (AlertResult, error) {
	if !c.System && !c.IsSSC() {
		return AlertResult{}, errs.E(errs.Forbidden, "only the SSC and the secretariat run the coverage alerts")
	}
	if err := as.Validate(); err != nil {
		return AlertResult{}, err
	}
	if d.IsZero() {
		d = s.today()
	}
	res := AlertResult{Date: d}
	nf := s.notifier()
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		res = AlertResult{Date: d}
		var err error
		if res.Expiring, err = arrangement.NotifyExpiring(ctx, tx, nf, d, as.ExpiryDays); err != nil {
			return err
		}
		sys := systemFor(c)
		rep, err := s.compute(ctx, tx, sys, Query{Date: d})
		if err != nil {
			return err
		}
		ssc, err := arrangement.SSCOrgs(ctx, tx)
		if err != nil {
			return err
		}
		if res.ChurnClosing, err = s.churnAlerts(ctx, tx, nf, rep, ssc, as.ChurnNoticeDays); err != nil {
			return err
		}
		if res.NewGaps, res.ComparedWith, err = newGapAlerts(ctx, tx, nf, rep, ssc); err != nil {
			return err
		}
		res.BaselineOnly = res.ComparedWith == ""
		res.SnapshotMonth = Month(d)
		if res.SnapshotRows, err = writeSnapshot(ctx, tx, rep); err != nil {
			return err
		}
		res.NoticesInFlight = res.Expiring + res.ChurnClosing + res.NewGaps
		return auditf(ctx, tx, "coverage.alerts", d.String(), res)
	})
	return res, err
}

// churnAlerts announces inherited Devices with no arrangement whose churn
// window closes within days: one notice per Supplier and week of closing.
func (s *Service) churnAlerts(ctx context.Context, tx *store.Tx, nf arrangement.Notifier, rep Report, ssc []int64, days int) (int, error) {
	st := s.settings()
	from, to := WindowOpenFrom(st, rep.Date), WindowOpenFrom(st, rep.Date.AddDays(days+1))
	rows, err := tx.QueryContext(ctx, `SELECT supplier_id, model_id, map_id, supply_start, devices FROM portfolio_inherited
		WHERE supply_start >= $1 AND supply_start < $2 ORDER BY supplier_id, supply_start`, from, to)
	if err != nil {
		return 0, errs.Wrap(err, "closing churn windows")
	}
	type row struct {
		supplier, model, mapID int64
		start                  sec.Date
		devices                int64
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.supplier, &r.model, &r.mapID, &r.start, &r.devices); err != nil {
			rows.Close()
			return 0, errs.Wrap(err, "closing churn windows")
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(err, "closing churn windows")
	}
	if len(list) == 0 {
		return 0, nil
	}
	models, err := loadModels(ctx, tx, rep.Date)
	if err != nil {
		return 0, err
	}
	terms, err := loadTerms(ctx, tx, rep.Date)
	if err != nil {
		return 0, err
	}
	rules := NewRules(NewTerms(terms), st, rep.SECVersion, rep.Date)
	n, err := loadNames(ctx, tx, access.SystemCaller("alerts"), rep.Date)
	if err != nil {
		return 0, err
	}
	type group struct {
		supplier     int64
		week         string
		first, last  sec.Date
		devices      int64
		modelsClosed map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range list {
		m, ok := models[r.model]
		if !ok {
			continue
		}
		parts := rules.Evaluate(Cell{Supplier: r.supplier, Model: m, MAP: r.mapID, Devices: r.devices, InWindow: r.devices, WindowStart: r.start})
		if len(parts) == 0 || parts[0].Route != RouteChurn {
			continue // covered, a Letter of Intent, the DCC's or no duty
		}
		ends := st.ChurnWindowEnds(r.start)
		y, w := ends.Time().ISOWeek()
		week := fmt.Sprintf("%d-W%02d", y, w)
		k := fmt.Sprintf("%d|%s", r.supplier, week)
		g := groups[k]
		if g == nil {
			g = &group{supplier: r.supplier, week: week, first: ends, last: ends, modelsClosed: map[string]bool{}}
			groups[k] = g
			order = append(order, k)
		}
		g.devices += r.devices
		g.first, g.last = minDate(g.first, ends), maxDate(g.last, ends)
		g.modelsClosed[n.org(m.Manufacturer).Code+"/"+n.models[m.ID].Code] = true
	}
	sent := 0
	for _, k := range order {
		g := groups[k]
		code := n.org(g.supplier).Code
		var ms []string
		for m := range g.modelsClosed {
			ms = append(ms, m)
		}
		slices.Sort(ms)
		when := "on " + g.first.String()
		if g.first != g.last {
			when = fmt.Sprintf("between %s and %s", g.first, g.last)
		}
		c, err := arrangement.NotifyAll(ctx, tx, nf, append([]int64{g.supplier}, ssc...), delivery.Notice{
			Kind:  "coverage.churn_window",
			Title: fmt.Sprintf("Churn window closing %s for %d inherited Devices of %s", when, g.devices, code),
			Body: fmt.Sprintf("%s inherited %d Devices of %d models (%s) on changes of supplier. No arrangement covers them, and the %d-month window to contract with the MAP (LC50.5) closes %s; after that they count as a G3.20 gap.",
				code, g.devices, len(ms), strings.Join(ms, ", "), st.ChurnWindowMonths, when),
			Link: "/coverage/" + code, RecordKind: RecordKind, RecordID: g.supplier,
			Key: fmt.Sprintf("churn:%d:%s", g.supplier, g.week),
		})
		if err != nil {
			return sent, err
		}
		sent += c
	}
	return sent, nil
}

// newGapAlerts announces each (Supplier, model) with Devices in a gap that
// the latest earlier month's snapshot did not show in a gap. It returns the
// notices sent and the month compared with ("" when there is none: the first
// run takes a baseline and announces nothing, since nothing is new yet).
func newGapAlerts(ctx context.Context, tx *store.Tx, nf arrangement.Notifier, rep Report, ssc []int64) (int, string, error) {
	month := Month(rep.Date)
	var prev string
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(month), '') FROM coverage_snapshots WHERE month < $1", month).Scan(&prev); err != nil {
		return 0, "", errs.Wrap(err, "previous snapshot")
	}
	if prev == "" {
		return 0, "", nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT supplier_id, model_id FROM coverage_snapshots WHERE month = $1 AND gap > 0", prev)
	if err != nil {
		return 0, prev, errs.Wrap(err, "previous snapshot")
	}
	had := map[[2]int64]bool{}
	for rows.Next() {
		var k [2]int64
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return 0, prev, errs.Wrap(err, "previous snapshot")
		}
		had[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, prev, errs.Wrap(err, "previous snapshot")
	}
	sent := 0
	for _, sc := range rep.Suppliers {
		for _, mc := range sc.Models {
			if mc.Counts.Gap == 0 || had[[2]int64{sc.Supplier.ID, mc.modelID}] {
				continue
			}
			model := mc.Manufacturer.Code + "/" + mc.Model.Code
			c, err := arrangement.NotifyAll(ctx, tx, nf, append([]int64{sc.Supplier.ID}, ssc...), delivery.Notice{
				Kind:  "coverage.gap",
				Title: fmt.Sprintf("New G3.20 gap: %s operates %d Devices of %s with no arrangement", sc.Supplier.Code, mc.Counts.Gap, model),
				Body: fmt.Sprintf("On %s %s operates %d Devices of model %s (%s, %s) that no contract, Letter of Intent, MAP chain or SSC scheme enrolment covers, outside any churn window. It had no gap for this model in the %s snapshot.",
					rep.Date, sc.Supplier.Code, mc.Counts.Gap, model, mc.Model.Type, mc.Model.Generation, prev),
				Link: "/coverage/" + sc.Supplier.Code, RecordKind: RecordKind, RecordID: sc.Supplier.ID,
				Key: fmt.Sprintf("gap:%d:%d:%s", sc.Supplier.ID, mc.modelID, month),
			})
			if err != nil {
				return sent, prev, err
			}
			sent += c
		}
	}
	return sent, prev, nil
}

func minDate(a, b sec.Date) sec.Date {
	if b.Before(a) {
		return b
	}
	return a
}

func maxDate(a, b sec.Date) sec.Date {
	if b.After(a) {
		return b
	}
	return a
}
