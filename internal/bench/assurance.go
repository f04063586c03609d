// Package bench builds benchmark worlds and times areas against them. It is
// outside the product's areas: it may call any area's functions, and no area
// calls it. Files are named after the area they time.
package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// AssurancePlanResult is one forward-plan timing.
type AssurancePlanResult struct {
	Engine        store.Dialect `json:"engine"`
	Devices       int64         `json:"devices"`
	PortfolioRows int64         `json:"portfolio_rows"`
	Rows          int           `json:"plan_rows"` // parties × roles planned
	// Plan are the times of the forward plan from the aggregates, one per
	// run; Median is their median.
	Plan   []time.Duration `json:"plan"`
	Median time.Duration   `json:"median"`
	// FromDevices is the time to count the same Smart Metering Systems,
	// with their real premises split, from the Device rows.
	FromDevices time.Duration `json:"from_devices"`
	Ratio       float64       `json:"ratio"`
	// SameTotals reports whether both ways count the same Smart Metering
	// Systems for every Supplier.
	SameTotals bool `json:"same_totals"`
}

// BuildAssurance fills an empty, migrated database with the coverage
// benchmark's synthetic estate of devices Devices, then gives every
// Supplier a FUSA two years before year (so the plan for year weighs each
// one's size for its third-year assessment) and the DCC one the year before.
func BuildAssurance(ctx context.Context, db *store.DB, devices int64, year int, progress func(string, time.Duration)) error {
	if err := BuildWorld(ctx, db, WorldOptions{Devices: devices}, progress); err != nil {
		return err
	}
	return AddAssessments(ctx, db, year, progress)
}

// AddAssessments gives every Supplier of a built benchmark world a FUSA two
// years before year and the DCC one the year before, as BuildAssurance does.
// A world that has them already is left as it is, so the assurance benchmark
// can reuse a world the coverage benchmark built (metersec bench coverage).
func AddAssessments(ctx context.Context, db *store.DB, year int, progress func(string, time.Duration)) error {
	t0 := time.Now()
	sys := access.SystemCaller("benchmark build")
	svc := assurance.NewService(db)
	have, err := svc.List(ctx, sys, assurance.Filter{Limit: 1})
	if err != nil {
		return err
	}
	if len(have.Assessments) > 0 {
		return nil
	}
	for _, role := range []sec.OrgRole{sec.LargeSupplier, sec.SmallSupplier, sec.DCC} {
		ps, err := (&party.Service{DB: db}).List(ctx, sys, party.Filter{Role: role})
		if err != nil {
			return err
		}
		for _, p := range ps {
			y := year - 2
			if role == sec.DCC {
				y = year - 1
			}
			if _, err := svc.Create(ctx, sys, assurance.Input{Party: p.Code, Role: string(role), Type: "FUSA", Year: y}); err != nil {
				return fmt.Errorf("benchmark assessment of %s: %w", p.Code, err)
			}
		}
	}
	if progress != nil {
		progress("assessments", time.Since(t0))
	}
	return nil
}

// RunAssurancePlan times the forward plan for year runs times from the
// portfolio aggregates, and once the counts it needs from the Device rows.
// share is the non-domestic share the plan assumes (the Device rows have the
// real split; the benchmark world's is 5%).
func RunAssurancePlan(ctx context.Context, db *store.DB, year, runs int, share float64) (AssurancePlanResult, error) {
	res := AssurancePlanResult{Engine: db.Dialect}
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(devices), 0), COUNT(*) FROM portfolio").Scan(&res.Devices, &res.PortfolioRows); err != nil {
		return res, errs.Wrap(err, "benchmark size")
	}
	svc := assurance.NewService(db)
	svc.Settings.NonDomesticShare = share
	sys := access.SystemCaller("benchmark")
	var plan assurance.ForwardPlan
	for range max(runs, 1) {
		t0 := time.Now()
		fp, err := svc.ForwardPlan(ctx, sys, year)
		if err != nil {
			return res, err
		}
		res.Plan = append(res.Plan, time.Since(t0))
		plan = fp
	}
	res.Rows = len(plan.Rows)
	sorted := slices.Clone(res.Plan)
	slices.Sort(sorted)
	res.Median = sorted[len(sorted)/2]

	t0 := time.Now()
	rows, err := db.QueryContext(ctx, `SELECT o.code, d.premises, COUNT(*) FROM devices d
		JOIN device_models m ON m.id = d.model_id JOIN organisations o ON o.id = d.supplier_id
		WHERE d.status = 'installed' AND m.device_type IN ('ESME', 'GSME') GROUP BY o.code, d.premises`)
	if err != nil {
		return res, errs.Wrap(err, "count from Devices")
	}
	fromDevices := map[string]int64{}
	for rows.Next() {
		var code, premises string
		var n int64
		if err := rows.Scan(&code, &premises, &n); err != nil {
			rows.Close()
			return res, errs.Wrap(err, "count from Devices")
		}
		fromDevices[code] += n
	}
	rows.Close()
	res.FromDevices = time.Since(t0)
	res.Ratio = float64(res.FromDevices) / float64(max(res.Median, time.Microsecond))
	res.SameTotals = true
	for _, r := range plan.Rows {
		if r.Role.IsSupplier() && r.Domestic+r.NonDomestic != fromDevices[r.Party] {
			res.SameTotals = false
		}
	}
	return res, nil
}
