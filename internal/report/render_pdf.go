package report

import (
	"bytes"
	"encoding/csv"
	"slices"
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
		p.SetXY(pdfMargin+lw+3, 9)
		head := tr(d.Title + " · " + d.Month.Label() + " · " + d.Reference)
		if shrink(p, head, "", 9, 6.5, width-lw-3) {
			p.CellFormat(width-lw-3, 7, head, "", 0, "L", false, 0, "")
		} else {
			p.MultiCell(width-lw-3, 3.2, head, "", "L", false)
		}
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
		p.SetXY(pageW-pdfMargin-pw, pageH-12)
		p.CellFormat(pw, 5, page, "", 0, "R", false, 0, "")
		p.SetXY(pdfMargin, pageH-12)
		foot := tr(d.Footer())
		if shrink(p, foot, "", 7.5, 5.5, width-pw) {
			p.CellFormat(width-pw, 5, foot, "", 0, "L", false, 0, "")
		} else {
			p.MultiCell(width-pw, 2.6, foot, "", "L", false)
		}
	})
	// Tables too long to print are attached whole, as CSV.
	var atts []fpdf.Attachment
	attachment := map[string]int{}
	for _, s := range d.Sections {
		if s.Table != nil && len(s.Table.Rows) > pdfMaxRows {
			attachment[s.ID] = len(atts)
			atts = append(atts, pdfAttachment(d, s))
		}
	}
	p.SetAttachments(atts)
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
			var att *fpdf.Attachment
			if i, ok := attachment[s.ID]; ok {
				att = &atts[i]
			}
			pdfTable(p, d, s, width, pageH, att)
		}
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pdfMaxRows is the longest table a PDF prints in full. A longer one is
// summarised: its first pdfMaxRows rows (the report orders its long tables
// largest first) and its totals, with the whole table attached to the PDF
// as a CSV file (an embedded file, listed by every PDF reader and pinned
// beside the table). At a million Devices the certificate table alone runs
// to thousands of rows, a hundred pages nobody reads on paper.
const pdfMaxRows = 60

// pdfAttachment is the whole of a summarised table as CSV.
func pdfAttachment(d *Document, s Section) fpdf.Attachment {
	var buf bytes.Buffer
	buf.WriteString("# " + oneLine(d.TLP()+" · "+d.Reference+" · "+s.Heading) + "\r\n")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	writeTableCSV(w, s.Table)
	w.Flush()
	return fpdf.Attachment{Content: buf.Bytes(), Filename: TableFileName(d.Reference, s.ID), Description: s.Heading}
}

// TableFileName names the CSV file of one table of a report: the report's
// reference and the section, e.g. SSC-2026-11-v1-certificate-devices.csv.
func TableFileName(reference, section string) string { return reference + "-" + section + ".csv" }

// The PDF never cuts a reference or a name short: a table's columns are at
// least as wide as the longest word in them (the font shrinks, down to
// pdfMinFont, until they fit the page), text wraps between words, and a word
// still too wide for its cell is set smaller rather than cut.
const (
	pdfFont    = 8.0
	pdfMinFont = 5.5
	pdfPad     = 2.0
)

func pdfTable(p *fpdf.Fpdf, d *Document, s Section, width, pageH float64, att *fpdf.Attachment) {
	t := s.Table
	tr := cp1252
	rows := t.Rows
	if len(rows) > pdfMaxRows {
		rows = rows[:pdfMaxRows]
	}
	all := append([][]string{}, rows...)
	if t.Foot != nil {
		all = append(all, t.Foot)
	}
	size, widths := pdfColumns(p, t, all, width)
	lineH := size * 0.42
	header := func() {
		cells := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cells[i] = c.Name
		}
		pdfRowCells(p, t, cells, widths, size, lineH, "B", 220, "B")
	}
	row := func(cells []string, bold, shade bool) {
		texts := make([]string, len(t.Columns))
		for i := range t.Columns {
			if i < len(cells) {
				texts[i] = tr(cellText(t.Columns, i, cells[i]))
			}
		}
		if p.GetY()+pdfRowHeight(p, texts, widths, size, lineH, bold) > pageH-pdfBottom {
			p.AddPage()
			header()
		}
		style, fill, border := "", -1, ""
		if bold {
			style, border = "B", "T"
		}
		if shade {
			fill = 245
		}
		pdfRowCells(p, t, texts, widths, size, lineH, style, fill, border)
	}
	header()
	for i, r := range rows {
		row(r, false, i%2 == 1)
	}
	if len(t.Rows) == 0 && t.Empty != "" {
		p.SetFont("Helvetica", "I", pdfFont)
		p.MultiCell(width, pdfRow, tr(t.Empty), "", "L", false)
	}
	if t.Foot != nil {
		row(t.Foot, true, false)
	}
	if att != nil {
		p.Ln(1)
		p.SetFont("Helvetica", "I", pdfFont)
		y := p.GetY()
		p.SetX(pdfMargin + 6)
		p.MultiCell(width-6, 4, tr("The first "+thousands(itoa(int64(len(rows))))+" of "+thousands(itoa(int64(len(t.Rows))))+
			" rows. The whole table is attached to this PDF as "+att.Filename+" (the pin, or the attachments of your PDF reader)."), "", "L", false)
		p.AddAttachmentAnnotation(att, pdfMargin, y, 4.5, 4.5)
		p.SetFillColor(11, 92, 173)
		p.Rect(pdfMargin+0.8, y+0.5, 3, 3, "F")
	}
	p.Ln(2)
}

