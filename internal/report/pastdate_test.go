package report

import (
	"bytes"
	"context"
	"testing"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestLateMonthIsComputedAsAtItsEnd (issue 13 point 5): seeds/000, "The SSC
// must inform Device manufacturers on a monthly basis of which Energy
// Suppliers are operating their Devices". When no snapshot was taken as the
// month ended (the first run comes after it, or a late churn file moved
// Devices back into it), the month's end is computed from the supply periods,
// not reported as the estate stood later.
func TestLateMonthIsComputedAsAtItsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, _ := e.service()
		// After October ended: 10 A1 Devices installed for S2 on
		// 1 November (not October's), and one of S1's A1 Devices that S2 had
		// until 31 October, inherited by S1 on 1 November (a late churn
		// file): on 31 October it was S2's.
		addPortfolioFrom(t, db, e.s2.ID, e.a1, 1, 0, sec.SMETS2, sec.ESME, 10, "2026-11-01")
		var moved int64
		if err := db.Writer().QueryRow(`SELECT MIN(id) FROM devices WHERE supplier_id = $1 AND model_id = $2`, e.s1.ID, e.a1).Scan(&moved); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `UPDATE devices SET supply_start = '2026-11-01', inherited = TRUE WHERE id = $1`, moved)
		exec(t, db, `INSERT INTO supply_periods (device_id, start, "end", supplier_id) VALUES ($1, '2020-01-01', '2026-11-01', $2)`, moved, e.s2.ID)

		e.clock.set(ts("2026-11-20T09:00:00Z"))
		run, err := s.RunMonthly(ctx, e.sscMember, e.october, RunOptions{Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if run.Snapshot == nil || !run.Snapshot.Late || run.Snapshot.Basis != BasisSupplyPeriods {
			t.Fatalf("snapshot %+v", run.Snapshot)
		}
		mfa := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "MFA", 1).ID)
		got := map[string]int64{}
		for _, so := range mfa.Suppliers {
			got[so.Supplier.Code] = so.Devices
		}
		// S1: A1 150 less the one S2 still had, A2 30. S2: A1 20 and the one
		// it still had; the 10 installed in November are not October's.
		if got["S1"] != 179 || got["S2"] != 21 {
			t.Errorf("October's end: %v, want S1 179 and S2 21", got)
		}
		dl, err := s.File(ctx, sys, reportFor(t, s, ManufacturerKind, "MFA", 1).ID, CSV)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(dl.Bytes, []byte("computed on 20 Nov 2026 from the supply periods as at 31 Oct 2026")) ||
			bytes.Contains(dl.Bytes, []byte("changes after the month ended are included")) {
			t.Errorf("the late report does not say how its figures were counted:\n%s", dl.Bytes)
		}
		// Today's aggregates are as they stand (the test's loader keeps them).
		var now int64
		if err := db.QueryRowContext(ctx, "SELECT SUM(devices) FROM portfolio WHERE supplier_id = $1", e.s2.ID).Scan(&now); err != nil {
			t.Fatal(err)
		}
		if now != 37 {
			t.Errorf("S2's portfolio today %d", now)
		}
	})
}
