package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
)

type matrixData struct {
	Report  coverage.Report
	Matrix  coverage.Matrix
	HeatMap template.HTML
	Date    string
	Totals  coverage.Counts
}

func (s *Server) coveragePage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	if !coverage.SeesEverySupplier(c) {
		if coverage.HasOwnCoverage(c) {
			to := "/coverage/" + url.PathEscape(c.OrgCode)
			if q := r.URL.RawQuery; q != "" {
				to += "?" + q
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
		return s.render(w, r, http.StatusOK, "coverage_none", s.newPage(r, "Coverage", nil))
	}
	rep, err := s.Coverage.Compute(r.Context(), c, coverage.Query{Date: d})
	if err != nil {
		return err
	}
	m := coverage.MatrixOf(rep)
	var tot coverage.Counts
	for _, t := range m.SupplierTotals {
		tot.Devices += t.Devices
		tot.Covered += t.Covered
		tot.Steps += t.Steps
		tot.Gap += t.Gap
		tot.DCC += t.DCC
		tot.Exempt += t.Exempt
		tot.DP087 += t.DP087
		tot.Impracticable += t.Impracticable
	}
	dateQ := ""
	if !d.IsZero() {
		dateQ = d.String()
	}
	return s.render(w, r, http.StatusOK, "coverage_matrix", s.newPage(r, "Coverage",
		matrixData{Report: rep, Matrix: m, HeatMap: heatMap(m, dateQ), Date: dateQ, Totals: tot}))
}

type supplierCoverageData struct {
	Report   coverage.Report
	S        coverage.SupplierCoverage
	Sections []coverageSection
	Months   []coverage.MonthCoverage
	Date     string
	Bar      template.HTML
	IsSSC    bool
}

type coverageSection struct {
	ID, Title, Intro string
	Models           []coverage.ModelCoverage
}

func (s *Server) supplierCoveragePage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Coverage.Compute(r.Context(), c, coverage.Query{Supplier: r.PathValue("supplier"), Date: d})
	if err != nil {
		return err
	}
	org, months, err := s.Coverage.History(r.Context(), c, r.PathValue("supplier"))
	if err != nil {
		return err
	}
	var sc coverage.SupplierCoverage
	if len(rep.Suppliers) == 1 {
		sc = rep.Suppliers[0]
	} else {
		sc.Supplier = org
	}
	var gap, steps, covered, impracticable []coverage.ModelCoverage
	for _, mc := range sc.Models {
		switch mc.Status {
		case coverage.Gap:
			gap = append(gap, mc)
		case coverage.Impracticable:
			impracticable = append(impracticable, mc)
		case coverage.Steps:
			steps = append(steps, mc)
		default:
			covered = append(covered, mc)
		}
	}
	sections := []coverageSection{
		{"gap", "Gaps", "Models with Devices no arrangement covers and no churn window protects. The SSC reports a Supplier to the Panel only where it has no arrangement and makes no effort.", gap},
		{"impracticable", "Not practicable (accepted by the SSC)", "Models of manufacturers with whom the SSC accepted the Supplier's record that an arrangement is not practicable (G3.20: \"wherever it is practicable to do so\"). Neither covered nor reasonable steps, and not a gap. Records pending or rejected change nothing: the gap says so.", impracticable},
		{"steps", "Reasonable steps", "Models under a Letter of Intent or MoU, or with inherited Devices inside the churn window: not yet covered, but accepted as reasonable steps.", steps},
		{"covered", "Covered", "Models covered by a direct contract, by the owning MAP's contracts, or by the manufacturer's SSC scheme enrolment.", covered},
		{"dcc", "The DCC's Devices", "SMETS2+ Communications Hub and Gas Proxy Functions: G3.17(b) and G3.20(b) exclude them; they are the DCC's.", sc.DCC},
		{"dp087", "DP087 gap", "SMETS1 Communications Hub and Gas Proxy Functions: G3.17(b) makes them the Supplier's but G3.20(b) still excludes them, a known defect of the code (DP087), not an exemption. Each says whether the Supplier's arrangements cover them anyway.", sc.DP087},
		{"exempt", "Devices under no G3.20 duty", "Devices no User must arrange notification for under the SEC version in force: the reason is given for each.", sc.Exempt},
	}
	dateQ := ""
	if !d.IsZero() {
		dateQ = d.String()
	}
	return s.render(w, r, http.StatusOK, "coverage", s.newPage(r, "Coverage of "+sc.Supplier.Code, supplierCoverageData{
		Report: rep, S: sc, Sections: sections, Months: months, Date: dateQ, Bar: statusBar(sc.Totals), IsSSC: coverage.SeesEverySupplier(c)}))
}

// The heat map's colour scale: the share of obligated Devices covered.
var heatScale = []struct {
	min        int64
	fill, text string
	label      string
}{
	{100, "#1e7a34", "#ffffff", "100% covered"},
	{90, "#7fbf7b", "#1b1f24", "90–99%"},
	{75, "#fee08b", "#1b1f24", "75–89%"},
	{50, "#fc8d59", "#1b1f24", "50–74%"},
	{0, "#b3261e", "#ffffff", "under 50%"},
}

