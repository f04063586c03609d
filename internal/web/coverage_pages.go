package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
)

type matrixData struct {
	Report  coverage.Report
	Matrix  coverage.Matrix
	HeatMap template.HTML
	Date    string
	Totals  coverage.Counts
	Key     []keyEntry
	Rows    []matrixRow
	// CSV exports with the page's filters.
	MatrixCSV, CoverageCSV string
}

// keyEntry is one band of the heat map's key, with how many cells it has.
type keyEntry struct {
	Swatch template.HTML
	Label  string
	Cells  int
}

// matrixRow is a Supplier's row of the heat map as a table.
type matrixRow struct {
	Supplier coverage.Org
	Link     string
	Cells    []matrixCell
}

type matrixCell struct {
	Text, Link, Band string
	Gap              int64
}

// exportLink is an API export with a page's filters.
func exportLink(path string, v url.Values) string {
	v.Set("format", "csv")
	return path + "?" + v.Encode()
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
	data := matrixData{Report: rep, Matrix: m, HeatMap: heatMap(m, dateQ), Date: dateQ, Totals: tot}
	count := map[string]int{}
	for i, sp := range m.Suppliers {
		row := matrixRow{Supplier: sp, Link: cellLink(sp.Code, "", dateQ)}
		for j, mf := range m.Manufacturers {
			c := m.Cells[i][j]
			band := heatBandOf(c)
			count[band.Name]++
			cell := matrixCell{Band: band.Name, Gap: c.Gap}
			if band != bandNoDevs {
				cell.Text, cell.Link = heatText(c), cellLink(sp.Code, mf.Code, dateQ)
			}
			row.Cells = append(row.Cells, cell)
		}
		data.Rows = append(data.Rows, row)
	}
	for _, b := range heatKey {
		data.Key = append(data.Key, keyEntry{Swatch: heatSwatch(b), Label: b.Label, Cells: count[b.Name]})
	}
	v := url.Values{}
	if dateQ != "" {
		v.Set("date", dateQ)
	}
	data.MatrixCSV = exportLink("/api/v1/coverage/matrix", v)
	data.CoverageCSV = exportLink("/api/v1/coverage", url.Values{"date": v["date"]})
	return s.render(w, r, http.StatusOK, "coverage_matrix", s.newPage(r, "Coverage", data))
}

type supplierCoverageData struct {
	Report   coverage.Report
	S        coverage.SupplierCoverage
	Sections []coverageSection
	// Current is the section shown (?status=, Gaps by default), one page
	// of it at a time.
	Current *coverageSection
	Pager   coveragePager
	Q       string
	Months  []coverage.MonthCoverage
	Date    string
	Bar     template.HTML
	IsSSC   bool
	// Manufacturer is the filter (a heat map cell): its code, or "".
	Manufacturer  string
	Manufacturers []coverage.Org
	CSV           string
}

type coverageSection struct {
	ID, Title, Intro string
	Swatch           template.HTML
	Devices          int64
	// Count is the models with Devices of this status; Link shows them.
	Count   int
	Link    string
	Current bool
	// Models are the page of rows shown, for the current section only.
	Models []coverageModelRow
}

// statusColours are the statuses' colours in the bar and its legend.
var statusColours = map[coverage.Status]string{
	coverage.Covered: "#1e7a34", coverage.Steps: "#a35a00", coverage.Gap: "#b3261e", coverage.Impracticable: "#2c6e8f",
	coverage.DCC: "#5b6470", coverage.DP087Gap: "#7a4fa3", coverage.Exempt: "#d6dbe1",
}

