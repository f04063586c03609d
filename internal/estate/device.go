package estate

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// KindDevice names Devices in the audit trail.
const KindDevice = "device"

// deviceVisible is the condition, on a Device row d joined to its model m,
// that the caller may see it: its current Responsible Supplier, its MAP, its
// model's manufacturer, the DCC for SMETS2+ Communications Hub and Gas Proxy
// Functions, and the SSC, the secretariat and the system. The platform
// administrator is not among them: RoleAdmin is not cleared for AMBER
// content by that role alone, and an estate record is AMBER to its parties.
func deviceVisible(c access.Caller, args *access.Args) string {
	return estateVisible(c, args, "d.supplier_id", "d.map_id", "m.generation", "m.device_type")
}

// estateVisible builds the visibility condition over columns naming the
// Supplier, the MAP, the generation and the device type; the model is always
// m. The portfolio and the Devices share it, so a caller sees the same
// Devices one by one as in aggregate.
func estateVisible(c access.Caller, args *access.Args, supplier, mapCol, generation, deviceType string) string {
	switch {
	case c.System || c.IsSSC():
		return "TRUE"
	case !c.SignedIn() || c.OrgID == 0:
		return "FALSE"
	}
	var or []string
	org := ""
	orgArg := func() string {
		if org == "" {
			org = args.Add(c.OrgID)
		}
		return org
	}
	if c.Has(sec.RoleSupplier) {
		or = append(or, supplier+" = "+orgArg())
	}
	if c.Has(sec.RoleMAP) {
		or = append(or, mapCol+" = "+orgArg())
	}
	if c.Has(sec.RoleManufacturer) {
		or = append(or, "m.manufacturer_id = "+orgArg())
	}
	if c.Has(sec.RoleDCC) {
		or = append(or, "("+generation+" = 'SMETS2+' AND "+deviceType+" IN ('CHF', 'GPF'))")
	}
	if len(or) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// deviceRow is a Device with the ids a change needs.
type deviceRow struct {
	Device
	modelID, firmwareID, supplierID, mapID int64
}

const deviceSelect = `SELECT d.id, m.device_type, m.generation, mo.code, m.code, f.version, d.firmware_since,
	COALESCE(mp.code, ''), d.premises, d.status, COALESCE(so.code, ''), d.supply_start, d.inherited,
	d.model_id, d.firmware_id, COALESCE(d.supplier_id, 0), COALESCE(d.map_id, 0), d.enrolled_on
	FROM devices d
	JOIN device_models m ON m.id = d.model_id
	JOIN organisations mo ON mo.id = m.manufacturer_id
	JOIN firmware_versions f ON f.id = d.firmware_id
	LEFT JOIN organisations so ON so.id = d.supplier_id
	LEFT JOIN organisations mp ON mp.id = d.map_id`

// loadDevice reads Device id if the caller may see it, without history.
func loadDevice(ctx context.Context, q store.Querier, c access.Caller, id DeviceID, forUpdate bool) (deviceRow, error) {
	args := access.Args{id.Int64()}
	query := deviceSelect + " WHERE d.id = $1 AND " + deviceVisible(c, &args)
	if forUpdate {
		query += store.ForUpdate(q, "d")
	}
	r, err := scanDeviceRow(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		// The message does not repeat the ID: whether a Device exists is
		// itself not for everyone to learn.
		return r, errs.E(errs.NotFound, "no Device with that ID that you may see")
	}
	if err != nil {
		return r, errs.Wrap(err, "read device")
	}
	return r, nil
}

// scanDeviceRow reads one row of deviceSelect.
func scanDeviceRow(row interface{ Scan(...any) error }) (deviceRow, error) {
	var r deviceRow
	var raw int64
	err := row.Scan(&raw, &r.DeviceType, &r.Generation, &r.Manufacturer, &r.Model,
		&r.Firmware, &r.FirmwareSince, &r.MAP, &r.Premises, &r.Status, &r.Supplier, &r.SupplyStart, &r.Inherited,
		&r.modelID, &r.firmwareID, &r.supplierID, &r.mapID, &r.EnrolledOn)
	r.ID = DeviceIDFromInt64(raw)
	return r, err
}

// AnotherSupplier stands for a Supplier's code in the supply history shown
// to a different Supplier: Suppliers never learn each other's identity, so
// the current Supplier sees when it inherited a Device, not from whom.
const AnotherSupplier = "(another Supplier)"

// supplierCode is the expression showing the code o.code of the Supplier in
// column col to the caller: masked for a Supplier unless it is its own.
func supplierCode(c access.Caller, args *access.Args, col string) string {
	if c.System || c.IsSSC() || !c.Has(sec.RoleSupplier) {
		return "o.code"
	}
	return "CASE WHEN " + col + " = " + args.Add(c.OrgID) + " THEN o.code ELSE '" + AnotherSupplier + "' END"
}

// history fills in the supply and firmware history of d, as the caller may
// see it.
func history(ctx context.Context, q store.Querier, c access.Caller, d *Device) error {
	d.Supply = []SupplyPeriod{{Supplier: d.Supplier, Start: d.SupplyStart}}
	args := access.Args{d.ID.Int64()}
	rows, err := q.QueryContext(ctx, `SELECT `+supplierCode(c, &args, "sp.supplier_id")+`, sp.start, sp."end" FROM supply_periods sp
		JOIN organisations o ON o.id = sp.supplier_id WHERE sp.device_id = $1 ORDER BY sp.start DESC`, args...)
	if err != nil {
		return errs.Wrap(err, "read supply history")
	}
	defer rows.Close()
	for rows.Next() {
		var p SupplyPeriod
		if err := rows.Scan(&p.Supplier, &p.Start, &p.End); err != nil {
			return errs.Wrap(err, "read supply history")
		}
		d.Supply = append(d.Supply, p)
	}
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "read supply history")
	}
	rows.Close()
	d.FirmwareHistory = []FirmwarePeriod{{Firmware: d.Firmware, Since: d.FirmwareSince}}
	rows, err = q.QueryContext(ctx, `SELECT f.version, h.since, h.until FROM firmware_history h
		JOIN firmware_versions f ON f.id = h.firmware_id WHERE h.device_id = $1 ORDER BY h.since DESC, h.until DESC`, d.ID.Int64())
	if err != nil {
		return errs.Wrap(err, "read firmware history")
	}
	defer rows.Close()
	for rows.Next() {
		var p FirmwarePeriod
		if err := rows.Scan(&p.Firmware, &p.Since, &p.Until); err != nil {
			return errs.Wrap(err, "read firmware history")
		}
		d.FirmwareHistory = append(d.FirmwareHistory, p)
	}
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "read firmware history")
	}
	rows.Close()
	return mapHistory(ctx, q, d)
}

