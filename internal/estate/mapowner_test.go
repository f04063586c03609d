package estate

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestChangeMAP (issue 13 point 8): a change of MAP closes the owner's period
// and opens the next, like a change of supplier; the portfolio groups move
// with it and MAPOn answers the owner of any day. Seeds/000: Suppliers
// arrange to be notified "either directly or via Meter Asset Providers
// (MAPs)", so which MAP owned a Device on a day decides its chain that day.
func TestChangeMAP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		supA := f.callers["SUPA"]
		d, err := f.svc.ChangeMAP(f.ctx, supA, MAPChange{DeviceID: d1, NewMAP: "", Effective: sec.MustParseDate("2025-01-01")})
		if err != nil {
			t.Fatal(err)
		}
		want := []MAPPeriod{{MAP: "", Start: sec.MustParseDate("2025-01-01")},
			{MAP: "MAPA", Start: sec.MustParseDate("2018-05-01"), End: sec.MustParseDate("2025-01-01")}}
		if d.MAP != "" || len(d.MAPHistory) != 2 || d.MAPHistory[0] != want[0] || d.MAPHistory[1] != want[1] {
			t.Errorf("after the change: MAP %q history %+v, want %+v", d.MAP, d.MAPHistory, want)
		}
		// d5 stays with MAPA; d1 moved to the no-MAP group, inherited too.
		if g, n := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.group("SUPA", "MFA/E1", "1.0", ""); g != 1 || n != 1 {
			t.Errorf("groups MAPA %d, none %d; want 1 and 1", g, n)
		}
		if g := f.inheritedGroup("SUPA", "MFA/E1", "", "2024-03-01"); g != 1 {
			t.Errorf("inherited group without MAP %d, want 1", g)
		}
		f.verifyOK()
		// Back to MAPA from 1 March, by the SSC.
		if _, err := f.svc.ChangeMAP(f.ctx, f.callers["SSC"], MAPChange{DeviceID: d1, NewMAP: "mapa", Effective: sec.MustParseDate("2025-03-01")}); err != nil {
			t.Fatal(err)
		}
		f.verifyOK()
		if n := f.audits(d1, "device.map"); n != 2 {
			t.Errorf("%d audit records, want 2", n)
		}
		// The owner of each day, on each side of both changes; before the
		// history begins, the first owner.
		for day, owner := range map[string]string{"2010-01-01": "MAPA", "2024-12-31": "MAPA", "2025-01-01": "", "2025-02-28": "", "2025-03-01": "MAPA", "2025-06-15": "MAPA"} {
			id, err := MAPOn(f.ctx, db, d1, sec.MustParseDate(day))
			if err != nil {
				t.Fatal(err)
			}
			if want := f.orgs[owner]; id != want {
				t.Errorf("MAP on %s: %d, want %s (%d)", day, id, owner, want)
			}
		}
		// The estate as at a day counts d1 with that day's MAP (and, with
		// d5, inside a window from 2024-01-01: both inherited 2024-03-01).
		for day, want := range map[string][2]int64{"2025-02-01": {1, 1}, "2025-03-01": {0, 2}} {
			cells, err := CellsAt(f.ctx, db, AsAt{Day: sec.MustParseDate(day), WindowFrom: sec.MustParseDate("2024-01-01"), Supplier: f.orgs["SUPA"]})
			if err != nil {
				t.Fatal(err)
			}
			var got [2]int64
			for _, c := range cells {
				if c.Model != f.models["MFA/E1"] || c.InWindow != c.Devices {
					t.Errorf("%s: %+v", day, c)
				}
				switch c.MAP {
				case 0:
					got[0] += c.Devices
				case f.orgs["MAPA"]:
					got[1] += c.Devices
				}
			}
			if got != want {
				t.Errorf("%s: E1 Devices with no MAP and with MAPA %v, want %v", day, got, want)
			}
		}
		// The day before d1 and d5 were inherited, SUPA had neither (d1
		// was SUPB's; d4, SUPA's since 2019, is removed today).
		if cells, err := CellsAt(f.ctx, db, AsAt{Day: sec.MustParseDate("2024-02-29"), WindowFrom: sec.MustParseDate("2024-01-01"), Supplier: f.orgs["SUPA"]}); err != nil || len(cells) != 0 {
			t.Errorf("2024-02-29: %+v %v", cells, err)
		}

		// Refusals.
		for _, tt := range []struct {
			name, who, mapCode, day string
			code                    errs.Code
			says                    string
		}{
			{"the same MAP", "SUPA", "MAPA", "2025-07-01", errs.Conflict, "already owned by MAPA"},
			{"not after the current start", "SUPA", "", "2025-03-01", errs.Invalid, "not after 2025-03-01"},
			{"no such organisation", "SUPA", "NOPE", "2025-07-01", errs.Invalid, "no such organisation"},
			{"not a MAP", "SUPA", "SUPB", "2025-07-01", errs.Invalid, "not a Meter Asset Provider"},
			{"years ahead", "SUPA", "", "2031-01-01", errs.Invalid, "more than"},
			{"a former Supplier", "SUPB", "", "2025-07-01", errs.NotFound, "no Device with that ID"},
			{"the MAP itself", "MAPA", "", "2025-07-01", errs.Forbidden, "Responsible Supplier"},
			{"the administrator", "OPS", "", "2025-07-01", errs.NotFound, "no Device with that ID"},
		} {
			_, err := f.svc.ChangeMAP(f.ctx, f.callers[tt.who], MAPChange{DeviceID: d1, NewMAP: tt.mapCode, Effective: sec.MustParseDate(tt.day)})
			if !errs.Is(err, tt.code) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%s: err = %v, want %s saying %q", tt.name, err, tt.code, tt.says)
			}
		}
	})
}
