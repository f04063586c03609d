package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) changeMAPForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	ch, err := mapChange(id, r.PostFormValue("new_map"), r.PostFormValue("effective_date"))
	if err != nil {
		return s.deviceFormFailed(w, r, "map", err)
	}
	if _, err := s.Estate.ChangeMAP(r.Context(), callerOf(r), ch); err != nil {
		return s.deviceFormFailed(w, r, "map", err)
	}
	msg := "The Device's MAP is now " + ch.NewMAP + "."
	if ch.NewMAP == "" {
		msg = "The Device now has no MAP."
	}
	return s.redirect(w, r, devicePath(id), msg)
}

// estateData is the /estate page.
type estateData struct {
	Device string
	Totals []estate.PortfolioTotal
	Sum    int64
	Chart  template.HTML
	// Table is the totals a row per Supplier, a column per generation and
	// Device type: a Supplier × generation × type list was 350 rows (10,000
	// px) at national scale, this is one row per Supplier.
	Table estateTable
}

// estateTable is installed Devices by Supplier, split by generation and by
// Device type (only the types anyone has).
type estateTable struct {
	Types []sec.DeviceType
	Rows  []estateRow
	Sum   estateRow
}

type estateRow struct {
	Supplier string
	Total    int64
	ByGen    map[string]int64
	ByType   map[sec.DeviceType]int64
}

// pivotTotals turns the totals into an estateTable, Suppliers in the
// order of the totals.
func pivotTotals(tot []estate.PortfolioTotal) estateTable {
	t := estateTable{Sum: estateRow{ByGen: map[string]int64{}, ByType: map[sec.DeviceType]int64{}}}
	at := map[string]int{}
	for _, x := range tot {
		i, ok := at[x.Supplier]
		if !ok {
			i = len(t.Rows)
			at[x.Supplier] = i
			t.Rows = append(t.Rows, estateRow{Supplier: x.Supplier, ByGen: map[string]int64{}, ByType: map[sec.DeviceType]int64{}})
		}
		for _, r := range []*estateRow{&t.Rows[i], &t.Sum} {
			r.Total += x.Devices
			r.ByGen[string(x.Generation)] += x.Devices
			r.ByType[x.DeviceType] += x.Devices
		}
	}
	for _, dt := range sec.DeviceTypes {
		if t.Sum.ByType[dt] > 0 {
			t.Types = append(t.Types, dt)
		}
	}
	return t
}

func (s *Server) estatePage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	data := estateData{Device: strings.TrimSpace(r.URL.Query().Get("device"))}
	pg := s.newPage(r, "Estate", nil)
	status := http.StatusOK
	if data.Device != "" {
		id, err := parseDeviceID(data.Device)
		if err == nil {
			http.Redirect(w, r, "/devices/"+url.PathEscape(id.String()), http.StatusSeeOther)
			return nil
		}
		pg.formErrors(err)
		status = http.StatusUnprocessableEntity
	}
	tot, err := s.Estate.PortfolioTotals(r.Context(), c, estate.PortfolioQuery{})
	if err != nil {
		return err
	}
	data.Totals = tot
	for _, t := range tot {
		data.Sum += t.Devices
	}
	data.Chart = estateChart(tot)
	data.Table = pivotTotals(tot)
	pg.Data = data
	return s.render(w, r, status, "estate", pg)
}

// estateChart draws installed Devices by device type, each bar split by
// generation.
func estateChart(tot []estate.PortfolioTotal) template.HTML {
	var bars []genBar
	for _, t := range sec.DeviceTypes {
		bar := genBar{Label: string(t), Title: t.Label(), By: map[sec.Generation]int64{}}
		for _, x := range tot {
			if x.DeviceType == t {
				bar.By[x.Generation] += x.Devices
			}
		}
		if len(bar.By) > 0 {
			bars = append(bars, bar)
		}
	}
	return generationChart("Installed Devices by type and generation", bars)
}