// Device is one Device with its supply and firmware history, if the caller
// may see it; NotFound otherwise.
func (s *Service) Device(ctx context.Context, c access.Caller, id DeviceID) (Device, error) {
	var d Device
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		r, err := loadDevice(ctx, tx, c, id, false)
		if err != nil {
			return err
		}
		d = r.Device
		return history(ctx, tx, c, &d)
	})
	return d, err
}

// ResponsibleOn is the supply period covering day d: who was the Responsible
// Supplier for Device id on d. Periods include their start day and exclude
// their end day, so on the day of a change the new Supplier is responsible.
func (s *Service) ResponsibleOn(ctx context.Context, c access.Caller, id DeviceID, d sec.Date) (SupplyPeriod, error) {
	if d.IsZero() {
		return SupplyPeriod{}, errs.FieldError("date", "is required: the day to ask about (YYYY-MM-DD)")
	}
	var p SupplyPeriod
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		r, err := loadDevice(ctx, tx, c, id, false)
		if err != nil {
			return err
		}
		if !d.Before(r.SupplyStart) {
			if r.Supplier == "" {
				return errs.E(errs.NotFound, "Device %s has no Responsible Supplier on %s", id, d)
			}
			p = SupplyPeriod{Supplier: r.Supplier, Start: r.SupplyStart}
			return nil
		}
		// The closed period with the latest start on or before d (the
		// primary key's order), if d is before its end.
		args := access.Args{id.Int64(), d}
		err = tx.QueryRowContext(ctx, `SELECT `+supplierCode(c, &args, "sp.supplier_id")+`, sp.start, sp."end" FROM supply_periods sp
			JOIN organisations o ON o.id = sp.supplier_id
			WHERE sp.device_id = $1 AND sp.start <= $2 ORDER BY sp.start DESC LIMIT 1`, args...).Scan(&p.Supplier, &p.Start, &p.End)
		if errors.Is(err, sql.ErrNoRows) {
			var first sec.Date
			if err := tx.QueryRowContext(ctx, "SELECT MIN(start) FROM supply_periods WHERE device_id = $1", id.Int64()).Scan(&first); err != nil {
				return errs.Wrap(err, "read first supply period")
			}
			if first.IsZero() {
				first = r.SupplyStart
			}
			return errs.E(errs.NotFound, "Device %s had no Responsible Supplier on %s: its first supply period began on %s", id, d, first)
		}
		if err != nil {
			return errs.Wrap(err, "read supply period")
		}
		if !d.Before(p.End) {
			return errs.E(errs.NotFound, "Device %s had no Responsible Supplier on %s: the period of %s ended on %s and the next began later",
				id, d, p.Supplier, p.End)
		}
		return nil
	})
	return p, err
}

