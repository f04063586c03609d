package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"time"
)

// renderCSV writes the document as CSV: comment lines (starting "#") with the
// title, month, classification and reference, then each section's table
// under a "# Section:" line, and the footer last. Text cells that a
// spreadsheet would run as a formula are prefixed with an apostrophe.
func renderCSV(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	comment := func(s string) {
		buf.WriteString("# ")
		buf.WriteString(oneLine(s))
		buf.WriteString("\r\n")
	}
	comment(d.Title + " — " + d.Month.Label() + " (" + d.Month.String() + ")")
	comment(d.TLP() + " — " + d.Handling())
	meta := "Reference " + d.Reference
	if d.Recipient != nil {
		meta += "; for " + d.Recipient.String()
	}
	meta += "; generated " + d.GeneratedAt.UTC().Format(time.RFC3339) + "; figures as at " + d.AsAt.UTC().Format(time.RFC3339)
	comment(meta)
	for _, n := range d.Notes {
		comment("Note: " + n)
	}
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, s := range d.Sections {
		w.Flush()
		buf.WriteString("\r\n")
		comment("Section: " + s.Heading)
		if s.Table == nil {
			if s.Intro != "" {
				comment(s.Intro)
			}
			continue
		}
		t := s.Table
		writeTableCSV(w, t)
		if len(t.Rows) == 0 && t.Empty != "" {
			w.Flush()
			comment(t.Empty)
		}
	}
	w.Flush()
	buf.WriteString("\r\n")
	comment(d.Footer())
	return buf.Bytes(), w.Error()
}

// writeTableCSV writes a table's header, rows and totals.
func writeTableCSV(w *csv.Writer, t *Table) {
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	w.Write(head)
	for _, r := range t.Rows {
		w.Write(csvCells(t.Columns, r))
	}
	if t.Foot != nil {
		w.Write(csvCells(t.Columns, t.Foot))
	}
}

func csvCells(cols []Column, row []string) []string {
	out := make([]string, len(row))
	for i, v := range row {
		if i < len(cols) && !cols[i].Num && v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			v = "'" + v
		}
		out[i] = v
	}
	return out
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// jsonDocument is the JSON format: the document's facts and its typed data.
type jsonDocument struct {
	*Document
	TLP      string `json:"tlp"`
	Handling string `json:"handling"`
	Footer   string `json:"footer"`
}

func renderJSON(d *Document) ([]byte, error) {
	if d.Notes == nil {
		d.Notes = []string{}
	}
	b, err := json.MarshalIndent(jsonDocument{Document: d, TLP: d.TLP(), Handling: d.Handling(), Footer: d.Footer()}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
