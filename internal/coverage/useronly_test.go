package coverage

import (
	"encoding/json"
	"testing"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestNonSupplierArrangementsIgnored: a Network Party or Other User may now
// record an arrangement with a manufacturer, for its User Systems
// (G3.20(a)). Device coverage is per Supplier: such an arrangement covers no
// Supplier's Devices, even of the manufacturer's models that are Gaps, and
// the non-Supplier gets no row of its own.
func TestNonSupplierArrangementsIgnored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		day := sec.MustParseDate("2025-06-15")
		report := func() []byte {
			t.Helper()
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: day})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		before := report()
		// The estate has gaps for the non-Suppliers' arrangements to fill
		// if they were wrongly counted.
		var gaps int64
		for _, sc := range mustCompute(t, f, day).Suppliers {
			for _, list := range sc.Lists() {
				for _, mc := range list {
					gaps += mc.Counts.Gap
				}
			}
		}
		if gaps == 0 {
			t.Fatal("the hand estate has no gap to test against")
		}
		f.org("NETA", "network_party")
		f.org("OTHA", "other_user")
		for _, u := range []string{"NETA", "OTHA"} {
			for _, m := range []string{"MFA", "MFB", "MFC"} {
				f.arrange(arrangement.Input{Reference: u + "-" + m, Kind: "supplier_manufacturer", Supplier: u, Manufacturer: m, AllModels: true,
					Materiality: "CVSS 7.0 or above", Signed: "2024-01-01", Effective: "2024-01-01"})
			}
		}
		if after := report(); string(after) != string(before) {
			t.Errorf("non-Suppliers' arrangements changed Device coverage:\nbefore %s\nafter  %s", before, after)
		}
		for _, sc := range mustCompute(t, f, day).Suppliers {
			if sc.Supplier.Code == "NETA" || sc.Supplier.Code == "OTHA" {
				t.Errorf("%s has a coverage row", sc.Supplier.Code)
			}
		}
	})
}

func mustCompute(t *testing.T, f *fixture, d sec.Date) Report {
	t.Helper()
	rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: d})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
