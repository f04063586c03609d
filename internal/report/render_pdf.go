package report

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/metersec/metersec/internal/uk"
)

// The PDF format is A4 portrait in the PDF core font Helvetica, black on
// white so that it prints and photocopies legibly. Every page carries the
// classification at its head and a footer with the reference and "page n of
// N"; tables repeat their header on each page. Content streams are left
// uncompressed: a report is small, and its text stays searchable by plain
// tools (the route-by-role test reads it).

const (
	pdfMargin = 15.0
	pdfTop    = 24.0
	pdfBottom = 18.0
	pdfRow    = 5.0
)

func renderPDF(d *Document) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.SetCreationDate(d.GeneratedAt.UTC())
	p.SetModificationDate(d.GeneratedAt.UTC())
	p.SetTitle(d.TLP()+" "+d.Title+", "+d.Month.Label(), true)
	p.SetSubject(d.Reference, true)
	p.SetAuthor("Security Sub-Committee", true)
	p.SetCreator("metersec", true)
	p.SetLang("en-GB")
	p.SetMargins(pdfMargin, pdfTop, pdfMargin)
	p.SetAutoPageBreak(true, pdfBottom)
	p.AliasNbPages("{nb}")
	tr := cp1252
	pageW, pageH := p.GetPageSize()
	width := pageW - 2*pdfMargin
	r, g, b := tlpColour(d.Classification.TLP())

	p.SetHeaderFunc(func() {
		p.SetFont("Helvetica", "B", 10)
		label := tr(d.TLP())
		lw := p.GetStringWidth(label) + 6
		p.SetFillColor(r, g, b)
		p.SetTextColor(255, 255, 255)
		p.SetXY(pdfMargin, 9)
		p.CellFormat(lw, 7, label, "", 0, "C", true, 0, "")
		p.SetTextColor(0, 0, 0)
		p.SetFont("Helvetica", "", 9)
		p.SetXY(pdfMargin+lw+3, 9)
		p.CellFormat(width-lw-3, 7, fit(p, tr(d.Title+" · "+d.Month.Label()+" · "+d.Reference), width-lw-3), "", 0, "L", false, 0, "")
		p.SetDrawColor(0, 0, 0)
		p.SetLineWidth(0.4)
		p.Line(pdfMargin, 18, pageW-pdfMargin, 18)
		p.SetXY(pdfMargin, pdfTop)
	})
	p.SetFooterFunc(func() {
		p.SetDrawColor(0, 0, 0)
		p.SetLineWidth(0.2)
		p.Line(pdfMargin, pageH-13, pageW-pdfMargin, pageH-13)
		p.SetXY(pdfMargin, pageH-12)
		p.SetFont("Helvetica", "", 7.5)
		page := "Page " + strconv.Itoa(p.PageNo()) + " of {nb}"
		pw := p.GetStringWidth("Page 999 of 999") + 2
		p.CellFormat(width-pw, 5, fit(p, tr(d.Footer()), width-pw), "", 0, "L", false, 0, "")
		p.CellFormat(pw, 5, page, "", 0, "R", false, 0, "")
	})
	p.AddPage()

	p.SetFont("Helvetica", "B", 16)
	p.MultiCell(width, 7.5, tr(d.Title), "", "L", false)
	p.Ln(1.5)
	facts := [][2]string{{"Month", d.Month.Label() + " (" + d.Month.String() + ")"}}
	if d.Recipient != nil {
		facts = append(facts, [2]string{"For", d.Recipient.String()})
	}
	facts = append(facts,
		[2]string{"Reference", d.Reference},
		[2]string{"Figures as at", uk.DateTime(d.AsAt)},
		[2]string{"Generated", uk.DateTime(d.GeneratedAt)},
		[2]string{"Classification", string(d.Classification) + " (" + d.TLP() + ")"})
	for _, f := range facts {
		p.SetFont("Helvetica", "B", 9)
		p.CellFormat(32, 5, tr(f[0]), "", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 9)
		p.MultiCell(width-32, 5, tr(f[1]), "", "L", false)
	}
	p.Ln(2)
	p.SetFont("Helvetica", "B", 9)
	p.SetLineWidth(0.3)
	p.MultiCell(width, 5, tr(d.TLP()+": "+d.Handling()), "1", "L", false)
	p.Ln(2)
	p.SetFont("Helvetica", "", 9)
	for _, n := range d.Notes {
		p.SetFillColor(238, 238, 238)
		p.MultiCell(width, 5, tr("Note: "+n), "L", "L", true)
		p.Ln(1.5)
	}

	for _, s := range d.Sections {
		// Keep a heading with the start of what it heads.
		need := 30.0
		if s.Chart != nil {
			need = 100
		}
		if p.GetY() > pageH-pdfBottom-need {
			p.AddPage()
		}
		p.Ln(3)
		p.SetFont("Helvetica", "B", 12)
		p.MultiCell(width, 6, tr(s.Heading), "", "L", false)
		if s.Intro != "" {
			p.SetFont("Helvetica", "", 9)
			p.MultiCell(width, 4.6, tr(s.Intro), "", "L", false)
		}
		p.Ln(1.5)
		if s.Chart != nil {
			pdfChart(p, s.Chart, width, pageH)
		}
		if s.Table != nil {
			pdfTable(p, s.Table, width, pageH)
		}
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func pdfTable(p *fpdf.Fpdf, t *Table, width, pageH float64) {
	tr := cp1252
	p.SetFont("Helvetica", "", 8)
	const pad = 2.0
	widths := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		p.SetFont("Helvetica", "B", 8)
		widths[i] = p.GetStringWidth(tr(c.Name)) + pad
		p.SetFont("Helvetica", "", 8)
		for _, row := range t.Rows {
			if i < len(row) {
				widths[i] = max(widths[i], p.GetStringWidth(tr(cellText(t.Columns, i, row[i])))+pad)
			}
		}
		if i < len(t.Foot) {
			widths[i] = max(widths[i], p.GetStringWidth(tr(cellText(t.Columns, i, t.Foot[i])))+pad)
		}
		widths[i] = min(widths[i], 75)
	}
	// Fit the page: numeric columns keep their width, text columns share the
	// rest; spare width goes to every column alike.
	var total, text float64
	for i, w := range widths {
		total += w
		if !t.Columns[i].Num {
			text += w
		}
	}
	if total > width && text > 0 {
		k := (width - (total - text)) / text
		for i := range widths {
			if !t.Columns[i].Num {
				widths[i] *= k
			}
		}
	} else if total < width {
		for i := range widths {
			widths[i] *= width / total
		}
	}
	header := func() {
		p.SetFont("Helvetica", "B", 8)
		p.SetFillColor(220, 220, 220)
		for i, c := range t.Columns {
			align := "L"
			if c.Num {
				align = "R"
			}
			p.CellFormat(widths[i], pdfRow+0.5, fit(p, tr(c.Name), widths[i]-pad), "B", 0, align, true, 0, "")
		}
		p.Ln(-1)
		p.SetFont("Helvetica", "", 8)
	}
	row := func(cells []string, bold, shade bool) {
		if p.GetY()+pdfRow > pageH-pdfBottom {
			p.AddPage()
			header()
		}
		style := ""
		if bold {
			style = "B"
		}
		p.SetFont("Helvetica", style, 8)
		p.SetFillColor(245, 245, 245)
		for i := range t.Columns {
			v := ""
			if i < len(cells) {
				v = cellText(t.Columns, i, cells[i])
			}
			align, border := "L", ""
			if t.Columns[i].Num {
				align = "R"
			}
			if bold {
				border = "T"
			}
			p.CellFormat(widths[i], pdfRow, fit(p, tr(v), widths[i]-pad), border, 0, align, shade, 0, "")
		}
		p.Ln(-1)
	}
	header()
	for i, r := range t.Rows {
		row(r, false, i%2 == 1)
	}
	if len(t.Rows) == 0 && t.Empty != "" {
		p.SetFont("Helvetica", "I", 8)
		p.MultiCell(width, pdfRow, tr(t.Empty), "", "L", false)
	}
	if t.Foot != nil {
		row(t.Foot, true, false)
	}
	p.Ln(2)
}

