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

// MAP ownership history (issue 13 point 8). The Meter Asset Provider that
// owns a Device changes (a MAP sells a book of meters, a Supplier re-finances
// them), and who is told of a vulnerability, or who stands in a G3.20 chain,
// on a past day is the MAP of that day. The current owner is devices.map_id
// from devices.map_since (NULL: from the earliest day the estate knows of the
// Device, its first supply start); earlier owners are closed periods
// [start, end) in map_periods, as supply_periods keeps earlier Suppliers.

// MAPPeriod is a MAP owning a Device from Start up to (not including) End;
// End is zero for the current owner. MAP is empty for a period with no MAP.
type MAPPeriod struct {
	MAP   string   `json:"map"`
	Start sec.Date `json:"start"`
	End   sec.Date `json:"end,omitzero"`
}

// MAPChange is one change of the MAP that owns a Device: NewMAP is an
// organisation code holding the MAP role, or empty for "no MAP".
type MAPChange struct {
	DeviceID  DeviceID `json:"device_id"`
	NewMAP    string   `json:"new_map"`
	Effective sec.Date `json:"effective_date"`
}

// firstKnownSQL is the earliest day the estate knows of the Device d: the
// start of its first supply period.
const firstKnownSQL = `COALESCE((SELECT MIN(f.start) FROM supply_periods f WHERE f.device_id = d.id), d.supply_start)`

// mapHistory fills in d's MAP periods, newest first.
func mapHistory(ctx context.Context, q store.Querier, d *Device) error {
	var since sec.Date
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(d.map_since, `+firstKnownSQL+`) FROM devices d WHERE d.id = $1`, d.ID.Int64()).
		Scan(&since); err != nil {
		return errs.Wrap(err, "read MAP history")
	}
	d.MAPHistory = []MAPPeriod{{MAP: d.MAP, Start: since}}
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(o.code, ''), mp.start, mp."end" FROM map_periods mp
		LEFT JOIN organisations o ON o.id = mp.map_id WHERE mp.device_id = $1 ORDER BY mp.start DESC`, d.ID.Int64())
	if err != nil {
		return errs.Wrap(err, "read MAP history")
	}
	defer rows.Close()
	for rows.Next() {
		var p MAPPeriod
		if err := rows.Scan(&p.MAP, &p.Start, &p.End); err != nil {
			return errs.Wrap(err, "read MAP history")
		}
		d.MAPHistory = append(d.MAPHistory, p)
	}
	return errs.Wrap(rows.Err(), "read MAP history")
}