// manufacturerChart draws a portfolio's installed Devices by manufacturer,
// each bar split by generation, largest first.
func manufacturerChart(rows []estate.PortfolioShare) template.HTML {
	idx := map[string]int{}
	var bars []genBar
	for _, r := range rows {
		i, ok := idx[r.Manufacturer]
		if !ok {
			i = len(bars)
			idx[r.Manufacturer] = i
			bars = append(bars, genBar{Label: r.Manufacturer, Title: r.Manufacturer, By: map[sec.Generation]int64{}})
		}
		bars[i].By[r.Generation] += r.Devices
	}
	total := func(b genBar) int64 { return b.By[sec.SMETS1] + b.By[sec.SMETS2] }
	slices.SortStableFunc(bars, func(a, b genBar) int { return cmp.Compare(total(b), total(a)) })
	return generationChart("Installed Devices by manufacturer and generation", bars)
}

// genBar is one bar of a generation chart.
type genBar struct {
	Label, Title string
	By           map[sec.Generation]int64
}

// generationChart draws horizontal bars, each split by generation, with the
// numbers in titles and the whole in an aria-label.
func generationChart(caption string, bars []genBar) template.HTML {
	var most int64
	for _, b := range bars {
		most = max(most, b.By[sec.SMETS1]+b.By[sec.SMETS2])
	}
	if most == 0 {
		return ""
	}
	colours := map[sec.Generation]string{sec.SMETS1: "#a35a00", sec.SMETS2: "#1d5fa7"}
	const left, barW, rowH, top = 70, 480, 28, 30
	width, height := left+barW+120, top+rowH*len(bars)+10
	esc := template.HTMLEscapeString
	var b strings.Builder
	var desc []string
	for _, bar := range bars {
		desc = append(desc, fmt.Sprintf("%s %d (SMETS1 %d, SMETS2+ %d)", bar.Label, bar.By[sec.SMETS1]+bar.By[sec.SMETS2], bar.By[sec.SMETS1], bar.By[sec.SMETS2]))
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" class="estate-chart">`,
		width, height, width, height, esc(caption+": "+strings.Join(desc, "; ")))
	lx := left
	for _, g := range sec.Generations {
		fmt.Fprintf(&b, `<rect x="%d" y="4" width="14" height="14" fill="%s"/><text x="%d" y="15" font-size="12">%s</text>`, lx, colours[g], lx+18, esc(string(g)))
		lx += 100
	}
	for i, bar := range bars {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end"><title>%s</title>%s</text>`, left-8, y+rowH/2+4, esc(bar.Title), esc(bar.Label))
		x := float64(left)
		for _, g := range sec.Generations {
			n := bar.By[g]
			if n == 0 {
				continue
			}
			bw := float64(barW) * float64(n) / float64(most)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s Devices</title></rect>`,
				x, y+4, max(bw, 1), rowH-8, colours[g], esc(bar.Label), esc(string(g)), thousands(strconv.FormatInt(n, 10)))
			x += bw
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%s</text>`, x+6, y+rowH/2+4, thousands(strconv.FormatInt(bar.By[sec.SMETS1]+bar.By[sec.SMETS2], 10)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// deviceData is the /devices/{id} page.
type deviceData struct {
	Device      estate.Device
	Date        string
	Day         sec.Date
	Responsible *estate.SupplyPeriod
	NotOnDate   string
	MayChange   bool
	MayChurn    bool
	Choices     []estate.Status
	Timeline    template.HTML
	Open        string
}

func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) error {
	return s.showDevice(w, r, http.StatusOK, "", nil)
}

// showDevice renders the device page, with a form's error when err is set.
func (s *Server) showDevice(w http.ResponseWriter, r *http.Request, status int, open string, formErr error) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	d, err := s.Estate.Device(r.Context(), c, id)
	if err != nil {
		return err
	}
	data := deviceData{Device: d, MayChange: estate.MayChange(c, d), MayChurn: estate.MayChangeSupplier(c, d),
		Choices: estate.StatusChoices(c, d), Open: open}
	today := s.Estate.Today(s.DB.Now())
	data.Timeline = supplyTimeline(d, today)
	pg := s.newPage(r, "Device "+d.ID.String(), nil)
	pg.Form = map[string]string{}
	if formErr != nil {
		pg.formErrors(formErr)
		pg.Form = formValues(r)
	} else if v := strings.TrimSpace(r.URL.Query().Get("date")); v != "" {
		data.Date = v
		day, err := optDate("date", v)
		if err != nil {
			pg.formErrors(err)
			status = http.StatusUnprocessableEntity
		} else if p, err := s.Estate.ResponsibleOn(r.Context(), c, id, day); err == nil {
			data.Day = day
			data.Responsible = &p
		} else if errs.CodeOf(err) == errs.NotFound {
			data.NotOnDate = errs.As(err).Message
		} else {
			return err
		}
	}
	pg.Data = data
	return s.render(w, r, status, "device", pg)
}

// supplyTimeline draws the supply periods from the first start to today as
// one bar, a segment per period, oldest on the left.
func supplyTimeline(d estate.Device, today sec.Date) template.HTML {
	if len(d.Supply) == 0 {
		return ""
	}
	periods := slices.Clone(d.Supply)
	slices.Reverse(periods)
	first := periods[0].Start
	end := today
	if end.Before(periods[len(periods)-1].Start) {
		end = periods[len(periods)-1].Start.AddDays(1)
	}
	span := float64(max(end.Sub(first), 1))
	const w, h, barY, barH = 640, 56, 4, 26
	esc := template.HTMLEscapeString
	fills := []string{"#1d5fa7", "#5b8fc9"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" class="timeline">`,
		w, h, w, h, esc(fmt.Sprintf("Supply timeline: %d periods from %s", len(periods), first)))
	for i, p := range periods {
		pe := p.End
		if pe.IsZero() {
			pe = end
		}
		x := float64(w) * float64(p.Start.Sub(first)) / span
		pw := max(float64(w)*float64(pe.Sub(p.Start))/span, 2)
		until := "now"
		if !p.End.IsZero() {
			until = p.End.String()
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" stroke="#ffffff"><title>%s: %s to %s</title></rect>`,
			x, barY, pw, barH, fills[i%2], esc(p.Supplier), p.Start, esc(until))
		if pw > 60 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#ffffff">%s</text>`, x+4, barY+barH/2+4, esc(p.Supplier))
		}
	}
	fmt.Fprintf(&b, `<text x="0" y="%d" font-size="11">%s</text><text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>`,
		h-6, first, w, h-6, end)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// deviceFormFailed shows the device page again with the error of a form
// the user can fix; anything else is the error page.
func (s *Server) deviceFormFailed(w http.ResponseWriter, r *http.Request, open string, err error) error {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict:
		return s.showDevice(w, r, s.problemFor(r, err).Status, open, err)
	}
	return err
}

func devicePath(id estate.DeviceID) string { return "/devices/" + url.PathEscape(id.String()) }

func (s *Server) setFirmwareForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	since, err := optDate("since", r.PostFormValue("since"))
	if err != nil {
		return s.deviceFormFailed(w, r, "firmware", err)
	}
	d, err := s.Estate.UpgradeFirmware(r.Context(), callerOf(r), id, r.PostFormValue("firmware"), since)
	if err != nil {
		return s.deviceFormFailed(w, r, "firmware", err)
	}
	return s.redirect(w, r, devicePath(id), "Firmware "+d.Firmware+" recorded from "+d.FirmwareSince.String()+".")
}

