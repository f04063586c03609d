package coverage

import (
	"cmp"
	"slices"
	"strings"
)

// OnlyManufacturer keeps, of each Supplier's coverage, the models of one
// manufacturer (by organisation code), with the Supplier's totals counted
// again over them: the heat map's cell, a Supplier × manufacturer, as a
// report. An unknown code leaves every Supplier with nothing, the same
// answer as a manufacturer whose Devices the Supplier does not operate.
func OnlyManufacturer(sups []SupplierCoverage, code string) []SupplierCoverage {
	code = strings.ToUpper(strings.TrimSpace(code))
	out := make([]SupplierCoverage, len(sups))
	for i, sc := range sups {
		keep := func(list []ModelCoverage) []ModelCoverage {
			var kept []ModelCoverage
			for _, mc := range list {
				if mc.Manufacturer.Code == code {
					kept = append(kept, mc)
				}
			}
			return kept
		}
		f := SupplierCoverage{Supplier: sc.Supplier, UserSystems: sc.UserSystems,
			Models: keep(sc.Models), DCC: keep(sc.DCC), Exempt: keep(sc.Exempt), DP087: keep(sc.DP087)}
		for _, list := range f.Lists() {
			for _, mc := range list {
				f.Totals.plus(mc.Counts)
			}
		}
		out[i] = f
	}
	return out
}

// ByStatus splits a Supplier's models by the status of each share of their
// Devices, so that a list under one status holds only Devices with that
// status: a model with 990 Devices covered and 10 in a gap is under Gap with
// its 10 and under Covered with its 990, never under Gap with all 1,000.
// Each list is in manufacturer and model order; a model's counts in it are
// those of its Devices with the list's status.
func (sc SupplierCoverage) ByStatus() map[Status][]ModelCoverage {
	out := map[Status][]ModelCoverage{}
	for _, list := range sc.Lists() {
		for _, mc := range list {
			var order []Status
			parts := map[Status][]PartView{}
			for _, p := range mc.Parts {
				if _, ok := parts[p.Status]; !ok {
					order = append(order, p.Status)
				}
				parts[p.Status] = append(parts[p.Status], p)
			}
			for _, st := range order {
				one := mc
				one.Status = st
				one.Parts = parts[st]
				one.Counts = Counts{}
				for _, p := range one.Parts {
					one.Counts.add(st, p.Devices)
				}
				out[st] = append(out[st], one)
			}
		}
	}
	for _, list := range out {
		slices.SortStableFunc(list, func(a, b ModelCoverage) int {
			return cmp.Or(cmp.Compare(a.Manufacturer.Code, b.Manufacturer.Code), cmp.Compare(a.Model.Code, b.Model.Code))
		})
	}
	return out
}

// ModelID is the model's id: a stable tie-breaker when a list of models is
// paged.
func (mc ModelCoverage) ModelID() int64 { return mc.modelID }