// MAPOn is the MAP (its organisation id, 0 for none) that owned Device id on
// day d, from its MAP history; a day before the history begins answers the
// owner it began with. The caller has already been shown the Device.
func MAPOn(ctx context.Context, q store.Querier, id DeviceID, d sec.Date) (int64, error) {
	var mapID int64
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN d.map_since IS NULL OR d.map_since <= $2 THEN COALESCE(d.map_id, 0)
		ELSE COALESCE((SELECT COALESCE(mp.map_id, 0) FROM map_periods mp WHERE mp.device_id = d.id AND mp.start <= $2 ORDER BY mp.start DESC LIMIT 1),
			(SELECT COALESCE(mp.map_id, 0) FROM map_periods mp WHERE mp.device_id = d.id ORDER BY mp.start LIMIT 1), 0) END
		FROM devices d WHERE d.id = $1`, id.Int64(), d).Scan(&mapID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "no Device with that ID that you may see")
	}
	return mapID, errs.Wrap(err, "read MAP on day")
}

// ChangeMAP records that Device id is owned by another MAP (or none) from
// the effective date (today when zero): the current owner's period closes
// the day before and the new one opens, and an installed Device moves
// between portfolio groups in the same transaction, with an audit record.
// The Device's Responsible Supplier, the SSC, the secretariat and the system
// may record it. The date must be after the current owner's start; asking
// for the MAP the Device already has is a conflict.
func (s *Service) ChangeMAP(ctx context.Context, c access.Caller, ch MAPChange) (Device, error) {
	var out Device
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		r, err := loadDevice(ctx, tx, c, ch.DeviceID, true)
		if err != nil {
			return err
		}
		if !mayChange(c, r) {
			return errs.E(errs.Forbidden, "only the Device's Responsible Supplier, the SSC and the secretariat may record its MAP")
		}
		eff := ch.Effective
		if eff.IsZero() {
			eff = s.today(tx)
		}
		if msg := s.limits().CheckDate(eff, s.today(tx)); msg != "" {
			return errs.FieldError("effective_date", "%s", msg)
		}
		var newMAP int64
		if code := strings.ToUpper(strings.TrimSpace(ch.NewMAP)); code != "" {
			og, err := loadOrgs(ctx, tx)
			if err != nil {
				return err
			}
			switch o := og.byCode[code]; {
			case o == nil:
				return errs.FieldError("new_map", "%q: no such organisation", ch.NewMAP)
			case !o.mapRole:
				return errs.FieldError("new_map", "%q: the organisation is not a Meter Asset Provider", ch.NewMAP)
			default:
				newMAP = o.id
			}
		}
		if newMAP == r.mapID {
			return errs.E(errs.Conflict, "Device %s is already owned by %s", ch.DeviceID, mapName(r.MAP))
		}
		var since sec.Date
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(d.map_since, `+firstKnownSQL+`) FROM devices d WHERE d.id = $1`, r.ID.Int64()).
			Scan(&since); err != nil {
			return errs.Wrap(err, "read MAP history")
		}
		if !eff.After(since) {
			return errs.FieldError("effective_date", "%s is not after %s, when the Device's current MAP ownership began: MAP periods cannot overlap or go backwards", eff, since)
		}
		code := ""
		if newMAP != 0 {
			code = strings.ToUpper(strings.TrimSpace(ch.NewMAP))
		}
		if err := moveMAP(ctx, tx, r, newMAP, code, since, eff); err != nil {
			return err
		}
		r2, err := loadDevice(ctx, tx, access.SystemCaller("read back"), r.ID, false)
		if err != nil {
			return err
		}
		out = r2.Device
		return history(ctx, tx, c, &out)
	})
	return out, err
}

// moveMAP records, in tx, that Device r (as loaded, with its current owner
// since since) is owned by newMAP (code; 0 and "" for no MAP) from eff: the
// current owner's period closes the day before eff, the Device moves between
// portfolio groups when installed, and the change is audited. The caller has
// checked that eff is after since and newMAP differs from r's.
func moveMAP(ctx context.Context, tx *store.Tx, r deviceRow, newMAP int64, code string, since, eff sec.Date) error {
	var old any
	if r.mapID != 0 {
		old = r.mapID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO map_periods (device_id, start, "end", map_id) VALUES ($1, $2, $3, $4)`,
		r.ID.Int64(), since, eff, old); err != nil {
		return errs.Wrap(err, "record MAP history")
	}
	var next any
	if newMAP != 0 {
		next = newMAP
	}
	if _, err := tx.ExecContext(ctx, "UPDATE devices SET map_id = $1, map_since = $2 WHERE id = $3", next, eff, r.ID.Int64()); err != nil {
		return errs.Wrap(err, "record MAP")
	}
	if r.Status == Installed && r.supplierID != 0 {
		moved := r
		moved.mapID = newMAP
		for _, m := range []struct {
			row   deviceRow
			delta int64
		}{{r, -1}, {moved, 1}} {
			if err := addDevicePortfolio(ctx, tx, m.row, m.row.firmwareID, m.delta); err != nil {
				return err
			}
			if m.row.Inherited {
				if err := addInherited(ctx, tx, m.row, m.delta); err != nil {
					return err
				}
			}
			if err := addEnrolled(ctx, tx, m.row, m.delta); err != nil {
				return err
			}
		}
	}
	if err := audit.Record(ctx, tx, "device.map", KindDevice, r.ID.String(),
		map[string]any{"map": code, "effective_date": eff, "previous": r.MAP, "previous_since": since}); err != nil {
		return err
	}
	return nil
}

func mapName(code string) string {
	if code == "" {
		return "no MAP"
	}
	return code
}