func pdfChart(p *fpdf.Fpdf, c *Chart, width, pageH float64) {
	const plotH, left, below = 55.0, 20.0, 16.0
	if p.GetY()+plotH+below+8 > pageH-pdfBottom {
		p.AddPage()
	}
	tr := cp1252
	x0, y0 := p.GetX()+left, p.GetY()+3
	plotW := width - left
	totals := make([]int64, len(c.Labels))
	for _, s := range c.Series {
		for i := range totals {
			if i < len(s.Values) {
				totals[i] += s.Values[i]
			}
		}
	}
	var top int64
	for _, v := range totals {
		top = max(top, v)
	}
	scale := niceCeiling(top)
	p.SetFont("Helvetica", "", 7)
	p.SetDrawColor(180, 180, 180)
	p.SetLineWidth(0.1)
	for i := 0; i <= 4; i++ {
		y := y0 + plotH - plotH*float64(i)/4
		p.Line(x0, y, x0+plotW, y)
		p.SetXY(x0-left, y-2)
		p.CellFormat(left-1.5, 4, thousands(itoa(scale*int64(i)/4)), "", 0, "R", false, 0, "")
	}
	n := max(len(c.Labels), 1)
	band := plotW / float64(n)
	barW := band * 0.62
	for i, label := range c.Labels {
		x := x0 + band*float64(i) + (band-barW)/2
		y := y0 + plotH
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			h := plotH * float64(s.Values[i]) / float64(scale)
			y -= h
			r, g, b := hexColour(s.Colour)
			p.SetFillColor(r, g, b)
			p.Rect(x, y, barW, h, "F")
		}
		p.SetXY(x-2, y0+plotH+1)
		p.CellFormat(barW+4, 4, tr(label), "", 0, "C", false, 0, "")
	}
	p.SetDrawColor(0, 0, 0)
	p.SetLineWidth(0.3)
	p.Line(x0, y0+plotH, x0+plotW, y0+plotH)
	lx := x0
	ly := y0 + plotH + 8
	p.SetFont("Helvetica", "", 8)
	for _, s := range c.Series {
		r, g, b := hexColour(s.Colour)
		p.SetFillColor(r, g, b)
		p.Rect(lx, ly+0.8, 3.5, 3.5, "F")
		p.SetXY(lx+4.5, ly)
		name := tr(s.Name)
		p.CellFormat(p.GetStringWidth(name)+2, 5, name, "", 0, "L", false, 0, "")
		lx += 4.5 + p.GetStringWidth(name) + 8
	}
	p.SetXY(pdfMargin, ly+7)
}

