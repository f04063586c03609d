// The estate benchmark times the estate's national-scale questions on the
// synthetic benchmark world that BuildWorld builds with SQL (35
// million Devices in minutes): a Supplier's portfolio, a manufacturer's
// operators, "who was responsible for D on X", a Supplier of Last Resort
// transfer and the drift check, each against the naive query over the Device
// rows (or the raw engine statement) in the same run.

package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// EstateOptions tune a run.
type EstateOptions struct {
	Runs        int    // timed runs of each aggregate query (5 when zero)
	Lookups     int    // responsible-on lookups (2,000 when zero)
	Transfer    bool   // also time a Supplier of Last Resort transfer (it changes the database)
	TransferTo  string // the Supplier of Last Resort (the largest Supplier when empty)
	TransferMin int64  // the failed Supplier: the smallest with at least this many Devices (1,500,000 when zero)
	Progress    func(step string)
}

// EstateResult is what a run measured. Times are milliseconds; ratios are the
// naive or raw time over metersec's.
type EstateResult struct {
	Engine  string `json:"engine"`
	Devices int64  `json:"installed_devices"`

	Supplier            string  `json:"supplier"`
	SupplierRows        int     `json:"supplier_portfolio_rows"`
	SupplierMedianMS    float64 `json:"supplier_portfolio_median_ms"`
	SupplierMaxMS       float64 `json:"supplier_portfolio_max_ms"`
	SupplierNaiveMS     float64 `json:"supplier_portfolio_naive_ms"`
	SupplierRatio       float64 `json:"supplier_portfolio_ratio"`
	Manufacturer        string  `json:"manufacturer"`
	ManufacturerRows    int     `json:"manufacturer_operators_rows"`
	ManufacturerMedian  float64 `json:"manufacturer_operators_median_ms"`
	ManufacturerMaxMS   float64 `json:"manufacturer_operators_max_ms"`
	ManufacturerNaiveMS float64 `json:"manufacturer_operators_naive_ms"`
	ManufacturerRatio   float64 `json:"manufacturer_operators_ratio"`

	Lookups         int     `json:"lookups"`
	LookupMeanMS    float64 `json:"responsible_on_mean_ms"`
	LookupP99MS     float64 `json:"responsible_on_p99_ms"`
	LookupRawMeanMS float64 `json:"raw_primary_key_mean_ms"`

	TransferFrom    string  `json:"transfer_from,omitempty"`
	TransferTo      string  `json:"transfer_to,omitempty"`
	TransferDevices int64   `json:"transfer_devices,omitempty"`
	TransferMS      float64 `json:"transfer_ms,omitempty"`
	TransferRawMS   float64 `json:"transfer_raw_update_ms,omitempty"`
	TransferRatio   float64 `json:"transfer_ratio,omitempty"`

	VerifyMS    float64 `json:"verify_ms"`
	VerifyDrift int     `json:"verify_drift"`
	RawCountMS  float64 `json:"raw_count_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// RunEstate measures db, which must hold an estate (the benchmark world or an
// imported one).
func RunEstate(ctx context.Context, db *store.DB, o EstateOptions) (EstateResult, error) {
	if o.Runs < 1 {
		o.Runs = 5
	}
	if o.Lookups < 1 {
		o.Lookups = 2000
	}
	if o.TransferMin == 0 {
		o.TransferMin = 1_500_000
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	svc := estate.NewService(db)
	sys := access.SystemCaller("estate benchmark")
	res := EstateResult{Engine: string(db.Dialect)}
	q := func(query string, args []any, dest ...any) error {
		return errs.Wrap(db.QueryRowContext(ctx, query, args...).Scan(dest...), "benchmark")
	}
	if err := q("SELECT COALESCE(SUM(devices), 0) FROM portfolio", nil, &res.Devices); err != nil {
		return res, err
	}
	if res.Devices == 0 {
		return res, errs.E(errs.Invalid, "%s holds no installed Devices: build or import an estate first", db.Location)
	}
	var supplierID, manufacturerID int64
	if err := q(`SELECT o.id, o.code FROM portfolio p JOIN organisations o ON o.id = p.supplier_id
		GROUP BY o.id, o.code ORDER BY SUM(p.devices) DESC, o.code LIMIT 1`, nil, &supplierID, &res.Supplier); err != nil {
		return res, err
	}
	if err := q(`SELECT o.id, o.code FROM portfolio p JOIN device_models m ON m.id = p.model_id JOIN organisations o ON o.id = m.manufacturer_id
		GROUP BY o.id, o.code ORDER BY SUM(p.devices) DESC, o.code LIMIT 1`, nil, &manufacturerID, &res.Manufacturer); err != nil {
		return res, err
	}

	// Portfolio questions, metersec's way then the naive way.
	series := func(fn func() (int, error)) (med, max float64, n int, err error) {
		var ts []float64
		for range o.Runs {
			t0 := time.Now()
			if n, err = fn(); err != nil {
				return
			}
			ts = append(ts, ms(time.Since(t0)))
		}
		slices.Sort(ts)
		return ts[len(ts)/2], ts[len(ts)-1], n, nil
	}
	naive := func(query string, args ...any) (float64, error) {
		t0 := time.Now()
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			return 0, errs.Wrap(err, "naive query")
		}
		for rows.Next() {
		}
		rows.Close()
		return ms(time.Since(t0)), errs.Wrap(rows.Err(), "naive query")
	}
	o.Progress("a Supplier's portfolio")
	var err error
	if res.SupplierMedianMS, res.SupplierMaxMS, res.SupplierRows, err = series(func() (int, error) {
		rows, err := svc.Portfolio(ctx, sys, estate.PortfolioQuery{Supplier: res.Supplier})
		return len(rows), err
	}); err != nil {
		return res, err
	}
	if res.SupplierNaiveMS, err = naive(`SELECT model_id, firmware_id, COALESCE(map_id, 0), COUNT(*) FROM devices
		WHERE supplier_id = $1 AND status = 'installed' GROUP BY model_id, firmware_id, COALESCE(map_id, 0)`, supplierID); err != nil {
		return res, err
	}
	res.SupplierRatio = res.SupplierNaiveMS / res.SupplierMedianMS
	o.Progress("a manufacturer's operators")
	if res.ManufacturerMedian, res.ManufacturerMaxMS, res.ManufacturerRows, err = series(func() (int, error) {
		rows, err := svc.Operators(ctx, sys, res.Manufacturer)
		return len(rows), err
	}); err != nil {
		return res, err
	}
	if res.ManufacturerNaiveMS, err = naive(`SELECT d.supplier_id, d.model_id, COUNT(*) FROM devices d JOIN device_models m ON m.id = d.model_id
		WHERE m.manufacturer_id = $1 AND d.status = 'installed' GROUP BY d.supplier_id, d.model_id, m.generation, m.device_type`, manufacturerID); err != nil {
		return res, err
	}
	res.ManufacturerRatio = res.ManufacturerNaiveMS / res.ManufacturerMedian

	// Who was responsible for D on X: random Devices on random days.
	o.Progress("responsible-on lookups")
	var lo, hi int64
	if err := q("SELECT MIN(id), MAX(id) FROM devices", nil, &lo, &hi); err != nil {
		return res, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	var ids []int64
	for len(ids) < o.Lookups {
		// Ids of the benchmark world are dense; an imported estate's are
		// not, so take the next Device at or after a random point.
		// Device ids span the whole int64 range (the manufacturer's prefix
		// in the top bits), so hi-lo can overflow int64: draw the offset as
		// uint64, where the difference is exact.
		var id int64
		at := lo + int64(r.Uint64N(uint64(hi-lo)+1))
		if err := q("SELECT id FROM devices WHERE id >= $1 ORDER BY id LIMIT 1", []any{at}, &id); err != nil {
			return res, err
		}
		ids = append(ids, id)
	}
	day0 := sec.MustParseDate("2024-01-01")
	var lt []float64
	var total time.Duration
	for _, id := range ids {
		t0 := time.Now()
		_, err := svc.ResponsibleOn(ctx, sys, estate.DeviceIDFromInt64(id), day0.AddDays(r.IntN(540)))
		d := time.Since(t0)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return res, err
		}
		total += d
		lt = append(lt, ms(d))
	}
	slices.Sort(lt)
	res.Lookups, res.LookupMeanMS, res.LookupP99MS = len(ids), ms(total)/float64(len(ids)), lt[len(lt)*99/100]
	t0 := time.Now()
	for _, id := range ids {
		var s int64
		if err := q("SELECT supplier_id FROM devices WHERE id = $1", []any{id}, &s); err != nil {
			return res, err
		}
	}
	res.LookupRawMeanMS = ms(time.Since(t0)) / float64(len(ids))

	if o.Transfer {
		o.Progress("a Supplier of Last Resort transfer")
		if err := estateTransfer(ctx, db, svc, sys, o, &res); err != nil {
			return res, err
		}
	}

	o.Progress("the drift check")
	t0 = time.Now()
	vr, err := svc.Verify(ctx, sys)
	if err != nil {
		return res, err
	}
	res.VerifyMS, res.VerifyDrift = ms(time.Since(t0)), len(vr.Drift)+len(vr.Inherited)
	var n int64
	t0 = time.Now()
	if err := q("SELECT COUNT(*) FROM devices WHERE status = 'installed'", nil, &n); err != nil {
		return res, err
	}
	res.RawCountMS = ms(time.Since(t0))
	return res, nil
}

// transfer moves the smallest Supplier with at least o.TransferMin Devices to
// the Supplier of Last Resort, after timing the raw UPDATE of the same rows
// (rolled back) as the baseline.
func estateTransfer(ctx context.Context, db *store.DB, svc *estate.Service, sys access.Caller, o EstateOptions, res *EstateResult) error {
	var fromID int64
	err := db.QueryRowContext(ctx, `SELECT o.id, o.code, SUM(p.devices) FROM portfolio p JOIN organisations o ON o.id = p.supplier_id
		GROUP BY o.id, o.code HAVING SUM(p.devices) >= $1 ORDER BY SUM(p.devices), o.code LIMIT 1`, o.TransferMin).Scan(&fromID, &res.TransferFrom, &res.TransferDevices)
	if err != nil {
		return errs.Wrap(err, fmt.Sprintf("no Supplier has %d Devices to transfer", o.TransferMin))
	}
	res.TransferTo = o.TransferTo
	if res.TransferTo == "" {
		res.TransferTo = res.Supplier
	}
	var toID int64
	var last sec.Date
	if err := db.QueryRowContext(ctx, "SELECT id FROM organisations WHERE code = $1", res.TransferTo).Scan(&toID); err != nil {
		return errs.Wrap(err, "the Supplier of Last Resort")
	}
	var lastS string
	if err := db.QueryRowContext(ctx, "SELECT CAST(MAX(supply_start) AS TEXT) FROM devices").Scan(&lastS); err != nil {
		return errs.Wrap(err, "benchmark")
	}
	if last, err = sec.ParseDate(lastS[:10]); err != nil {
		return errs.Wrap(err, "benchmark")
	}
	effective := last.AddDays(1)

	// The baseline: the engine moving the same Devices with one UPDATE.
	tx, err := db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(err, "benchmark")
	}
	t0 := time.Now()
	_, err = tx.ExecContext(ctx, "UPDATE devices SET supplier_id = $1, supply_start = $2, inherited = TRUE WHERE supplier_id = $3", toID, effective, fromID)
	res.TransferRawMS = ms(time.Since(t0))
	tx.Rollback()
	if err != nil {
		return errs.Wrap(err, "raw transfer")
	}

	t0 = time.Now()
	tr, err := svc.TransferAll(ctx, sys, estate.Transfer{From: res.TransferFrom, To: res.TransferTo, Effective: effective})
	res.TransferMS = ms(time.Since(t0))
	if err != nil {
		return err
	}
	res.TransferDevices = tr.Devices
	res.TransferRatio = res.TransferMS / res.TransferRawMS
	return nil
}
