package estate_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestGeneratedWorldEndToEnd loads a generated world through the services
// in the documented order (parties, catalogue, devices, churn) and recounts
// every aggregate from the Devices.
func TestGeneratedWorldEndToEnd(t *testing.T) {
	w := genWorld(t, 3000)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loadRefs(t, db, w)
		s := estate.NewService(db)
		f, err := os.Open(filepath.Join(w.dir, "devices.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := s.ImportDevices(ctx, sys, f, estate.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != w.sum.Devices {
			t.Fatalf("created %d, generated %d", res.Created, w.sum.Devices)
		}
		g, err := os.Open(filepath.Join(w.dir, "churn.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		cres, err := s.ImportChurn(ctx, sys, g, estate.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cres.Rows != w.sum.ChurnRows || cres.Changed != cres.Rows || cres.Unchanged != 0 {
			t.Fatalf("churn %+v, generated %d rows", cres, w.sum.ChurnRows)
		}
		checkAggregates(t, db)
		// Every change is a closed period, and the Devices' current
		// Suppliers are the file's last word on each.
		if n := count(t, db, "SELECT COUNT(*) FROM supply_periods"); n != cres.Changed {
			t.Fatalf("%d supply periods, %d changes", n, cres.Changed)
		}
		last := map[string]string{}
		for _, r := range w.devices {
			last[r[0]] = r[6]
		}
		for _, r := range w.churnRows {
			last[r[0]] = r[1]
		}
		got := groups(t, db, "SELECT o.code, COUNT(*) FROM devices d JOIN organisations o ON o.id = d.supplier_id GROUP BY o.code")
		want := map[string]int64{}
		for _, s := range last {
			want[s]++
		}
		if !maps.Equal(got, want) {
			t.Fatalf("devices by supplier %v, want %v", got, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM churn_monthly WHERE to_supplier = (SELECT id FROM organisations WHERE code = $1)", w.sum.Failure.SoLR); n == 0 {
			t.Fatalf("no churn to the Supplier of Last Resort %s", w.sum.Failure.SoLR)
		}
		// Again: nothing changes.
		before := groups(t, db, "SELECT supplier_id, model_id, map_id, supply_start, devices FROM portfolio_inherited")
		cres, err = importChurn(t, db, sys, w.churnRows)
		if err != nil || cres.Changed != 0 || cres.Unchanged != cres.Rows {
			t.Fatalf("churn again: %+v %v", cres, err)
		}
		if after := groups(t, db, "SELECT supplier_id, model_id, map_id, supply_start, devices FROM portfolio_inherited"); !maps.Equal(before, after) {
			t.Fatal("re-importing churn changed portfolio_inherited")
		}
		checkAggregates(t, db)
	})
}

// churnWorld is a world with its Devices imported.
func churnWorld(t *testing.T, db *store.DB, w *world) {
	t.Helper()
	loadRefs(t, db, w)
	if _, err := importDevices(t, db, sys, w.devices); err != nil {
		t.Fatal(err)
	}
}

func TestImportChurn(t *testing.T) {
	w := genWorld(t, 400)
	sups, _, _ := codes(w)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		churnWorld(t, db, w)
		// Make some Devices removed, so only installed ones count.
		if _, err := db.Writer().ExecContext(context.Background(), "UPDATE devices SET status = 'removed' WHERE id IN (SELECT id FROM devices ORDER BY id LIMIT 7)"); err != nil {
			t.Fatal(err)
		}
		if err := rebuild(db); err != nil {
			t.Fatal(err)
		}
		other := func(s string) string {
			if s == sups[0] {
				return sups[1]
			}
			return sups[0]
		}
		third := func(a, b string) string {
			for _, s := range sups {
				if s != a && s != b {
					return s
				}
			}
			return ""
		}
		// Device 0 changes twice (rows in date order), Device 1 once.
		d0, d1, d2 := w.devices[0], w.devices[1], w.devices[2]
		s1 := other(d0[6])
		s2 := third(d0[6], s1)
		recs := [][]string{
			{d0[0], s1, "2025-03-01"},
			{d1[0], other(d1[6]), "2025-03-01"},
			{d0[0], s2, "2025-05-31"},
		}
		for _, r := range w.devices[3:60] {
			recs = append(recs, []string{r[0], other(r[6]), "2025-06-15"})
		}
		res, err := importChurn(t, db, sys, recs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed != int64(len(recs)) {
			t.Fatalf("%+v", res)
		}
		checkAggregates(t, db)
		id0, _ := estate.ParseDeviceID(d0[0])
		if n := count(t, db, "SELECT COUNT(*) FROM supply_periods WHERE device_id = $1", id0.Int64()); n != 2 {
			t.Fatalf("device 0 has %d closed periods", n)
		}
		if sup := count(t, db, "SELECT supplier_id FROM devices WHERE id = $1", id0.Int64()); sup != orgID(t, db, s2) {
			t.Fatalf("device 0 supplier %d", sup)
		}
		// Again, and with one new change: the old rows are unchanged.
		recs = append(recs, []string{d2[0], other(d2[6]), "2025-07-01"})
		res, err = importChurn(t, db, sys, recs)
		if err != nil || res.Changed != 1 || res.Unchanged != int64(len(recs)-1) {
			t.Fatalf("again: %+v %v", res, err)
		}
		checkAggregates(t, db)

		// Backwards, overlapping, to the same Supplier, twice a day, unknown
		// Device or Supplier: all rejected, nothing written.
		before := count(t, db, "SELECT COUNT(*) FROM supply_periods")
		d5, d6, d7 := w.devices[70], w.devices[71], w.devices[72]
		bad := [][]string{
			{d5[0], other(d5[6]), "2025-08-01"},                // line 2: fine
			{d1[0], other(d1[6]), "2025-02-01"},                // line 3: before its supply start of 2025-03-01
			{d6[0], d6[6], "2025-08-01"},                       // line 4: the current Supplier
			{d7[0], other(d7[6]), "2025-08-01"},                // line 5
			{d7[0], other(d7[6]), "2025-08-01"},                // line 6: twice on one day
			{"00-00-00-00-00-00-00-01", sups[0], "2025-08-01"}, // line 7: no such Device
			{d5[0], "NOSUCH", "2025-09-01"},                    // line 8: no such Supplier
		}
		_, err = importChurn(t, db, sys, bad)
		e, got := problems(t, err)
		for _, want := range []string{"7 device_id", "8 new_supplier", "6 effective_date"} {
			if !slices.Contains(got, want) {
				t.Errorf("missing %q in %v", want, e.Fields)
			}
		}
		// The rows that need the estate are checked once the file is sound.
		_, err = importChurn(t, db, sys, bad[:4])
		e, got = problems(t, err)
		if !slices.Equal(got, []string{"3 effective_date", "4 new_supplier"}) {
			t.Errorf("problems %v", e.Fields)
		}
		if !strings.Contains(e.Fields[0].Message, "2025-03-01") {
			t.Errorf("message %q does not name the supply start", e.Fields[0].Message)
		}
		// Overlap: the same day as the current supply start.
		_, err = importChurn(t, db, sys, [][]string{{d0[0], s1, "2025-05-31"}})
		if _, got := problems(t, err); !slices.Equal(got, []string{"2 effective_date"}) {
			t.Errorf("overlap: %v", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM supply_periods"); n != before {
			t.Fatalf("rejected files wrote %d periods", n-before)
		}
		checkAggregates(t, db)
	})
}

func rebuild(db *store.DB) error {
	return db.Write(context.Background(), sys, func(tx *store.Tx) error {
		for _, q := range []string{
			"DELETE FROM portfolio",
			`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
			 SELECT d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type, COUNT(*)
			 FROM devices d JOIN device_models m ON m.id = d.model_id WHERE d.status = 'installed' AND d.supplier_id IS NOT NULL
			 GROUP BY d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type`,
			"DELETE FROM portfolio_enrolled",
			`INSERT INTO portfolio_enrolled (supplier_id, model_id, map_id, enrolled_on, inherited_from, devices)
			 SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END, COUNT(*)
	 FROM devices d JOIN device_models m ON m.id = d.model_id WHERE m.generation = 'SMETS1' AND d.status = 'installed' AND d.supplier_id IS NOT NULL
	 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END`,
		} {
			if _, err := tx.ExecContext(context.Background(), q); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestChangeSupplier(t *testing.T) {
	w := genWorld(t, 200)
	sups, _, _ := codes(w)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		churnWorld(t, db, w)
		s := estate.NewService(db)
		ctx := context.Background()
		d := w.devices[0]
		id, _ := estate.ParseDeviceID(d[0])
		to := sups[0]
		if to == d[6] {
			to = sups[1]
		}
		ch := estate.Change{DeviceID: id, NewSupplier: to, Effective: sec.MustParseDate("2025-04-01")}
		res, err := s.ChangeSupplier(ctx, sys, ch)
		if err != nil || res.Changed != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		res, err = s.ChangeSupplier(ctx, sys, ch)
		if err != nil || res.Unchanged != 1 {
			t.Fatalf("again: %+v %v", res, err)
		}
		checkAggregates(t, db)
		ch.Effective = sec.MustParseDate("2025-03-01")
		ch.NewSupplier = d[6]
		if _, err := s.ChangeSupplier(ctx, sys, ch); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "not after") {
			t.Fatalf("backwards: %v", err)
		}
		ch.DeviceID = 12345
		ch.Effective = sec.MustParseDate("2025-06-01")
		if _, err := s.ChangeSupplier(ctx, sys, ch); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown device: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'estate.change_supplier'"); n != 2 {
			t.Fatalf("%d audit records", n)
		}
		// A Supplier claims a Device for itself, not for another.
		c := access.Caller{UserID: 5, OrgID: orgID(t, db, d[6]), Roles: []sec.Role{sec.RoleSupplier}}
		ch = estate.Change{DeviceID: id, NewSupplier: to, Effective: sec.MustParseDate("2025-07-01")}
		if _, err := s.ChangeSupplier(ctx, c, ch); !errs.Is(err, errs.Invalid) {
			t.Fatalf("supplier for another: %v", err)
		}
		ch.NewSupplier = d[6]
		if res, err := s.ChangeSupplier(ctx, c, ch); err != nil || res.Changed != 1 {
			t.Fatalf("supplier for itself: %+v %v", res, err)
		}
		checkAggregates(t, db)
	})
}

func TestTransferAll(t *testing.T) {
	w := genWorld(t, 1500)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		churnWorld(t, db, w)
		ctx := context.Background()
		s := estate.NewService(db)
		if _, err := importChurn(t, db, sys, w.churnRows); err != nil {
			t.Fatal(err)
		}
		// The largest Supplier moves to the smallest.
		by := groups(t, db, "SELECT o.code, COUNT(*) FROM devices d JOIN organisations o ON o.id = d.supplier_id GROUP BY o.code")
		var from, to string
		for c, n := range by {
			if from == "" || n > by[from] || n == by[from] && c < from {
				from = c
			}
			if to == "" || n < by[to] || n == by[to] && c < to {
				to = c
			}
		}
		day := sec.MustParseDate("2026-03-01")
		inheritedBefore := count(t, db, "SELECT COUNT(*) FROM devices WHERE inherited")
		res, err := s.TransferAll(ctx, sys, estate.Transfer{From: from, To: to, Effective: day})
		if err != nil {
			t.Fatal(err)
		}
		if res.Devices != by[from] || res.From != from || res.To != to {
			t.Fatalf("%+v, want %d Devices", res, by[from])
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices WHERE supplier_id = $1", orgID(t, db, from)); n != 0 {
			t.Fatalf("%d Devices left with %s", n, from)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices WHERE supplier_id = $1", orgID(t, db, to)); n != by[from]+by[to] {
			t.Fatalf("%s has %d Devices", to, n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices WHERE inherited"); n <= inheritedBefore {
			t.Fatal("transferred Devices are not inherited")
		}
		checkAggregates(t, db)
		// Back again on the same day: refused (supply cannot restart on its
		// first day); a day later: fine.
		_, err = s.TransferAll(ctx, sys, estate.Transfer{From: to, To: from, Effective: day})
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), fmt.Sprintf("%d Devices", by[from])) {
			t.Fatalf("same day back: %v", err)
		}
		if _, err := s.TransferAll(ctx, sys, estate.Transfer{From: to, To: "NOSUCH", Effective: day.AddDays(1)}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown supplier: %v", err)
		}
		res, err = s.TransferAll(ctx, sys, estate.Transfer{From: to, To: from, Effective: day.AddDays(1)})
		if err != nil || res.Devices != by[from]+by[to] {
			t.Fatalf("back: %+v %v", res, err)
		}
		checkAggregates(t, db)
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'estate.transfer'"); n != 2 {
			t.Fatalf("%d audit records", n)
		}
	})
}
