package report

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Snapshot is the estate at the end of a month by Supplier and model, as the
// monthly mailing reports it. The portfolio aggregates hold only the present,
// so the scheduled job copies them as soon as a month ends (basis
// "aggregates"); a month that was never copied then is computed from the
// supply periods as at its last day when first reported (basis
// "supply_periods", Late), so a late first run or a late churn file still
// reports the month's end, not a later state.
type Snapshot struct {
	Month   Month     `json:"month"`
	TakenAt time.Time `json:"taken_at"`
	Late    bool      `json:"late"`
	Basis   string    `json:"basis"`
	Rows    int64     `json:"rows"`
	Devices int64     `json:"devices"`
}

// The bases of a snapshot.
const (
	BasisAggregates    = "aggregates"
	BasisSupplyPeriods = "supply_periods"
)

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
	err := q.QueryRowContext(ctx, "SELECT taken_at, late, basis, row_count, devices FROM portfolio_snapshot_months WHERE month = $1", m.String()).
		Scan(&s.TakenAt, &s.Late, &s.Basis, &s.Rows, &s.Devices)
	if errors.Is(err, sql.ErrNoRows) {
		return s, errNoSnapshot
	}
	s.TakenAt = s.TakenAt.UTC()
	return s, errs.Wrap(err, "read snapshot")
}

// takeSnapshot records the month's snapshot, unless the month has one; it
// returns the month's snapshot either way. Taken as the month ends it copies
// the portfolio aggregates; taken late it computes the estate as at the
// month's last day from the supply periods. Both counts come from the
// coverage area's functions, which own how the estate is read. One audit
// record covers the snapshot.
func takeSnapshot(ctx context.Context, tx *store.Tx, m Month, late bool) (Snapshot, error) {
	if s, err := getSnapshot(ctx, tx, m); !errors.Is(err, errNoSnapshot) {
		return s, err
	}
	s := Snapshot{Month: m, TakenAt: tx.Now, Late: late, Basis: BasisAggregates}
	var counts []coverage.EstateCount
	var err error
	if late {
		s.Basis = BasisSupplyPeriods
		counts, err = coverage.EstateAt(ctx, tx, m.Last())
	} else {
		counts, err = coverage.EstateNow(ctx, tx)
	}
	if err != nil {
		return Snapshot{}, err
	}
	// A few hundred thousand rows at most (Suppliers × models), in
	// multi-row INSERTs well inside both engines' limits on parameters.
	for batch := range slices.Chunk(counts, 500) {
		args := access.Args{m.String()}
		values := make([]string, len(batch))
		for i, c := range batch {
			values[i] = "($1, " + args.Add(c.Supplier) + ", " + args.Add(c.Model) + ", " + args.Add(string(c.Generation)) + ", " +
				args.Add(string(c.DeviceType)) + ", " + args.Add(c.Devices) + ")"
			s.Rows++
			s.Devices += c.Devices
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio_snapshots (month, supplier_id, model_id, generation, device_type, devices) VALUES `+
			strings.Join(values, ", "), args...); err != nil {
			if store.IsUniqueViolation(err) {
				return Snapshot{}, errs.E(errs.Conflict, "the snapshot of %s was being taken at the same time: try again", m)
			}
			return Snapshot{}, errs.Wrap(err, "take snapshot")
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO portfolio_snapshot_months (month, taken_at, late, basis, row_count, devices) VALUES ($1, $2, $3, $4, $5, $6)",
		m.String(), s.TakenAt, s.Late, s.Basis, s.Rows, s.Devices); err != nil {
		if store.IsUniqueViolation(err) {
			return Snapshot{}, errs.E(errs.Conflict, "the snapshot of %s was being taken at the same time: try again", m)
		}
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