func heatColour(c coverage.Counts) (string, string) {
	if c.Obligated() == 0 {
		return "#eceff2", "#5b6470"
	}
	p := c.CoveredPercent()
	if p == 100 && c.Covered < c.Obligated() {
		p = 99 // never show a cell with any gap as fully covered
	}
	for _, h := range heatScale {
		if p >= h.min {
			return h.fill, h.text
		}
	}
	return heatScale[len(heatScale)-1].fill, heatScale[len(heatScale)-1].text
}

// heatMap draws the Supplier × manufacturer matrix as an SVG: one cell per
// pair, coloured by the share of obligated Devices covered, each a link to
// the Supplier's page with its numbers in a title and an aria-label, so it
// reads by keyboard and screen reader; the page also carries the same numbers
// as a table.
func heatMap(m coverage.Matrix, date string) template.HTML {
	const cw, ch, left, top, legendH = 52, 30, 90, 70, 40
	// Wide enough for the cells and for the legend under them.
	width := max(left+cw*len(m.Manufacturers)+20, left+110*len(heatScale)+140)
	height := top + ch*len(m.Suppliers) + legendH + 20
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" aria-labelledby="hm-title hm-desc" class="heatmap">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<title id="hm-title">G3.20 coverage by Supplier and manufacturer on %s</title>`, esc(m.Date.String()))
	b.WriteString(`<desc id="hm-desc">Each cell is a Supplier's Devices of one manufacturer, coloured by the share of Devices the Supplier carries G3.20 for that are covered. Grey: none to cover (all the DCC's or under no duty). Each cell links to the Supplier's coverage.</desc>`)
	for j, mf := range m.Manufacturers {
		x := left + j*cw + cw/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(-45 %d %d)" font-size="12" text-anchor="start">%s</text>`, x, top-8, x, top-8, esc(mf.Code))
	}
	q := ""
	if date != "" {
		q = "?date=" + url.QueryEscape(date)
	}
	for i, sp := range m.Suppliers {
		y := top + i*ch
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, left-8, y+ch/2+4, esc(sp.Code))
		for j, mf := range m.Manufacturers {
			c := m.Cells[i][j]
			x := left + j*cw
			if c.Devices == 0 {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff" stroke="#d6dbe1"/>`, x, y, cw, ch)
				continue
			}
			fill, ink := heatColour(c)
			label := fmt.Sprintf("%s × %s: %d Devices; %d covered, %d reasonable steps, %d gap, %d the DCC's, %d in the DP087 gap, %d no duty",
				sp.Code, mf.Code, c.Devices, c.Covered, c.Steps, c.Gap, c.DCC, c.DP087, c.Exempt)
			text := "—"
			if c.Obligated() > 0 {
				p := c.CoveredPercent()
				if p == 100 && c.Covered < c.Obligated() {
					p = 99
				}
				text = fmt.Sprintf("%d%%", p)
			}
			fmt.Fprintf(&b, `<a href="/coverage/%s%s" aria-label="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff"/><text x="%d" y="%d" font-size="11" text-anchor="middle" fill="%s">%s</text></a>`,
				esc(url.PathEscape(sp.Code)), esc(q), esc(label), esc(label), x, y, cw, ch, fill, x+cw/2, y+ch/2+4, ink, esc(text))
		}
	}
	ly := top + ch*len(m.Suppliers) + 20
	lx := left
	for _, h := range heatScale {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`, lx, ly, h.fill, lx+18, ly+11, esc(h.label))
		lx += 110
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="#eceff2"/><text x="%d" y="%d" font-size="11">nothing to cover</text>`, lx, ly, lx+18, ly+11)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// statusBar draws a Supplier's Devices by status as one stacked bar.
func statusBar(t coverage.Counts) template.HTML {
	if t.Devices == 0 {
		return ""
	}
	const w, h = 600, 24
	parts := []struct {
		n          int64
		fill, name string
	}{
		{t.Covered, "#1e7a34", "covered"}, {t.Steps, "#a35a00", "reasonable steps"}, {t.Gap, "#b3261e", "gap"},
		{t.DCC, "#5b6470", "the DCC's"}, {t.DP087, "#7a4fa3", "DP087 gap"}, {t.Exempt, "#d6dbe1", "no duty"},
	}
	var b strings.Builder
	var desc []string
	for _, p := range parts {
		desc = append(desc, fmt.Sprintf("%d %s", p.n, p.name))
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString("Devices: "+strings.Join(desc, ", ")))
	x := 0.0
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		pw := float64(w) * float64(p.n) / float64(t.Devices)
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="%d" fill="%s"><title>%d %s</title></rect>`, x, pw, h, p.fill, p.n, p.name)
		x += pw
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
