package coverage

import (
	"testing"
)

func TestByStatusAndOnlyManufacturer(t *testing.T) {
	m := func(mfr, model string, parts ...PartView) ModelCoverage {
		mc := ModelCoverage{Manufacturer: Org{Code: mfr}, Model: ModelInfo{Code: model}, Parts: parts}
		for _, p := range parts {
			mc.Counts.add(p.Status, p.Devices)
			if mc.Status == "" || worse(p.Status, mc.Status) {
				mc.Status = p.Status
			}
		}
		return mc
	}
	sc := SupplierCoverage{Supplier: Org{Code: "SUPA"},
		Models: []ModelCoverage{
			m("MANB", "N1", PartView{Status: Gap, Devices: 10}, PartView{Status: Covered, Devices: 990, Route: RouteDirect}),
			m("MANA", "M1", PartView{Status: Covered, Devices: 5}),
		},
		DCC: []ModelCoverage{m("MANA", "H1", PartView{Status: DCC, Devices: 7})},
	}
	by := sc.ByStatus()
	if g := by[Gap]; len(g) != 1 || g[0].Counts.Devices != 10 || len(g[0].Parts) != 1 || g[0].Parts[0].Status != Gap {
		t.Errorf("gaps: %+v", g)
	}
	if c := by[Covered]; len(c) != 2 || c[0].Model.Code != "M1" || c[1].Model.Code != "N1" || c[1].Counts.Covered != 990 || c[1].Counts.Devices != 990 {
		t.Errorf("covered: %+v", c)
	}
	if d := by[DCC]; len(d) != 1 || d[0].Counts.DCC != 7 {
		t.Errorf("DCC: %+v", d)
	}

	only := OnlyManufacturer([]SupplierCoverage{sc}, " mana ")
	if len(only) != 1 || len(only[0].Models) != 1 || only[0].Models[0].Model.Code != "M1" || len(only[0].DCC) != 1 ||
		only[0].Totals.Devices != 12 || only[0].Totals.Covered != 5 || only[0].Totals.DCC != 7 || only[0].Supplier.Code != "SUPA" {
		t.Errorf("only MANA: %+v", only)
	}
	if none := OnlyManufacturer([]SupplierCoverage{sc}, "NOPE"); none[0].Totals.Devices != 0 || len(none[0].Models) != 0 {
		t.Errorf("an unknown manufacturer: %+v", none)
	}
}