func (s *Server) supplierCoveragePage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	mfr := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("manufacturer")))
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
	// The manufacturers the Supplier operates, for the filter's choices;
	// then the filter itself (a heat map cell).
	seen := map[string]bool{}
	var mfrs []coverage.Org
	for _, list := range sc.Lists() {
		for _, mc := range list {
			if !seen[mc.Manufacturer.Code] {
				seen[mc.Manufacturer.Code] = true
				mfrs = append(mfrs, mc.Manufacturer)
			}
		}
	}
	slices.SortFunc(mfrs, func(a, b coverage.Org) int { return strings.Compare(a.Code, b.Code) })
	if mfr != "" {
		sc = coverage.OnlyManufacturer([]coverage.SupplierCoverage{sc}, mfr)[0]
	}
	by := sc.ByStatus()
	sections := []coverageSection{
		{ID: "gap", Title: "Gaps", Intro: "Devices no arrangement covers and no churn window protects; only these. The SSC reports a Supplier to the Panel only where it has no arrangement and makes no effort."},
		{ID: "impracticable", Title: "Not practicable (accepted by the SSC)", Intro: "Devices of manufacturers with whom the SSC accepted the Supplier's record that an arrangement is not practicable (G3.20: \"wherever it is practicable to do so\"). Neither covered nor reasonable steps, and not a gap. Records pending or rejected change nothing: the gap says so."},
		{ID: "steps", Title: "Reasonable steps", Intro: "Devices under a Letter of Intent or MoU, or inherited Devices inside the churn window: not yet covered, but accepted as reasonable steps."},
		{ID: "covered", Title: "Covered", Intro: "Devices covered by a direct contract, by the owning MAP's contracts, or by the manufacturer's SSC scheme enrolment."},
		{ID: "dcc", Title: "The DCC's Devices", Intro: "SMETS2+ Communications Hub and Gas Proxy Functions: G3.17(b) and G3.20(b) exclude them; they are the DCC's."},
		{ID: "dp087", Title: "DP087 gap", Intro: "SMETS1 Communications Hub and Gas Proxy Functions: G3.17(b) makes them the Supplier's but G3.20(b) still excludes them, a known defect of the code (DP087), not an exemption. Each says whether the Supplier's arrangements cover them anyway."},
		{ID: "exempt", Title: "Devices under no G3.20 duty", Intro: "Devices no User must arrange notification for under the SEC version in force: the reason is given for each."},
	}
	statusOf := map[string]coverage.Status{"gap": coverage.Gap, "impracticable": coverage.Impracticable, "steps": coverage.Steps,
		"covered": coverage.Covered, "dcc": coverage.DCC, "dp087": coverage.DP087Gap, "exempt": coverage.Exempt}
	qv := r.URL.Query()
	// The worst status with Devices, unless the query names one: Gaps
	// first; a Supplier × manufacturer with no gap opens on what it has.
	show := qv.Get("status")
	for i := 0; show == "" && i < len(sections); i++ {
		if len(by[statusOf[sections[i].ID]]) > 0 {
			show = sections[i].ID
		}
	}
	if show == "" {
		show = "gap"
	}
	if _, ok := statusOf[show]; !ok {
		return errs.FieldError("status", "must be one of gap, impracticable, steps, covered, dcc, dp087 or exempt")
	}
	text := strings.ToLower(strings.TrimSpace(qv.Get("q")))
	dateQ := ""
	if !d.IsZero() {
		dateQ = d.String()
	}
	keep := url.Values{}
	for _, k := range []string{"date", "manufacturer", "q"} {
		if v := strings.TrimSpace(qv.Get(k)); v != "" {
			keep.Set(k, v)
		}
	}
	base := "/coverage/" + url.PathEscape(sc.Supplier.Code)
	link := func(set url.Values) string {
		u := url.Values{}
		for k, v := range keep {
			u[k] = v
		}
		for k, v := range set {
			u[k] = v
		}
		if len(u) == 0 {
			return base
		}
		return base + "?" + u.Encode()
	}
	var current *coverageSection
	for i := range sections {
		sn := &sections[i]
		st := statusOf[sn.ID]
		sn.Swatch = heatSwatch(heatBand{Fill: statusColours[st]})
		sn.Link = link(url.Values{"status": {sn.ID}})
		for _, mc := range by[st] {
			sn.Devices += mc.Counts.Devices
			sn.Count++
		}
		if sn.ID == show {
			sn.Current = true
			current = sn
		}
	}
	var rows []coverage.ModelCoverage
	for _, mc := range by[statusOf[show]] {
		if text == "" || strings.Contains(strings.ToLower(mc.Manufacturer.Code+"/"+mc.Model.Code+" "+mc.Model.Name), text) {
			rows = append(rows, mc)
		}
	}
	pg, err := pageCoverageRows(rows, qv.Get("sort"), qv.Get("cursor"), qv.Get("limit"))
	if err != nil {
		return err
	}
	current.Models = modelRows(pg.Rows)
	pager := coveragePager{Total: pg.Total, Shown: len(pg.Rows), Limit: pg.Limit}
	keep.Set("status", show)
	if qv.Get("limit") != "" {
		keep.Set("limit", qv.Get("limit"))
	}
	for _, sortName := range []string{"model", "devices"} {
		h := coverageHeader{Aria: "none", Href: link(url.Values{"sort": {sortName}})}
		switch pg.Sort {
		case sortName:
			h.Aria, h.Href = "ascending", link(url.Values{"sort": {"-" + sortName}})
		case "-" + sortName:
			h.Aria = "descending"
		}
		pager.Headers = append(pager.Headers, h)
	}
	if pg.Sort != coverageDefaultSort {
		keep.Set("sort", pg.Sort)
	}
	if pg.Next != "" {
		pager.Next = link(url.Values{"cursor": {pg.Next}})
	}
	if pg.Prev != "" {
		pager.Prev = link(url.Values{"cursor": {pg.Prev}})
	}
	pager.Sort = pg.Sort
	v := url.Values{"supplier": {sc.Supplier.Code}}
	if dateQ != "" {
		v.Set("date", dateQ)
	}
	if mfr != "" {
		v.Set("manufacturer", mfr)
	}
	title := "Coverage of " + sc.Supplier.Code
	if mfr != "" {
		title += " × " + mfr
	}
	return s.render(w, r, http.StatusOK, "coverage", s.newPage(r, title, supplierCoverageData{
		Report: rep, S: sc, Sections: sections, Current: current, Pager: pager, Q: qv.Get("q"), Months: months, Date: dateQ,
		Bar: statusBar(sc.Totals), IsSSC: coverage.SeesEverySupplier(c), Manufacturer: mfr, Manufacturers: mfrs, CSV: exportLink("/api/v1/coverage", v)}))
}

