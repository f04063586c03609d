package estate

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Another area (triage) moves Devices in its own transaction: the portfolio
// stays exact, a refused move writes nothing, and the firmware history grows.
func TestSetStatusesIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sys := access.SystemCaller("triage")
		unknown := DeviceID(0x0BADBADBADBADBAD)
		err := db.Write(f.ctx, sys, func(tx *store.Tx) error {
			held, err := HeldDevices(f.ctx, tx, []DeviceID{d1, d4, d5, unknown})
			if err != nil {
				return err
			}
			if len(held) != 3 || held[d1].SupplierID != f.orgs["SUPA"] || held[d4].Status != Removed {
				t.Errorf("held = %+v", held)
			}
			return SetStatusesIn(f.ctx, tx, []Held{held[d1], held[d4], held[d5]}, InTriage)
		})
		if err != nil {
			t.Fatal(err)
		}
		if g, ig := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.inheritedGroup("SUPA", "MFA/E1", "MAPA", "2024-03-01"); g != 0 || ig != 0 {
			t.Errorf("in triage: group %d inherited %d, want 0 and 0", g, ig)
		}
		f.verifyOK()

		// d2 is installed, d1 in triage already: nothing moves.
		err = db.Write(f.ctx, sys, func(tx *store.Tx) error {
			held, err := HeldDevices(f.ctx, tx, []DeviceID{d1, d2})
			if err != nil {
				return err
			}
			return SetStatusesIn(f.ctx, tx, []Held{held[d2], held[d1]}, InTriage)
		})
		if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "already in_triage") {
			t.Fatalf("err = %v", err)
		}
		if d, _ := f.svc.Device(f.ctx, sys, d2); d.Status != Installed {
			t.Errorf("d2 moved although the call failed: %s", d.Status)
		}

		// Released back to installed, with new firmware on the way.
		err = db.Write(f.ctx, sys, func(tx *store.Tx) error {
			if _, err := f.svc.UpgradeFirmwareIn(f.ctx, tx, d1, "1.1", sec.MustParseDate("2025-06-15")); err != nil {
				return err
			}
			held, err := HeldDevices(f.ctx, tx, []DeviceID{d1})
			if err != nil {
				return err
			}
			return SetStatusesIn(f.ctx, tx, []Held{held[d1]}, Installed)
		})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := f.svc.Device(f.ctx, sys, d1)
		if d.Status != Installed || d.Firmware != "1.1" || len(d.FirmwareHistory) != 2 {
			t.Errorf("d1 after triage: %+v", d)
		}
		if g := f.group("SUPA", "MFA/E1", "1.1", "MAPA"); g != 1 {
			t.Errorf("group on the new firmware: %d", g)
		}
		f.verifyOK()
		err = db.Write(f.ctx, sys, func(tx *store.Tx) error {
			_, err := f.svc.UpgradeFirmwareIn(f.ctx, tx, unknown, "1.1", sec.Date{})
			return err
		})
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "not in the estate") {
			t.Errorf("unknown Device: %v", err)
		}
	})
}
