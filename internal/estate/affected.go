package estate

import (
	"context"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// AffectedDevice is one of a Supplier's installed Devices on affected
// firmware, as its export lists it.
type AffectedDevice struct {
	ID           DeviceID       `json:"device_id"`
	Manufacturer string         `json:"manufacturer"`
	Model        string         `json:"model"`
	Firmware     string         `json:"firmware"`
	Generation   sec.Generation `json:"generation"`
	DeviceType   sec.DeviceType `json:"device_type"`
	MAP          string         `json:"map,omitempty"`
	Premises     string         `json:"premises"`
	SupplyStart  sec.Date       `json:"supply_start"`
}

// AffectedDevicesCSVHeader is the header row of the export.
var AffectedDevicesCSVHeader = []string{"device_id", "manufacturer", "model", "firmware", "generation", "device_type", "map", "premises", "supply_start"}

// CSV is the device as a row under AffectedDevicesCSVHeader.
func (d AffectedDevice) CSV() []string {
	return []string{d.ID.String(), d.Manufacturer, d.Model, d.Firmware, string(d.Generation), string(d.DeviceType), d.MAP, d.Premises, d.SupplyStart.String()}
}

// EachAffectedDevice calls fn with each installed Device of the caller's own
// Supplier portfolio on one of the firmware ids (a vulnerability's affected
// firmware, which the vulnerability service gives), one firmware version at
// a time, without holding the list: a large Supplier may have millions. Only
// a Supplier has a portfolio of its own; anyone else is refused, and the
// condition on supplier_id is the caller's organisation in the SQL itself.
// Each firmware id is one range of the (supplier_id, firmware_id) index.
func (s *Service) EachAffectedDevice(ctx context.Context, c access.Caller, firmware []int64, fn func(AffectedDevice) error) error {
	if !c.Has(sec.RoleSupplier) || c.OrgID == 0 {
		return errs.E(errs.Forbidden, "only a Supplier exports the Devices of its own portfolio")
	}
	for _, fw := range firmware {
		if err := s.eachOnFirmware(ctx, c, fw, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) eachOnFirmware(ctx context.Context, c access.Caller, fw int64, fn func(AffectedDevice) error) error {
	var args access.Args
	where := []string{"d.supplier_id = " + args.Add(c.OrgID), "d.firmware_id = " + args.Add(fw), "d.status = 'installed'"}
	rows, err := s.DB.QueryContext(ctx, `SELECT d.id, mo.code, m.code, f.version, m.generation, m.device_type, COALESCE(mp.code, ''),
		d.premises, d.supply_start FROM devices d JOIN device_models m ON m.id = d.model_id JOIN organisations mo ON mo.id = m.manufacturer_id
		JOIN firmware_versions f ON f.id = d.firmware_id LEFT JOIN organisations mp ON mp.id = d.map_id
		WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return errs.Wrap(err, "affected devices")
	}
	defer rows.Close()
	for rows.Next() {
		var d AffectedDevice
		var id int64
		if err := rows.Scan(&id, &d.Manufacturer, &d.Model, &d.Firmware, &d.Generation, &d.DeviceType, &d.MAP, &d.Premises, &d.SupplyStart); err != nil {
			return errs.Wrap(err, "affected devices")
		}
		d.ID = DeviceID(id)
		if err := fn(d); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), "affected devices")
}