// coveragePager is the paging of a Supplier's rows of one status.
type coveragePager struct {
	Total, Shown, Limit int
	Sort                string
	// Headers are the sortable columns: model, then Devices.
	Headers    []coverageHeader
	Next, Prev string
}

type coverageHeader struct {
	Href, Aria string
}

// heatBand is one colour of the heat map and its entry in the key.
type heatBand struct {
	Name, Fill, Ink, Label string
}

// The heat map's colour bands (issue 15 point 5): they separate 0%, under
// 50%, 50–99% and 100% of the obligated Devices covered, with the cells whose
// uncovered rest is all under reasonable steps (no gap) apart, and the cells
// with nothing to cover and those with no Devices in the key too. Each fill
// meets 4.5:1 contrast with its text.
var (
	bandFull   = heatBand{"full", "#1e7a34", "#ffffff", "100% covered"}
	bandSteps  = heatBand{"steps", "#4575b4", "#ffffff", "no gap: the rest under reasonable steps"}
	bandMost   = heatBand{"most", "#a6d96a", "#1b1f24", "50–99% covered, some in a gap"}
	bandSome   = heatBand{"some", "#fdae61", "#1b1f24", "under 50% covered, some in a gap"}
	bandNone   = heatBand{"none", "#b3261e", "#ffffff", "0% covered, some in a gap"}
	bandNoDuty = heatBand{"noduty", "#eceff2", "#1b1f24", "nothing to cover (the DCC's or under no duty)"}
	bandNoDevs = heatBand{"empty", "#ffffff", "#5b6470", "no Devices"}
	heatKey    = []heatBand{bandFull, bandSteps, bandMost, bandSome, bandNone, bandNoDuty, bandNoDevs}
)

// heatBandOf places a cell in its band, from the counts themselves rather
// than the rounded percentage: a cell with one Device in a gap is never
// "100%", one with one Device covered never "0%".
func heatBandOf(c coverage.Counts) heatBand {
	ob := c.Obligated()
	switch {
	case c.Devices == 0:
		return bandNoDevs
	case ob == 0:
		return bandNoDuty
	case c.Covered == ob:
		return bandFull
	case c.Gap == 0:
		// Not all covered, but nothing in a gap: the rest is under
		// reasonable steps (or not practicable, accepted by the SSC).
		return bandSteps
	case c.Covered == 0:
		return bandNone
	case c.Covered*2 < ob:
		return bandSome
	}
	return bandMost
}

// heatText is a cell's percentage covered, never rounded into a band it is
// not in.
func heatText(c coverage.Counts) string {
	ob := c.Obligated()
	if ob == 0 {
		return "—"
	}
	p := c.CoveredPercent()
	switch {
	case p == 100 && c.Covered < ob:
		return "99%"
	case p == 0 && c.Covered > 0:
		return "<1%"
	}
	return fmt.Sprintf("%d%%", p)
}

