// Package vulntest puts catalogue and portfolio rows straight into a
// database for tests of vulnerability coordination, before the catalogue and
// estate services exist to do it (and without their imports' ceremony). It
// writes the contract tables (0100, 0200) as their owners define them.
package vulntest

import (
	"context"
	"fmt"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Model adds a Device Model of the manufacturer with its firmware versions,
// and returns its id and its firmware ids by version.
func Model(ctx context.Context, db *store.DB, manufacturer int64, code string, typ sec.DeviceType, gen sec.Generation, versions ...string) (int64, map[string]int64, error) {
	now := db.Now()
	var id int64
	if err := db.Writer().QueryRowContext(ctx, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation,
		hardware_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'HW1', $6, $6) RETURNING id`,
		manufacturer, code, code+" "+string(typ), string(typ), string(gen), now).Scan(&id); err != nil {
		return 0, nil, fmt.Errorf("model %s: %w", code, err)
	}
	fw := map[string]int64{}
	for _, v := range versions {
		var fid int64
		if err := db.Writer().QueryRowContext(ctx, `INSERT INTO firmware_versions (model_id, version, created_at, updated_at)
			VALUES ($1, $2, $3, $3) RETURNING id`, id, v, now).Scan(&fid); err != nil {
			return 0, nil, fmt.Errorf("firmware %s %s: %w", code, v, err)
		}
		fw[v] = fid
	}
	return id, fw, nil
}

// Firmware adds one firmware version to a model.
func Firmware(ctx context.Context, db *store.DB, model int64, version string) (int64, error) {
	var fid int64
	err := db.Writer().QueryRowContext(ctx, `INSERT INTO firmware_versions (model_id, version, created_at, updated_at)
		VALUES ($1, $2, $3, $3) RETURNING id`, model, version, db.Now()).Scan(&fid)
	return fid, err
}

// Portfolio sets the installed Devices of a Supplier (0 for none) on one
// firmware of a model owned by a MAP (0 for none), as the estate code keeps
// the aggregate. Zero devices removes the row.
func Portfolio(ctx context.Context, db *store.DB, supplier, model, firmware, mapID, devices int64) error {
	w := db.Writer()
	if _, err := w.ExecContext(ctx, `DELETE FROM portfolio WHERE supplier_id = $1 AND model_id = $2 AND firmware_id = $3 AND map_id = $4`,
		supplier, model, firmware, mapID); err != nil {
		return err
	}
	if devices == 0 {
		return nil
	}
	_, err := w.ExecContext(ctx, `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		SELECT $1, m.id, $3, $4, m.generation, m.device_type, $5 FROM device_models m WHERE m.id = $2`,
		supplier, model, firmware, mapID, devices)
	return err
}
