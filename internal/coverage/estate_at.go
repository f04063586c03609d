package coverage

import (
	"cmp"
	"context"
	"slices"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// EstateCount is one Supplier's installed Devices of one model.
type EstateCount struct {
	Supplier   int64
	Model      int64
	Generation sec.Generation
	DeviceType sec.DeviceType
	Devices    int64
}

// EstateNow counts the installed Devices by Supplier and model as they stand
// now, from the portfolio aggregates (summed over firmware and MAP in SQL):
// the monthly mailing's snapshot when it is taken as the month ends.
func EstateNow(ctx context.Context, q store.Querier) ([]EstateCount, error) {
	rows, err := q.QueryContext(ctx, `SELECT supplier_id, model_id, generation, device_type, SUM(devices) FROM portfolio
		GROUP BY supplier_id, model_id, generation, device_type HAVING SUM(devices) > 0`)
	if err != nil {
		return nil, errs.Wrap(err, "read portfolio")
	}
	defer rows.Close()
	var out []EstateCount
	for rows.Next() {
		var c EstateCount
		if err := rows.Scan(&c.Supplier, &c.Model, &c.Generation, &c.DeviceType, &c.Devices); err != nil {
			return nil, errs.Wrap(err, "read portfolio")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "read portfolio")
}

// EstateAt counts the installed Devices by Supplier and model as they stood
// on a past day, computed from the supply periods valid on it (the query
// coverage on a past day uses): the monthly mailing's snapshot of a month
// that was not snapshotted when it ended, so a late first run reports the
// month's end and not a later state.
func EstateAt(ctx context.Context, q store.Querier, day sec.Date) ([]EstateCount, error) {
	models, err := loadModels(ctx, q, sec.Date{})
	if err != nil {
		return nil, err
	}
	cells, err := estate.CellsAt(ctx, q, estate.AsAt{Day: day, WindowFrom: day})
	if err != nil {
		return nil, err
	}
	type key struct{ s, m int64 }
	sums := map[key]int64{}
	for _, c := range cells {
		sums[key{c.Supplier, c.Model}] += c.Devices
	}
	out := make([]EstateCount, 0, len(sums))
	for k, n := range sums {
		m, ok := models[k.m]
		if !ok || n <= 0 {
			continue
		}
		out = append(out, EstateCount{Supplier: k.s, Model: k.m, Generation: m.Generation, DeviceType: m.Type, Devices: n})
	}
	slices.SortFunc(out, func(a, b EstateCount) int {
		return cmp.Or(cmp.Compare(a.Supplier, b.Supplier), cmp.Compare(a.Model, b.Model))
	})
	return out, nil
}
