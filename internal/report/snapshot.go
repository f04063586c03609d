package report

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Snapshot is the estate at the end of a month by Supplier and model, as the
// monthly mailing reports it. The portfolio table holds only the present, so
// the scheduled job copies it as soon as a month ends; a month that was never
// copied is taken from the estate as it stands when first reported, and
// marked late so every report of it says so.
type Snapshot struct {
	Month   Month     `json:"month"`
	TakenAt time.Time `json:"taken_at"`
	Late    bool      `json:"late"`
	Rows    int64     `json:"rows"`
	Devices int64     `json:"devices"`
}

// snapshotRow is one Supplier's installed Devices of one model.
type snapshotRow struct {
	SupplierID int64
	ModelID    int64
	ModelCode  string
	ModelName  string
	Generation sec.Generation
	DeviceType sec.DeviceType
	Devices    int64
}

var errNoSnapshot = errors.New("no snapshot")

func getSnapshot(ctx context.Context, q store.Querier, m Month) (Snapshot, error) {
	s := Snapshot{Month: m}
	err := q.QueryRowContext(ctx, "SELECT taken_at, late, row_count, devices FROM portfolio_snapshot_months WHERE month = $1", m.String()).
		Scan(&s.TakenAt, &s.Late, &s.Rows, &s.Devices)
	if errors.Is(err, sql.ErrNoRows) {
		return s, errNoSnapshot
	}
	s.TakenAt = s.TakenAt.UTC()
	return s, errs.Wrap(err, "read snapshot")
}

// takeSnapshot copies the portfolio aggregates, summed over firmware and
// MAP, into the month's snapshot, unless the month has one; it returns the
// month's snapshot either way. One audit record covers the copy.
func takeSnapshot(ctx context.Context, tx *store.Tx, m Month, late bool) (Snapshot, error) {
	if s, err := getSnapshot(ctx, tx, m); !errors.Is(err, errNoSnapshot) {
		return s, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio_snapshots (month, supplier_id, model_id, generation, device_type, devices)
		SELECT $1, supplier_id, model_id, generation, device_type, SUM(devices) FROM portfolio
		GROUP BY supplier_id, model_id, generation, device_type HAVING SUM(devices) > 0`, m.String()); err != nil {
		if store.IsUniqueViolation(err) {
			return Snapshot{}, errs.E(errs.Conflict, "the snapshot of %s was being taken at the same time: try again", m)
		}
		return Snapshot{}, errs.Wrap(err, "take snapshot")
	}
	s := Snapshot{Month: m, TakenAt: tx.Now, Late: late}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(devices), 0) FROM portfolio_snapshots WHERE month = $1", m.String()).
		Scan(&s.Rows, &s.Devices); err != nil {
		return s, errs.Wrap(err, "take snapshot")
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO portfolio_snapshot_months (month, taken_at, late, row_count, devices) VALUES ($1, $2, $3, $4, $5)",
		m.String(), s.TakenAt, s.Late, s.Rows, s.Devices); err != nil {
		return s, errs.Wrap(err, "take snapshot")
	}
	return s, audit.Record(ctx, tx, "report.snapshot", "portfolio_snapshot", m.String(), s)
}

// snapshotRows reads one manufacturer's rows of a month's snapshot, with
// each model's code and, where its recipient may see the model's catalogue
// entry, its name. The manufacturer is in the WHERE: no other manufacturer's
// rows can reach its report.
func snapshotRows(ctx context.Context, q store.Querier, m Month, manufacturerID int64) ([]snapshotRow, error) {
	args := access.Args{m.String(), manufacturerID}
	nameVisible := orgViewer(manufacturerID).Visible(&args, catalogue.KindModel, "dm", "dm.manufacturer_id")
	rows, err := q.QueryContext(ctx, `SELECT s.supplier_id, s.model_id, dm.code, CASE WHEN `+nameVisible+` THEN dm.name ELSE '' END,
		s.generation, s.device_type, s.devices
		FROM portfolio_snapshots s JOIN device_models dm ON dm.id = s.model_id
		WHERE s.month = $1 AND dm.manufacturer_id = $2 ORDER BY s.supplier_id, dm.code`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read snapshot")
	}
	defer rows.Close()
	var out []snapshotRow
	for rows.Next() {
		var r snapshotRow
		if err := rows.Scan(&r.SupplierID, &r.ModelID, &r.ModelCode, &r.ModelName, &r.Generation, &r.DeviceType, &r.Devices); err != nil {
			return nil, errs.Wrap(err, "read snapshot")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "read snapshot")
}