// heatSwatch is a key entry's colour as a small SVG (the pages' CSP allows
// no inline styles).
func heatSwatch(b heatBand) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg width="16" height="16" aria-hidden="true" focusable="false"><rect x="0.5" y="0.5" width="15" height="15" fill="%s" stroke="#5b6470"/></svg>`, b.Fill))
}

// cellLink is the page of one Supplier × manufacturer: the Supplier's
// coverage filtered to the manufacturer's models.
func cellLink(supplier, manufacturer, date string) string {
	v := url.Values{}
	if manufacturer != "" {
		v.Set("manufacturer", manufacturer)
	}
	if date != "" {
		v.Set("date", date)
	}
	u := "/coverage/" + url.PathEscape(supplier)
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// cellLabel says what a cell holds, naming only the statuses it has Devices
// in: 375 cells of labels with every status named weighed 200 KB.
func cellLabel(supplier, manufacturer string, band heatBand, c coverage.Counts) string {
	var parts []string
	for _, p := range []struct {
		n    int64
		name string
	}{{c.Covered, "covered"}, {c.Steps, "reasonable steps"}, {c.Gap, "gap"}, {c.Impracticable, "not practicable"},
		{c.DCC, "the DCC's"}, {c.DP087, "DP087 gap"}, {c.Exempt, "no duty"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	return fmt.Sprintf("%s × %s, %s: %d Devices (%s)", supplier, manufacturer, band.Label, c.Devices, strings.Join(parts, ", "))
}

// heatMap draws the Supplier × manufacturer matrix as an SVG: one cell per
// pair, coloured by its band, each a link to that Supplier × manufacturer
// with its numbers in a title and an aria-label, so it reads by keyboard and
// screen reader; the page also carries the key and the same numbers as a
// table.
func heatMap(m coverage.Matrix, date string) template.HTML {
	const cw, ch, left, top = 52, 30, 90, 70
	width := left + cw*len(m.Manufacturers) + 20
	height := top + ch*len(m.Suppliers) + 10
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" aria-labelledby="hm-title hm-desc" class="heatmap">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<title id="hm-title">G3.20 coverage by Supplier and manufacturer on %s</title>`, esc(m.Date.String()))
	b.WriteString(`<desc id="hm-desc">Each cell is a Supplier's Devices of one manufacturer, coloured by the share of Devices the Supplier carries G3.20 for that are covered: 100%, 50–99%, under 50% or 0%, or blue where the rest is all under reasonable steps with no gap. Grey: none to cover (all the DCC's or under no duty); white: no Devices. Each cell links to that Supplier's coverage of that manufacturer's models.</desc>`)
	for j, mf := range m.Manufacturers {
		x := left + j*cw + cw/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(-45 %d %d)" font-size="12" text-anchor="start">%s</text>`, x, top-8, x, top-8, esc(mf.Code))
	}
	for i, sp := range m.Suppliers {
		y := top + i*ch
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, left-8, y+ch/2+4, esc(sp.Code))
		for j, mf := range m.Manufacturers {
			c := m.Cells[i][j]
			x := left + j*cw
			band := heatBandOf(c)
			if band == bandNoDevs {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#d6dbe1" data-band="%s"/>`, x, y, cw, ch, band.Fill, band.Name)
				continue
			}
			label, text := cellLabel(sp.Code, mf.Code, band, c), heatText(c)
			// The name starts with the text the cell shows ("87%"), so
			// one who speaks what they see selects it (WCAG 2.5.3).
			name := label
			if c.Obligated() > 0 {
				name = text + " covered: " + label
			}
			fmt.Fprintf(&b, `<a href="%s" aria-label="%s" data-band="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff"/><text x="%d" y="%d" font-size="11" text-anchor="middle" fill="%s">%s</text></a>`,
				esc(cellLink(sp.Code, mf.Code, date)), esc(name), band.Name, esc(label), x, y, cw, ch, band.Fill, x+cw/2, y+ch/2+4, band.Ink, esc(text))
		}
	}
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
		{t.Covered, statusColours[coverage.Covered], "covered"}, {t.Steps, statusColours[coverage.Steps], "reasonable steps"},
		{t.Gap, statusColours[coverage.Gap], "gap"}, {t.Impracticable, statusColours[coverage.Impracticable], "not practicable"},
		{t.DCC, statusColours[coverage.DCC], "the DCC's"}, {t.DP087, statusColours[coverage.DP087Gap], "DP087 gap"},
		{t.Exempt, statusColours[coverage.Exempt], "no duty"},
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
