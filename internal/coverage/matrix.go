package coverage

import (
	"cmp"
	"slices"

	"github.com/metersec/metersec/internal/sec"
)

// Matrix is the SSC's view of coverage: Suppliers down, manufacturers
// across, Device counts by status in each cell.
type Matrix struct {
	Date       sec.Date    `json:"date"`
	SECVersion sec.Version `json:"sec_version"`
	// Source and Basis say where the Devices were counted from, as in Report.
	Source        string `json:"source"`
	Basis         string `json:"basis"`
	Suppliers     []Org  `json:"suppliers"`
	Manufacturers []Org  `json:"manufacturers"`
	// Cells[i][j] is Supplier i's Devices of manufacturer j.
	Cells [][]Counts `json:"cells"`
	// Totals per Supplier and per manufacturer.
	SupplierTotals     []Counts `json:"supplier_totals"`
	ManufacturerTotals []Counts `json:"manufacturer_totals"`
}

// MatrixOf folds a report into the Supplier × manufacturer matrix.
func MatrixOf(rep Report) Matrix {
	m := Matrix{Date: rep.Date, SECVersion: rep.SECVersion, Source: rep.Source, Basis: rep.Basis}
	mfrIndex := map[int64]int{}
	mfrs := map[int64]Org{}
	for _, sc := range rep.Suppliers {
		for _, list := range sc.Lists() {
			for _, mc := range list {
				mfrs[mc.mfrID] = mc.Manufacturer
			}
		}
	}
	for _, o := range mfrs {
		m.Manufacturers = append(m.Manufacturers, o)
	}
	slices.SortFunc(m.Manufacturers, func(a, b Org) int { return cmp.Compare(a.Code, b.Code) })
	for j, o := range m.Manufacturers {
		mfrIndex[o.ID] = j
	}
	m.ManufacturerTotals = make([]Counts, len(m.Manufacturers))
	for _, sc := range rep.Suppliers {
		m.Suppliers = append(m.Suppliers, sc.Supplier)
		row := make([]Counts, len(m.Manufacturers))
		for _, list := range sc.Lists() {
			for _, mc := range list {
				j := mfrIndex[mc.mfrID]
				row[j].plus(mc.Counts)
				m.ManufacturerTotals[j].plus(mc.Counts)
			}
		}
		m.Cells = append(m.Cells, row)
		m.SupplierTotals = append(m.SupplierTotals, sc.Totals)
	}
	return m
}