// pdfColumns chooses the font size and column widths for a table: columns
// take their natural widths (at most 75 mm) when those fit; otherwise text
// columns give up width in proportion to what they can spare, never below
// their longest word. When even the longest words do not fit, the font
// shrinks.
func pdfColumns(p *fpdf.Fpdf, t *Table, rows [][]string, width float64) (float64, []float64) {
	tr := cp1252
	n := len(t.Columns)
	var minW, natW []float64
	size := pdfFont
	for ; ; size -= 0.5 {
		minW, natW = make([]float64, n), make([]float64, n)
		measure := func(i int, s string, style string) {
			p.SetFont("Helvetica", style, size)
			natW[i] = max(natW[i], p.GetStringWidth(s)+pdfPad)
			for _, w := range strings.Fields(s) {
				minW[i] = max(minW[i], p.GetStringWidth(w)+pdfPad)
			}
		}
		for i, c := range t.Columns {
			measure(i, tr(c.Name), "B")
			for _, r := range rows {
				if i < len(r) {
					measure(i, tr(cellText(t.Columns, i, r[i])), "")
				}
			}
			natW[i] = max(min(natW[i], 75), minW[i])
		}
		if sum(minW) <= width || size <= pdfMinFont {
			break
		}
	}
	widths := slices.Clone(natW)
	switch total := sum(natW); {
	case total <= width:
		for i := range widths {
			widths[i] *= width / total
		}
	case sum(minW) >= width:
		for i := range widths {
			widths[i] = minW[i] * width / sum(minW)
		}
	default:
		spare := total - sum(minW)
		excess := total - width
		for i := range widths {
			widths[i] -= excess * (natW[i] - minW[i]) / spare
		}
	}
	return size, widths
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// pdfWrap breaks s into lines no wider than w, between words only.
func pdfWrap(p *fpdf.Fpdf, s string, w float64) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := words[0]
	for _, word := range words[1:] {
		if p.GetStringWidth(line+" "+word) <= w {
			line += " " + word
			continue
		}
		lines = append(lines, line)
		line = word
	}
	return append(lines, line)
}

func pdfRowHeight(p *fpdf.Fpdf, texts []string, widths []float64, size, lineH float64, bold bool) float64 {
	style := ""
	if bold {
		style = "B"
	}
	p.SetFont("Helvetica", style, size)
	n := 1
	for i, s := range texts {
		n = max(n, len(pdfWrap(p, s, widths[i]-pdfPad)))
	}
	return float64(n)*lineH + pdfPad
}

// pdfRowCells draws one row: each cell's text wrapped between words, a word
// too wide for its cell set smaller; fill is the grey level of the
// background, or -1 for none.
func pdfRowCells(p *fpdf.Fpdf, t *Table, texts []string, widths []float64, size, lineH float64, style string, fill int, border string) {
	p.SetFont("Helvetica", style, size)
	h := pdfRowHeight(p, texts, widths, size, lineH, style == "B")
	x, y := pdfMargin, p.GetY()
	if fill >= 0 {
		p.SetFillColor(fill, fill, fill)
		p.Rect(x, y, sum(widths), h, "F")
	}
	p.SetDrawColor(0, 0, 0)
	p.SetLineWidth(0.2)
	switch border {
	case "T":
		p.Line(x, y, x+sum(widths), y)
	case "B":
		p.Line(x, y+h, x+sum(widths), y+h)
	}
	for i, s := range texts {
		align := "L"
		if i < len(t.Columns) && t.Columns[i].Num {
			align = "R"
		}
		inner := widths[i] - pdfPad
		for k, line := range pdfWrap(p, s, inner) {
			if lw := p.GetStringWidth(line); lw > inner {
				p.SetFont("Helvetica", style, size*inner/lw)
			}
			p.SetXY(x, y+pdfPad/2+float64(k)*lineH)
			p.CellFormat(widths[i], lineH, line, "", 0, align, false, 0, "")
			p.SetFont("Helvetica", style, size)
		}
		x += widths[i]
	}
	p.SetXY(pdfMargin, y+h)
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

// shrink sets the font (family Helvetica, style) to the largest size from
// size down to smallest at which s fits in w, and reports whether it fits.
func shrink(p *fpdf.Fpdf, s, style string, size, smallest, w float64) bool {
	for ; size > smallest; size -= 0.25 {
		p.SetFont("Helvetica", style, size)
		if p.GetStringWidth(s) <= w {
			return true
		}
	}
	p.SetFont("Helvetica", style, smallest)
	return p.GetStringWidth(s) <= w
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