func (s *Server) setStatusForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	st, err := estate.ParseStatus(strings.TrimSpace(r.PostFormValue("status")))
	if err != nil {
		return s.deviceFormFailed(w, r, "status", err)
	}
	d, err := s.Estate.SetStatus(r.Context(), callerOf(r), id, st)
	if err != nil {
		return s.deviceFormFailed(w, r, "status", err)
	}
	return s.redirect(w, r, devicePath(id), "The Device is now "+string(d.Status)+".")
}

func (s *Server) changeSupplierForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	ch, err := change(id, r.PostFormValue("new_supplier"), r.PostFormValue("effective_date"))
	if err != nil {
		return s.deviceFormFailed(w, r, "supplier", err)
	}
	res, err := s.Estate.ChangeSupplier(r.Context(), callerOf(r), ch)
	if err != nil {
		return s.deviceFormFailed(w, r, "supplier", err)
	}
	msg := "The Responsible Supplier is now " + ch.NewSupplier + "."
	if res.Changed == 0 {
		msg = "Nothing changed: the Device already had that Supplier."
	}
	return s.redirect(w, r, devicePath(id), msg)
}

// portfolioData is the /portfolio page: one page of the portfolio
// aggregates, with the totals of its filters before the table.
type portfolioData struct {
	Req                listing.Request
	Page               listing.Page[estate.PortfolioRow]
	Sums               estate.PortfolioSums
	List               listView
	Chart              template.HTML
	CSV                template.URL
	Types, Generations []string
}

