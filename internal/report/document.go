package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

// Kind is what a report is.
type Kind string

// The kinds of report.
const (
	// ManufacturerKind tells a manufacturer which Suppliers operate its
	// Devices, with counts by model and generation (the SSC's monthly duty,
	// seeds/000).
	ManufacturerKind Kind = "manufacturer"
	// SupplierKind tells a Supplier the security contacts of every
	// manufacturer (the SSC's other monthly duty, seeds/000).
	SupplierKind Kind = "supplier"
	// StandingKind is the SSC's confidential standing report for its meetings
	// (seeds/003 item 16): CPA certificates, vulnerabilities, G3.20 gaps and
	// churn.
	StandingKind Kind = "standing"
)

// Label is the kind for people.
func (k Kind) Label() string {
	switch k {
	case ManufacturerKind:
		return "Suppliers operating your Devices"
	case SupplierKind:
		return "Manufacturers' security contacts"
	case StandingKind:
		return "SSC standing report"
	}
	return string(k)
}

// Format is a file format a report is stored in.
type Format string

// The formats, in the order they are listed.
const (
	CSV  Format = "csv"
	JSON Format = "json"
	HTML Format = "html"
	PDF  Format = "pdf"
)

// Formats lists every format.
var Formats = []Format{CSV, JSON, HTML, PDF}

// MediaType is the format's media type.
func (f Format) MediaType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case JSON:
		return "application/json"
	case HTML:
		return "text/html; charset=utf-8"
	case PDF:
		return "application/pdf"
	}
	return "application/octet-stream"
}

// ParseFormat accepts a format's name in any case.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(strings.TrimSpace(s), string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (one of csv, json, html, pdf)", s)
}

// OrgRef names an organisation in a report.
type OrgRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (o OrgRef) String() string {
	if o.Name == "" || o.Name == o.Code {
		return o.Code
	}
	return o.Name + " (" + o.Code + ")"
}

// Document is a report as its readers see it, in every format: a title, the
// month, the classification, sections of tables and charts, and the typed
// data that the JSON format carries.
type Document struct {
	Kind           Kind               `json:"kind"`
	Title          string             `json:"title"`
	Month          Month              `json:"month"`
	Classification sec.Classification `json:"classification"`
	Reference      string             `json:"reference"`
	Version        int                `json:"version"`
	Recipient      *OrgRef            `json:"recipient,omitempty"`
	GeneratedAt    time.Time          `json:"generated_at"`
	// AsAt is the instant the figures describe: the end of the month, or when
	// the estate was read if that was later (see Notes).
	AsAt     time.Time `json:"as_at"`
	Notes    []string  `json:"notes"`
	Sections []Section `json:"-"`
	Data     any       `json:"data"`
}

// Section is a part of a report: a heading, some words, a table and maybe a
// chart drawn from the same figures.
type Section struct {
	ID      string
	Heading string
	Intro   string
	Table   *Table
	Chart   *Chart
}

// Table is rows of text under named columns. Numeric columns hold decimal
// integers; the formats for people add thousands separators.
type Table struct {
	Columns []Column
	Rows    [][]string
	Foot    []string // a totals row, or nil
	Empty   string   // said when there are no rows
}

// Column is a table column.
type Column struct {
	Name string
	Num  bool
}

// Chart is a stacked bar chart of counts over a run of labels (months).
type Chart struct {
	ID     string // unique in the page, for the SVG's title and description
	Title  string
	Desc   string // a sentence saying what the chart shows, for screen readers
	Labels []string
	Series []Series
}

// Series is one stack layer of a chart.
type Series struct {
	Name   string
	Colour string // #rrggbb
	Values []int64
}

// TLP is the classification as a Traffic Light Protocol label.
func (d *Document) TLP() string { return "TLP:" + d.Classification.TLP() }

// Handling says who may read the report, for its banner and footer.
func (d *Document) Handling() string {
	switch d.Classification {
	case sec.Red:
		return "For the named members of the Security Sub-Committee only. Do not share (Panel Information Policy)."
	case sec.Amber:
		who := "the recipient"
		if d.Recipient != nil {
			who = d.Recipient.String()
		}
		return "For " + who + " and the Security Sub-Committee only; share within your organisation on a need-to-know basis (Panel Information Policy)."
	}
	return "Panel Information Policy: " + string(d.Classification) + "."
}

// Footer is the line at the foot of every page.
func (d *Document) Footer() string {
	return d.TLP() + " · " + d.Reference + " · " + d.Title + ", " + d.Month.Label() + " · Security Sub-Committee (metersec)"
}

// Reference names a report: its kind, month, recipient and version, e.g.
// MFR-2026-10-KLNW-v1. It is unique, and printed on every page.
func Reference(k Kind, m Month, recipient string, version int) string {
	prefix := map[Kind]string{ManufacturerKind: "MFR", SupplierKind: "SUP", StandingKind: "SSC"}[k]
	parts := []string{prefix, m.String()}
	if recipient != "" {
		parts = append(parts, recipient)
	}
	return strings.Join(parts, "-") + "-v" + strconv.Itoa(version)
}

// File is a report rendered in one format.
type File struct {
	Format Format `json:"format"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Bytes  []byte `json:"-"`
}

// Render writes the document in every format.
func Render(d *Document) ([]File, error) {
	out := make([]File, 0, len(Formats))
	for _, f := range Formats {
		var b []byte
		var err error
		switch f {
		case CSV:
			b, err = renderCSV(d)
		case JSON:
			b, err = renderJSON(d)
		case HTML:
			b, err = renderHTML(d)
		case PDF:
			b, err = renderPDF(d)
		}
		if err != nil {
			return nil, fmt.Errorf("render %s as %s: %w", d.Reference, f, err)
		}
		out = append(out, File{Format: f, Size: int64(len(b)), SHA256: sha256Hex(b), Bytes: b})
	}
	return out, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Digest is the digest of a report: SHA-256 over its files' formats and
// digests, so one value proves all four files.
func Digest(files []File) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s:%s\n", f.Format, f.SHA256)
	}
	return sha256Hex([]byte(b.String()))
}

// thousands writes an integer with commas: 35000000 → 35,000,000.
func thousands(s string) string { return uk.ThousandsText(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
