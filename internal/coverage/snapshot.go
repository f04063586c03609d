package coverage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Month is the snapshot month of a day, "YYYY-MM".
func Month(d sec.Date) string { return d.String()[:7] }

// writeSnapshot replaces the month's snapshot with rep, which must hold
// every Supplier (computed as the system). It returns the rows written.
func writeSnapshot(ctx context.Context, tx *store.Tx, rep Report) (int, error) {
	month := Month(rep.Date)
	if _, err := tx.ExecContext(ctx, "DELETE FROM coverage_snapshots WHERE month = $1", month); err != nil {
		return 0, errs.Wrap(err, "snapshot")
	}
	const cols = 13
	var rows [][]any
	for _, sc := range rep.Suppliers {
		for _, list := range sc.Lists() {
			for _, mc := range list {
				c := mc.Counts
				rows = append(rows, []any{sc.Supplier.ID, month, mc.modelID, mc.mfrID, rep.Date, string(mc.Status),
					c.Covered, c.Steps, c.Gap, c.DCC, c.Exempt, c.DP087, c.Impracticable})
			}
		}
	}
	// Multi-row inserts: thousands of rows a month, in batches well inside
	// both engines' limits on parameters.
	for batch := range slices.Chunk(rows, 200) {
		var args access.Args
		values := make([]string, len(batch))
		for i, r := range batch {
			ph := make([]string, cols)
			for j, v := range r {
				ph[j] = args.Add(v)
			}
			values[i] = "(" + strings.Join(ph, ", ") + ")"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO coverage_snapshots (supplier_id, month, model_id, manufacturer_id, taken_on,
			status, covered, steps, gap, dcc, exempt, dp087, impracticable) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return 0, errs.Wrap(err, "snapshot")
		}
	}
	return len(rows), nil
}

// MonthCoverage is a Supplier's coverage as its month's snapshot recorded it.
type MonthCoverage struct {
	Month   string   `json:"month"`
	TakenOn sec.Date `json:"taken_on"`
	Totals  Counts   `json:"totals"`
	// Models by status (obligated models only).
	CoveredModels int `json:"covered_models"`
	StepsModels   int `json:"steps_models"`
	GapModels     int `json:"gap_models"`
	// Changes are the models whose status differs from the month before.
	Changes []Change `json:"changes,omitempty"`
}

// Change is a model whose status moved between two months.
type Change struct {
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	From         Status `json:"from,omitempty"` // empty: not operated the month before
	To           Status `json:"to,omitempty"`   // empty: no longer operated
	Devices      int64  `json:"devices"`
}

// History returns a Supplier's monthly snapshots, oldest first, if the caller
// may see its coverage.
func (s *Service) History(ctx context.Context, c access.Caller, supplier string) (Org, []MonthCoverage, error) {
	id, err := s.supplierID(ctx, s.DB, c, supplier)
	if err != nil {
		return Org{}, nil, err
	}
	n, err := loadNames(ctx, s.DB, c, sec.Date{})
	if err != nil {
		return Org{}, nil, err
	}
	var args access.Args
	rows, err := s.DB.QueryContext(ctx, `SELECT cs.month, cs.taken_on, cs.model_id, cs.manufacturer_id, cs.status,
		cs.covered, cs.steps, cs.gap, cs.dcc, cs.exempt, cs.dp087, cs.impracticable FROM coverage_snapshots cs
		WHERE cs.supplier_id = `+args.Add(id)+` AND `+scope(c, &args, "cs.supplier_id")+` ORDER BY cs.month, cs.model_id`, args...)
	if err != nil {
		return Org{}, nil, errs.Wrap(err, "coverage history")
	}
	defer rows.Close()
	type entry struct {
		status Status
		counts Counts
		mfr    int64
	}
	var months []MonthCoverage
	byMonth := []map[int64]entry{}
	for rows.Next() {
		var month string
		var taken sec.Date
		var model, mfr int64
		var e entry
		if err := rows.Scan(&month, &taken, &model, &mfr, &e.status, &e.counts.Covered, &e.counts.Steps, &e.counts.Gap,
			&e.counts.DCC, &e.counts.Exempt, &e.counts.DP087, &e.counts.Impracticable); err != nil {
			return Org{}, nil, errs.Wrap(err, "coverage history")
		}
		e.counts.Devices = e.counts.Covered + e.counts.Steps + e.counts.Gap + e.counts.DCC + e.counts.Exempt + e.counts.DP087 + e.counts.Impracticable
		e.mfr = mfr
		if len(months) == 0 || months[len(months)-1].Month != month {
			months = append(months, MonthCoverage{Month: month, TakenOn: taken})
			byMonth = append(byMonth, map[int64]entry{})
		}
		m := &months[len(months)-1]
		m.Totals.plus(e.counts)
		switch e.status {
		case Covered:
			m.CoveredModels++
		case Steps:
			m.StepsModels++
		case Gap:
			m.GapModels++
		}
		byMonth[len(byMonth)-1][model] = e
	}
	if err := rows.Err(); err != nil {
		return Org{}, nil, errs.Wrap(err, "coverage history")
	}
	for i := 1; i < len(months); i++ {
		prev, cur := byMonth[i-1], byMonth[i]
		for model, e := range cur {
			p, ok := prev[model]
			if ok && p.status == e.status {
				continue
			}
			ch := Change{Manufacturer: n.org(e.mfr).Code, Model: n.models[model].Code, To: e.status, Devices: e.counts.Devices}
			if ok {
				ch.From = p.status
			}
			months[i].Changes = append(months[i].Changes, ch)
		}
		for model, p := range prev {
			if _, ok := cur[model]; !ok {
				months[i].Changes = append(months[i].Changes, Change{Manufacturer: n.org(p.mfr).Code, Model: n.models[model].Code, From: p.status})
			}
		}
		slices.SortFunc(months[i].Changes, func(a, b Change) int {
			return cmp.Or(cmp.Compare(a.Manufacturer, b.Manufacturer), cmp.Compare(a.Model, b.Model))
		})
	}
	return n.org(id), months, nil
}

// SnapshotResult says what Snapshot wrote.
type SnapshotResult struct {
	Month string `json:"month"`
	Rows  int    `json:"rows"`
}

// Snapshot records every Supplier's coverage on d as the month's snapshot.
// Only the system and the SSC take snapshots.
func (s *Service) Snapshot(ctx context.Context, c access.Caller, d sec.Date) (SnapshotResult, error) {
	if !c.System && !c.IsSSC() {
		return SnapshotResult{}, errs.E(errs.Forbidden, "only the SSC and the secretariat take coverage snapshots")
	}
	if d.IsZero() {
		d = s.today()
	}
	var res SnapshotResult
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		rep, err := s.compute(ctx, tx, systemFor(c), Query{Date: d})
		if err != nil {
			return err
		}
		res.Month = Month(d)
		if res.Rows, err = writeSnapshot(ctx, tx, rep); err != nil {
			return err
		}
		return auditf(ctx, tx, "coverage.snapshot", res.Month, res)
	})
	return res, err
}

// systemFor is the caller acting for the whole register: an SSC member's
// snapshot covers every Supplier, as the SSC sees them all anyway.
func systemFor(c access.Caller) access.Caller {
	sys := access.SystemCaller(fmt.Sprintf("coverage for %s", c.Name))
	return sys
}