func (s *Server) portfolioPage(w http.ResponseWriter, r *http.Request) error {
	req, err := estate.PortfolioSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportPortfolio(w, r, req)
	}
	c := callerOf(r)
	page, sums, err := s.Estate.PortfolioPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	// The chart sums the aggregates by manufacturer and generation in SQL
	// (PortfolioHead), for the Supplier, manufacturer and MAP filters.
	_, shares, err := s.Estate.PortfolioHead(r.Context(), c, estate.PortfolioQuery{Supplier: req.Facet("supplier"),
		Manufacturer: req.Facet("manufacturer"), MAP: req.Facet("map")}, 1)
	if err != nil {
		return err
	}
	data := portfolioData{Req: req, Page: page, Sums: sums, Chart: manufacturerChart(shares),
		List:  newListView(r, "/portfolio", estate.PortfolioSpec, req, page, "group", "groups"),
		Types: facetEnum(estate.PortfolioSpec, "type"), Generations: facetEnum(estate.PortfolioSpec, "generation")}
	data.CSV = data.List.CSV
	return s.render(w, r, http.StatusOK, "portfolio", s.newPage(r, "Portfolio", data))
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// portfolioCSV is the page's CSV download (/portfolio.csv), with the page's
// filters: every row they match, streamed.
func (s *Server) portfolioCSV(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Set("format", "csv")
	req, err := estate.PortfolioSpec.Parse(q)
	if err != nil {
		return err
	}
	return s.exportPortfolio(w, r, req)
}

// estateImportData is the /estate/import page.
type estateImportData struct {
	DeviceHeader, ChurnHeader string
	Kind                      string // the form the result or errors belong to
	Devices                   *estate.ImportResult
	Churn                     *estate.ChurnResult
	Fields                    []errs.Field
	More                      int
}

func newEstateImportData() estateImportData {
	return estateImportData{DeviceHeader: strings.Join(estate.DeviceHeader, ","), ChurnHeader: strings.Join(estate.ChurnHeader, ",")}
}

func (s *Server) estateImportPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "estate_import", s.newPage(r, "Import the estate", newEstateImportData()))
}

// estateUploadForm streams the file part of a multipart upload to load,
// never holding the file whole, and shows the result or the problems.
func (s *Server) estateUploadForm(w http.ResponseWriter, r *http.Request, kind string, load func(io.Reader, *estateImportData) error) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxEstateUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "send the file from the import form (multipart/form-data)")
	}
	data := newEstateImportData()
	data.Kind = kind
	found := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tooLarge(errs.E(errs.Invalid, "the upload could not be read: %v", err))
		}
		if part.FormName() == "file" {
			found = true
			body, err := openUpload(io.NopCloser(part), true)
			if err != nil {
				return err
			}
			if err := load(body, &data); err != nil {
				err = tooLarge(err)
				if errs.CodeOf(err) != errs.Invalid {
					return err
				}
				pg := s.newPage(r, "Import the estate", nil)
				e := errs.As(err)
				data.Fields, data.More = e.Fields, e.More
				pg.Error = e.Message
				pg.Data = data
				return s.render(w, r, s.problemFor(r, err).Status, "estate_import", pg)
			}
		}
		part.Close()
	}
	if !found {
		return errs.E(errs.Invalid, "choose a %s file to import", kind)
	}
	return s.render(w, r, http.StatusOK, "estate_import", s.newPage(r, "Import the estate", data))
}

func (s *Server) importDevicesForm(w http.ResponseWriter, r *http.Request) error {
	return s.estateUploadForm(w, r, "devices", func(body io.Reader, data *estateImportData) error {
		res, err := s.Estate.ImportDevices(r.Context(), callerOf(r), body, estate.ImportOptions{})
		if err == nil {
			data.Devices = &res
		}
		return err
	})
}

func (s *Server) importChurnForm(w http.ResponseWriter, r *http.Request) error {
	return s.estateUploadForm(w, r, "churn", func(body io.Reader, data *estateImportData) error {
		res, err := s.Estate.ImportChurn(r.Context(), callerOf(r), body, estate.ImportOptions{})
		if err == nil {
			data.Churn = &res
		}
		return err
	})
}
