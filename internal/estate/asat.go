package estate

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// CellAt is the installed Devices of one Supplier, model and MAP on a past
// day, counted from the supply periods and MAP periods of that day: what the
// portfolio aggregates would have said then.
type CellAt struct {
	Supplier, Model, MAP int64
	Devices              int64
	// InWindow of them were inherited on a change of supplier on or after
	// AsAt.WindowFrom (and so were inside their churn window on the day);
	// WindowStart is the earliest such supply start.
	InWindow    int64
	WindowStart sec.Date
	// NotEnrolled of them had no SMETS1 enrolment on or before the day;
	// EnrolledInWindow and EnrolledWindowStart are InWindow and WindowStart
	// over the enrolled ones. Meaningful for SMETS1 models only.
	NotEnrolled         int64
	EnrolledInWindow    int64
	EnrolledWindowStart sec.Date
}

// AsAt says which day to count and for whom.
type AsAt struct {
	Day sec.Date
	// WindowFrom bounds the churn window on Day: supply starts on or after
	// it are inside.
	WindowFrom sec.Date
	// Supplier narrows the count to one Supplier (0: all).
	Supplier int64
	// Scope is the caller's visibility as a condition on the column holding
	// the Supplier's id; nil for the system.
	Scope func(args *access.Args, col string) string
}

// CellsAt counts the estate as it stood on a day, by Supplier, model and
// MAP, from the supply periods and MAP periods valid on that day: one
// aggregate query over the Devices and their closed periods, never a loop
// over Devices in Go. It reads every Device row (the cost is in
// BENCHMARKS.md), so it is for days the portfolio aggregates cannot answer:
// they hold only the present.
//
// A Device counts on the day when a supply period of it covers the day
// (periods include their start and exclude their end) and it is installed.
// Device status has no history: a Device removed, in triage or disposed of
// today is left out of every past day too, and one reinstalled today counted.
// A closed supply period is inherited when an earlier period of the Device
// exists (its first period is its installation); the current period carries
// its own flag.
func CellsAt(ctx context.Context, q store.Querier, a AsAt) ([]CellAt, error) {
	if a.Day.IsZero() {
		return nil, errs.FieldError("date", "is required")
	}
	var args access.Args
	day, from := args.Add(a.Day), args.Add(a.WindowFrom)
	// The MAP on the day: the current owner from map_since (NULL: from the
	// first day known), else the closed MAP period covering the day.
	mapOn := `CASE WHEN a.map_since IS NULL OR a.map_since <= ` + day + ` THEN COALESCE(a.map_id, 0)
		ELSE COALESCE((SELECT mp.map_id FROM map_periods mp WHERE mp.device_id = a.id AND mp.start <= ` + day + ` AND mp."end" > ` + day + `), 0) END`
	where := "TRUE"
	if a.Scope != nil {
		where = a.Scope(&args, "a.supplier_id")
	}
	if a.Supplier != 0 {
		where += " AND a.supplier_id = " + args.Add(a.Supplier)
	}
	inWindow := `a.inherited AND a.start >= ` + from
	enrolled := `(a.enrolled_on IS NOT NULL AND a.enrolled_on <= ` + day + `)`
	rows, err := q.QueryContext(ctx, `WITH a AS (
			SELECT d.id, d.model_id, d.supplier_id, d.supply_start AS start, d.inherited, d.enrolled_on, d.map_id, d.map_since
			FROM devices d WHERE d.status = 'installed' AND d.supplier_id IS NOT NULL AND d.supply_start <= `+day+`
			UNION ALL
			SELECT d.id, d.model_id, p.supplier_id, p.start,
				EXISTS (SELECT 1 FROM supply_periods e WHERE e.device_id = p.device_id AND e.start < p.start), d.enrolled_on, d.map_id, d.map_since
			FROM supply_periods p JOIN devices d ON d.id = p.device_id
			WHERE d.status = 'installed' AND p.start <= `+day+` AND p."end" > `+day+`)
		SELECT a.supplier_id, a.model_id, `+mapOn+` AS map_on, COUNT(*),
			SUM(CASE WHEN `+inWindow+` THEN 1 ELSE 0 END),
			MIN(CASE WHEN `+inWindow+` THEN a.start END),
			SUM(CASE WHEN `+enrolled+` THEN 0 ELSE 1 END),
			SUM(CASE WHEN `+inWindow+` AND `+enrolled+` THEN 1 ELSE 0 END),
			MIN(CASE WHEN `+inWindow+` AND `+enrolled+` THEN a.start END)
		FROM a WHERE `+where+` GROUP BY a.supplier_id, a.model_id, map_on`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "count the estate as at "+a.Day.String())
	}
	defer rows.Close()
	var out []CellAt
	for rows.Next() {
		var c CellAt
		if err := rows.Scan(&c.Supplier, &c.Model, &c.MAP, &c.Devices, &c.InWindow, &c.WindowStart, &c.NotEnrolled,
			&c.EnrolledInWindow, &c.EnrolledWindowStart); err != nil {
			return nil, errs.Wrap(err, "count the estate as at "+a.Day.String())
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "count the estate as at "+a.Day.String())
}