// mayChange reports whether the caller may change a Device it can see: its
// current Responsible Supplier, the SSC, the secretariat and the system.
func mayChange(c access.Caller, r deviceRow) bool {
	return c.System || c.IsSSC() || (c.Has(sec.RoleSupplier) && r.supplierID != 0 && r.supplierID == c.OrgID)
}

// UpgradeFirmware records that Device id runs firmware from since (today when
// zero). Any catalogue version of the Device's model other than the current
// one is accepted, downgrades included; the old firmware moves to the
// history, and an installed Device moves between portfolio groups in the
// same transaction.
func (s *Service) UpgradeFirmware(ctx context.Context, c access.Caller, id DeviceID, firmware string, since sec.Date) (Device, error) {
	firmware = strings.TrimSpace(firmware)
	if firmware == "" {
		return Device{}, errs.FieldError("firmware", "is required: a firmware version of the Device's model, as the catalogue lists it")
	}
	var out Device
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		r, err := loadDevice(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		if !mayChange(c, r) {
			return errs.E(errs.Forbidden, "only the Device's Responsible Supplier, the SSC and the secretariat may record its firmware")
		}
		day := since
		if day.IsZero() {
			day = s.today(tx)
		}
		if msg := s.limits().CheckDate(day, s.today(tx)); msg != "" {
			return errs.FieldError("since", "%s", msg)
		}
		out, err = upgradeFirmware(ctx, tx, c, r, firmware, day)
		return err
	})
	return out, err
}

// upgradeFirmware records that the Device of r runs firmware from day, in tx,
// and returns it with its history as c may see it.
func upgradeFirmware(ctx context.Context, tx *store.Tx, c access.Caller, r deviceRow, firmware string, day sec.Date) (Device, error) {
	id := r.ID
	var fwID int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM firmware_versions WHERE model_id = $1 AND version = $2", r.modelID, firmware).Scan(&fwID)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, errs.FieldError("firmware", "%q is not a firmware version of model %s/%s in the catalogue: add it to the catalogue first", firmware, r.Manufacturer, r.Model)
	}
	if err != nil {
		return Device{}, errs.Wrap(err, "find firmware")
	}
	if fwID == r.firmwareID {
		return Device{}, errs.E(errs.Conflict, "Device %s already runs firmware %s (since %s)", id, r.Firmware, r.FirmwareSince)
	}
	if day.Before(r.FirmwareSince) {
		return Device{}, errs.FieldError("since", "%s is before %s, when the Device's current firmware %s was recorded: firmware changes are recorded in order",
			day, r.FirmwareSince, r.Firmware)
	}
	// Two changes on one day leave a period of no days; the key is the
	// Device and the day, so the later such period replaces the earlier
	// (the audit trail keeps both).
	if _, err := tx.ExecContext(ctx, `INSERT INTO firmware_history (device_id, since, until, firmware_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (device_id, since) DO UPDATE SET until = excluded.until, firmware_id = excluded.firmware_id`,
		id.Int64(), r.FirmwareSince, day, r.firmwareID); err != nil {
		return Device{}, errs.Wrap(err, "record firmware history")
	}
	if _, err := tx.ExecContext(ctx, "UPDATE devices SET firmware_id = $1, firmware_since = $2 WHERE id = $3", fwID, day, id.Int64()); err != nil {
		return Device{}, errs.Wrap(err, "record firmware")
	}
	if r.Status == Installed && r.supplierID != 0 {
		if err := moveFirmware(ctx, tx, r, fwID); err != nil {
			return Device{}, err
		}
	}
	if err := audit.Record(ctx, tx, "device.firmware", KindDevice, id.String(),
		map[string]any{"firmware": firmware, "since": day, "previous": r.Firmware, "previous_since": r.FirmwareSince}); err != nil {
		return Device{}, err
	}
	r2, err := loadDevice(ctx, tx, access.SystemCaller("read back"), id, false)
	if err != nil {
		return Device{}, err
	}
	out := r2.Device
	return out, history(ctx, tx, c, &out)
}

func (s *Service) today(tx *store.Tx) sec.Date {
	if s.Today != nil {
		return s.Today(tx.Now)
	}
	return sec.DateOf(tx.Now)
}

