package estate

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// Verify recounts the portfolio aggregates from the Device rows (installed
// Devices with a Responsible Supplier) and compares them with the stored
// rows in both directions: a group whose stored count differs, a group the
// Devices have and the table lacks, and a stored group no Device backs all
// show as drift. Each table takes one statement: the stored rows and the
// recount meet in a UNION ALL grouped once, so the Devices are read once
// per aggregate.
func (s *Service) Verify(ctx context.Context) (VerifyReport, error) {
	rep := VerifyReport{Drift: []Drift{}, Inherited: []Drift{}}
	err := s.DB.Read(ctx, access.SystemCaller("estate verify"), func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT supplier_id, model_id, firmware_id, map_id, SUM(stored), SUM(counted) FROM (
			SELECT supplier_id, model_id, firmware_id, map_id, devices AS stored, 0 AS counted FROM portfolio
			UNION ALL
			SELECT supplier_id, model_id, firmware_id, COALESCE(map_id, 0), 0, COUNT(*) FROM devices
			WHERE status = 'installed' AND supplier_id IS NOT NULL
			GROUP BY supplier_id, model_id, firmware_id, map_id) g
			GROUP BY supplier_id, model_id, firmware_id, map_id
			ORDER BY supplier_id, model_id, firmware_id, map_id`)
		if err != nil {
			return errs.Wrap(err, "verify portfolio")
		}
		defer rows.Close()
		for rows.Next() {
			var d Drift
			if err := rows.Scan(&d.SupplierID, &d.ModelID, &d.FirmwareID, &d.MAPID, &d.Stored, &d.Counted); err != nil {
				return errs.Wrap(err, "verify portfolio")
			}
			if d.Counted > 0 {
				rep.Groups++
				rep.Devices += d.Counted
			}
			if d.Stored != d.Counted {
				rep.Drift = append(rep.Drift, d)
			}
		}
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "verify portfolio")
		}
		rows.Close()
		// Inherited groups have no firmware (FirmwareID stays 0) and are
		// keyed by the day their supply began.
		rows, err = tx.QueryContext(ctx, `SELECT supplier_id, model_id, map_id, supply_start, SUM(stored), SUM(counted) FROM (
			SELECT supplier_id, model_id, map_id, supply_start, devices AS stored, 0 AS counted FROM portfolio_inherited
			UNION ALL
			SELECT supplier_id, model_id, COALESCE(map_id, 0), supply_start, 0, COUNT(*) FROM devices
			WHERE inherited AND status = 'installed' AND supplier_id IS NOT NULL
			GROUP BY supplier_id, model_id, map_id, supply_start) g
			GROUP BY supplier_id, model_id, map_id, supply_start
			HAVING SUM(stored) <> SUM(counted)
			ORDER BY supplier_id, model_id, map_id, supply_start`)
		if err != nil {
			return errs.Wrap(err, "verify inherited portfolio")
		}
		defer rows.Close()
		for rows.Next() {
			var d Drift
			if err := rows.Scan(&d.SupplierID, &d.ModelID, &d.MAPID, &d.SupplyStart, &d.Stored, &d.Counted); err != nil {
				return errs.Wrap(err, "verify inherited portfolio")
			}
			rep.Inherited = append(rep.Inherited, d)
		}
		return errs.Wrap(rows.Err(), "verify inherited portfolio")
	})
	return rep, err
}
