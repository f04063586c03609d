package estate

import (
	"context"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// RebuildAggregates recomputes the portfolio aggregates from the Devices. The
// estate keeps them exact on every change; the benchmark and the tests, which
// write Devices directly, call this instead.
func RebuildAggregates(ctx context.Context, tx *store.Tx) error {
	for _, q := range []string{
		"DELETE FROM portfolio",
		"DELETE FROM portfolio_inherited",
		"DELETE FROM portfolio_enrolled",
		`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		 SELECT d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type, COUNT(*)
		 FROM devices d JOIN device_models m ON m.id = d.model_id
		 WHERE d.status = 'installed' AND d.supplier_id IS NOT NULL
		 GROUP BY d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type`,
		`INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices)
		 SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start, COUNT(*)
		 FROM devices d WHERE d.inherited AND d.status = 'installed' AND d.supplier_id IS NOT NULL
		 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start`,
		`INSERT INTO portfolio_enrolled (supplier_id, model_id, map_id, enrolled_on, inherited_from, devices)
		 SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '` + NeverEnrolled.String() + `'),
		 CASE WHEN d.inherited THEN d.supply_start ELSE '` + NotInherited.String() + `' END, COUNT(*)
		 FROM devices d JOIN device_models m ON m.id = d.model_id
		 WHERE m.generation = 'SMETS1' AND d.status = 'installed' AND d.supplier_id IS NOT NULL
		 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '` + NeverEnrolled.String() + `'),
		 CASE WHEN d.inherited THEN d.supply_start ELSE '` + NotInherited.String() + `' END`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return errs.Wrap(err, "rebuild portfolio aggregates")
		}
	}
	return nil
}