// addDevicePortfolio adds delta Devices of r (with firmware fw) to its portfolio
// group, dropping the group when it empties.
func addDevicePortfolio(ctx context.Context, tx *store.Tx, r deviceRow, fw int64, delta int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (supplier_id, model_id, firmware_id, map_id) DO UPDATE SET devices = portfolio.devices + excluded.devices`,
		r.supplierID, r.modelID, fw, r.mapID, string(r.Generation), string(r.DeviceType), delta); err != nil {
		return errs.Wrap(err, "update portfolio")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM portfolio WHERE supplier_id = $1 AND model_id = $2 AND firmware_id = $3 AND map_id = $4 AND devices = 0`,
		r.supplierID, r.modelID, fw, r.mapID); err != nil {
		return errs.Wrap(err, "update portfolio")
	}
	return nil
}

// moveFirmware moves r's Device from its firmware's portfolio row to fw's.
// Both rows are in one (Supplier, model, MAP) cell, which is all coverage
// reads of the portfolio (it sums over firmware), so the move is marked
// quiet (coverage_quiet, migration 1300) and does not invalidate the cached
// coverage. The mark is written and removed in this transaction: no other
// ever sees it.
func moveFirmware(ctx context.Context, tx *store.Tx, r deviceRow, fw int64) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO coverage_quiet DEFAULT VALUES"); err != nil {
		return errs.Wrap(err, "update portfolio")
	}
	if err := addDevicePortfolio(ctx, tx, r, r.firmwareID, -1); err != nil {
		return err
	}
	if err := addDevicePortfolio(ctx, tx, r, fw, 1); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM coverage_quiet")
	return errs.Wrap(err, "update portfolio")
}

// addEnrolled adds delta Devices of r, when it is SMETS1, to its group in
// portfolio_enrolled (never-enrolled ones under NeverEnrolled).
func addEnrolled(ctx context.Context, tx *store.Tx, r deviceRow, delta int64) error {
	if r.Generation != sec.SMETS1 {
		return nil
	}
	enrolled := r.EnrolledOn
	if enrolled.IsZero() {
		enrolled = NeverEnrolled
	}
	from := NotInherited
	if r.Inherited {
		from = r.SupplyStart
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio_enrolled (supplier_id, model_id, map_id, enrolled_on, inherited_from, devices)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (supplier_id, model_id, map_id, enrolled_on, inherited_from) DO UPDATE SET devices = portfolio_enrolled.devices + excluded.devices`,
		r.supplierID, r.modelID, r.mapID, enrolled, from, delta); err != nil {
		return errs.Wrap(err, "update enrolled portfolio")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM portfolio_enrolled WHERE supplier_id = $1 AND model_id = $2 AND map_id = $3
		AND enrolled_on = $4 AND inherited_from = $5 AND devices = 0`, r.supplierID, r.modelID, r.mapID, enrolled, from); err != nil {
		return errs.Wrap(err, "update enrolled portfolio")
	}
	return nil
}

// NeverEnrolled is portfolio_enrolled.enrolled_on for SMETS1 Devices with no
// enrolment date: later than any day asked about, so "not enrolled on day d"
// is one range of the key, enrolled_on > d, small for any recent day.
var NeverEnrolled = sec.MustParseDate("9999-12-31")

// neverEnrolledSQL is NeverEnrolled as a typed SQL literal.
func neverEnrolledSQL(d store.Dialect) string { return d.DateLiteral(NeverEnrolled.String()) }

// enrolledKeySQL is a Device's portfolio_enrolled.enrolled_on, on a Device
// row d joined to its model m: NULL for SMETS2+ Devices, which the table does
// not hold.
func enrolledKeySQL(dl store.Dialect) string {
	return "CASE WHEN m.generation = 'SMETS1' THEN COALESCE(d.enrolled_on, " + neverEnrolledSQL(dl) + ") END"
}

// NotInherited is portfolio_enrolled.inherited_from for Devices that were
// not inherited on a change of supplier: earlier than any supply start, so a
// churn window's bound never reaches it.
var NotInherited = sec.MustParseDate("0001-01-01")

// notInheritedSQL is NotInherited as a typed SQL literal in a SELECT list.
func notInheritedSQL(d store.Dialect) string { return d.DateLiteral(NotInherited.String()) }

// addInherited adds delta Devices of r to its inherited group.
func addInherited(ctx context.Context, tx *store.Tx, r deviceRow, delta int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (supplier_id, model_id, map_id, supply_start) DO UPDATE SET devices = portfolio_inherited.devices + excluded.devices`,
		r.supplierID, r.modelID, r.mapID, r.SupplyStart, delta); err != nil {
		return errs.Wrap(err, "update inherited portfolio")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM portfolio_inherited WHERE supplier_id = $1 AND model_id = $2 AND map_id = $3 AND supply_start = $4 AND devices = 0`,
		r.supplierID, r.modelID, r.mapID, r.SupplyStart); err != nil {
		return errs.Wrap(err, "update inherited portfolio")
	}
	return nil
}
