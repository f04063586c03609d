package estate_test

import (
	"context"
	"fmt"
	"github.com/metersec/metersec/internal/access"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// indexed reports whether devices still has its by-supplier index: making
// it again fails when it is there.
func indexed(t *testing.T, db *store.DB) bool {
	t.Helper()
	_, err := db.Writer().Exec("CREATE INDEX devices_by_supplier ON devices (supplier_id)")
	if err == nil {
		t.Error("devices_by_supplier was missing")
		return false
	}
	return true
}

// TestFirstLoadOfAnEmptyEstate: into an empty estate the import sorts the
// file in runs (here of 97 rows, so several spill and merge) and counts the
// SMETS1 enrolments in runs of 13 groups, writes
// devices straight and builds its indexes after; the Devices, the
// aggregates and the audit record are those of any import, and importing
// the file again (the populated path) changes nothing.
func TestFirstLoadOfAnEmptyEstate(t *testing.T) {
	defer estate.SetSortRun(97)()
	defer estate.SetCountRun(13)()
	w := genWorld(t, 1000)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		res, err := importDevices(t, db, sys, w.devices)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != int64(len(w.devices)) || res.Created != res.Rows || res.Unchanged != 0 {
			t.Errorf("result %+v for %d rows", res, len(w.devices))
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices"); n != int64(len(w.devices)) {
			t.Errorf("%d Devices, want %d", n, len(w.devices))
		}
		checkAggregates(t, db)
		rep, err := estate.NewService(db).Verify(context.Background(), access.SystemCaller("test"))
		if err != nil || !rep.OK() || rep.Devices != res.Created {
			t.Errorf("verify: %+v %v", rep, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'estate.import_devices'"); n != 1 {
			t.Errorf("%d audit records", n)
		}
		indexed(t, db)
		// A Device's values as the file gives them.
		rec := w.devices[len(w.devices)/2]
		id, _ := estate.ParseDeviceID(rec[0])
		dev, err := estate.NewService(db).Device(context.Background(), sys, id)
		if err != nil || string(dev.Premises) != rec[9] || dev.SupplyStart.String() != rec[7] {
			t.Errorf("Device %s: %+v %v, want the file's %v", rec[0], dev, err, rec)
		}
		again, err := importDevices(t, db, sys, w.devices)
		if err != nil || again.Created != 0 || again.Unchanged != again.Rows {
			t.Errorf("again: %+v %v", again, err)
		}
		checkAggregates(t, db)
	})
}

// TestFirstLoadAllOrNothing: a bad row or a Device twice, at the very end
// of the file, leaves the empty estate empty, with its indexes, no
// aggregates and no audit record, and the error names the line.
func TestFirstLoadAllOrNothing(t *testing.T) {
	defer estate.SetSortRun(97)()
	w := genWorld(t, 500)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		n := len(w.devices)
		badModel := clone(w.devices)
		badModel[n-1][4] = "NO-SUCH-MODEL"
		twice := append(clone(w.devices), clone(w.devices[1:2])...)
		for _, tc := range []struct {
			name string
			recs [][]string
			want string
		}{
			{"a bad model on the last line", badModel, fmt.Sprintf("%d model", n+1)},
			{"the second row again at the end", twice, fmt.Sprintf("%d device_id %q: the Device is also on line 3", n+2, w.devices[1][0])},
		} {
			_, err := importDevices(t, db, sys, tc.recs)
			e, _ := problems(t, err)
			var msgs []string
			for _, f := range e.Fields {
				msgs = append(msgs, fmt.Sprintf("%d %s %s", f.Line, f.Field, f.Message))
			}
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], tc.want) {
				t.Errorf("%s: problems %v, want %q", tc.name, msgs, tc.want)
			}
			for _, table := range []string{"devices", "portfolio", "portfolio_enrolled"} {
				if k := count(t, db, "SELECT COUNT(*) FROM "+table); k != 0 {
					t.Errorf("%s: %d rows in %s", tc.name, k, table)
				}
			}
			if k := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'estate.import_devices'"); k != 0 {
				t.Errorf("%s: %d audit records", tc.name, k)
			}
			indexed(t, db)
		}
	})
}