func cellText(cols []Column, i int, v string) string {
	if i < len(cols) && cols[i].Num {
		return thousands(v)
	}
	return v
}

// fit shortens s with an ellipsis until it is at most w wide in the current
// font. s is already in the PDF's code page, where 0x85 is the ellipsis.
func fit(p *fpdf.Fpdf, s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	const ell = "\x85"
	for len(s) > 0 && p.GetStringWidth(s+ell) > w {
		s = s[:len(s)-1]
	}
	return s + ell
}

func tlpColour(tlp string) (int, int, int) {
	switch tlp {
	case "RED":
		return 179, 38, 30
	case "AMBER":
		return 138, 75, 0
	case "GREEN":
		return 30, 122, 52
	}
	return 68, 68, 68
}

func hexColour(s string) (int, int, int) {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil || len(s) != 7 {
		return 128, 128, 128
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

// cp1252 turns text into Windows-1252, the code page of the PDF core fonts:
// Latin-1 as it is, the typographic marks Windows-1252 adds at 0x80–0x9F,
// and "?" for anything else. Control characters become spaces.
func cp1252(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x20:
			b = append(b, ' ')
		case r < 0x80:
			b = append(b, byte(r))
		case r >= 0xA0 && r <= 0xFF:
			b = append(b, byte(r))
		default:
			if c, ok := cp1252Marks[r]; ok {
				b = append(b, c)
			} else {
				b = append(b, '?')
			}
		}
	}
	return string(b)
}

var cp1252Marks = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89,
	'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95,
	'–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}
