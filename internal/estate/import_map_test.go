package estate_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestImportDevicesMAPChange (issue 13 point 8): a devices file imported
// again that names another MAP for a Device already in the estate records a
// change of MAP from the import's day, as ChangeMAP would: the old owner's
// period is closed in map_periods, MAPOn answers the old MAP before the day
// and the new one from it, and the portfolio moves with it. A bad row
// elsewhere in the file leaves everything as it was.
func TestImportDevicesMAPChange(t *testing.T) {
	w := genWorld(t, 200)
	_, _, mapCodes := codes(w)
	if len(mapCodes) < 2 {
		t.Fatalf("the world has %d MAPs, want 2 or more", len(mapCodes))
	}
	day := sec.MustParseDate("2026-11-02")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loadRefs(t, db, w)
		svc := estate.NewService(db)
		svc.Today = func(time.Time) sec.Date { return day }
		imp := func(recs [][]string) (estate.ImportResult, error) {
			return svc.ImportDevices(ctx, sys, csvFile(estate.DeviceHeader, recs), estate.ImportOptions{})
		}
		if _, err := imp(w.devices); err != nil {
			t.Fatal(err)
		}
		// The Device on line 2 moves to another MAP (to one it does not have).
		recs := clone(w.devices)
		oldMAP := recs[0][8]
		newMAP := mapCodes[0]
		if strings.EqualFold(newMAP, oldMAP) {
			newMAP = mapCodes[1]
		}
		recs[0][8] = newMAP
		id, err := estate.ParseDeviceID(recs[0][0])
		if err != nil {
			t.Fatal(err)
		}
		portfolio := func() map[string]int64 {
			return groups(t, db, "SELECT supplier_id, model_id, firmware_id, map_id, devices FROM portfolio")
		}
		before := portfolio()

		// With a bad row elsewhere in the file: nothing changes.
		bad := clone(recs)
		bad[len(bad)-1][6] = "NO-SUCH-SUPPLIER"
		if _, err := imp(bad); err == nil {
			t.Fatal("a file with a bad row was imported")
		} else if _, ps := problems(t, err); len(ps) != 1 || !strings.HasSuffix(ps[0], " supplier") {
			t.Fatalf("problems %v, want the one bad supplier", ps)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM map_periods"); n != 0 {
			t.Fatalf("%d MAP periods after a refused file", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices WHERE map_since IS NOT NULL"); n != 0 {
			t.Fatalf("%d Devices with a MAP change after a refused file", n)
		}
		if got := portfolio(); !maps.Equal(got, before) {
			t.Fatalf("a refused file changed the portfolio")
		}

		// The good file records the change.
		res, err := imp(recs)
		if err != nil {
			t.Fatal(err)
		}
		n := int64(len(recs))
		if res.Rows != n || res.Created != 0 || res.MAPChanged != 1 || res.Unchanged != n-1 {
			t.Fatalf("result %+v, want 1 MAP changed and %d unchanged", res, n-1)
		}
		var oldID int64
		if oldMAP != "" {
			oldID = orgID(t, db, oldMAP)
		}
		newID := orgID(t, db, newMAP)
		if got := count(t, db, `SELECT COUNT(*) FROM map_periods WHERE device_id = $1 AND "end" = $2 AND COALESCE(map_id, 0) = $3`,
			id.Int64(), day, oldID); got != 1 {
			t.Fatalf("%d closed MAP periods of %s ending %s with the old MAP, want 1", got, id, day)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM map_periods"); got != 1 {
			t.Fatalf("%d MAP periods, want 1", got)
		}
		for d, want := range map[sec.Date]int64{day.AddDays(-1): oldID, day: newID, day.AddDays(30): newID} {
			got, err := estate.MAPOn(ctx, db, id, d)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("MAP on %s: %d, want %d", d, got, want)
			}
		}
		checkAggregates(t, db)
		rep, err := svc.Verify(ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Fatalf("verify: %+v", rep)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'device.map'"); got != 1 {
			t.Fatalf("%d device.map audit records, want 1", got)
		}

		// The same file again changes nothing; moving the Device back on
		// the day its current MAP began is refused, naming the line.
		if res, err := imp(recs); err != nil || res.MAPChanged != 0 || res.Unchanged != n {
			t.Fatalf("again: %+v %v", res, err)
		}
		if _, err := imp(w.devices); err == nil {
			t.Fatal("a second change of MAP on the same day was recorded")
		} else if _, ps := problems(t, err); len(ps) != 1 || ps[0] != "2 map" {
			t.Fatalf("problems %v, want line 2 map", ps)
		}
		checkAggregates(t, db)
	})
}
