package catalogue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/metersec/metersec/internal/sec"
)

// FieldError is one problem with one field of a CSV record. Row parsers return
// every problem of a record at once, in column order, so one pass over a file
// can report them all; the importer adds the line number. The estate CSV
// formats use the same type.
type FieldError struct {
	Field   string // the column's name; "" for a problem with the whole record
	Value   string // the field's text as found, spaces trimmed
	Problem string // what is wrong, for people
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	if e.Value == "" {
		return e.Field + ": " + e.Problem
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Problem)
}

// CatalogueHeader is the header of a catalogue CSV file, one row per firmware
// version of a Device Model (a CPL entry) and CPA certificate covering it:
//
//	manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,cpa_conditions_due,cpa_withdrawn,cpa_withdrawn_reason,model_name
//	MF01,4A1F,ESME,SMETS2+,1.0,2.1.0,2021-03-01,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,CPA-2021-0117,2021-02-01,expiring,2027-02-01,,no,,,,,Aurivolt Keystone electricity meter
//	MF01,4A1F,ESME,SMETS2+,1.0,2.2.0,,,CPA-2023-0342,2023-05-10,lifetime,,2029-05-10,yes,"Close finding 4 (tamper log)",2024-05-10,,,Aurivolt Keystone electricity meter
//
// Columns:
//   - manufacturer: the manufacturer's organisation code (any case).
//   - model: the model code, unique within the manufacturer ignoring case (the
//     GBCS Device Model identifier, usually 4 hex digits).
//   - model_name (last, optional): the model's name for people, taken when
//     the import creates the model. Files without the column still import.
//   - device_type: ESME, GSME, CHF, GPF, PPMID, HCALCS or IHD.
//   - generation: SMETS1 or SMETS2+.
//   - hardware_version: free text; a model has one hardware version.
//   - firmware: the firmware version (see ParseFirmwareVersion).
//   - firmware_released: release date, optional.
//   - image_hash: SHA-256 of the Manufacturer Image as 64 hex digits, optional.
//   - cpa_reference: the CPA certificate's reference, unique within the model;
//     rows of several firmware versions may name one certificate.
//   - cpa_issued: the date the certificate was issued.
//   - cpa_kind: "expiring" (cpa_expiry required, cpa_renewal empty) or
//     "lifetime" (MP209: cpa_renewal required, cpa_expiry empty).
//   - cpa_conditional: "yes" or "no". For "yes", cpa_conditions (the
//     conditions to close) and cpa_conditions_due are required; for "no" both
//     are empty.
//   - cpa_withdrawn: the date the certificate was withdrawn, optional.
//   - cpa_withdrawn_reason: why it was withdrawn; required with cpa_withdrawn
//     and empty without it. Files written before this column existed may
//     leave it out (the header then ends at cpa_withdrawn), so long as no row
//     withdraws a certificate: a withdrawal always records its reason.
//
// A firmware version with no certificate recorded has every cpa_ column empty;
// one covered by several certificates has a row for each, so
// (manufacturer, model, firmware, cpa_reference) is unique in a file.
//
// Dates are YYYY-MM-DD. The model columns repeat on every firmware row of the
// model, and the firmware columns on every certificate row of the firmware.
// Checking that they agree across rows, and that a certificate reference shared
// by rows of a model carries the same dates, needs the whole file: the
// importer does it (Service.Import).
var CatalogueHeader = []string{
	"manufacturer", "model", "device_type", "generation", "hardware_version",
	"firmware", "firmware_released", "image_hash",
	"cpa_reference", "cpa_issued", "cpa_kind", "cpa_expiry", "cpa_renewal",
	"cpa_conditional", "cpa_conditions", "cpa_conditions_due", "cpa_withdrawn", "cpa_withdrawn_reason",
	"model_name",
}

// cpaEnd ends the certificate's columns, CatalogueHeader[8:cpaEnd].
const cpaEnd = 18

// legacyCatalogueHeader is CatalogueHeader before cpa_withdrawn_reason, and
// unnamedCatalogueHeader before model_name: files written then still import.
var (
	legacyCatalogueHeader  = CatalogueHeader[:cpaEnd-1]
	unnamedCatalogueHeader = CatalogueHeader[:cpaEnd]
)

// CPAKind says how a CPA certificate ends.
type CPAKind string

// CPA certificate kinds: MP209 (1 Aug 2022) brought Lifetime certificates with a
// renewal date instead of an expiry date.
const (
	CPAExpiring CPAKind = "expiring"
	CPALifetime CPAKind = "lifetime"
)

// CPACertificate is the CPA certificate a firmware version was certified under.
type CPACertificate struct {
	Reference string
	Issued    time.Time
	Kind      CPAKind
	Expiry    time.Time // Expiring only
	Renewal   time.Time // Lifetime only
	// Conditional certificates carry conditions to close by a date (ASSUMPTION,
	// DOMAIN.md §5: the SSC's standing RED report lists them).
	Conditional   bool
	Conditions    string
	ConditionsDue time.Time
	Withdrawn     time.Time // zero: not withdrawn
	// WithdrawnReason says why; required when Withdrawn is set.
	WithdrawnReason string
}

// CatalogueRow is one record of a catalogue CSV file: see CatalogueHeader.
// Optional dates are the zero time when empty; dates are UTC midnight.
type CatalogueRow struct {
	Manufacturer    string
	Model           string
	ModelName       string // the model's name for people, "" when not given
	DeviceType      sec.DeviceType
	Generation      sec.Generation
	HardwareVersion string
	Firmware        FirmwareVersion
	Released        time.Time
	ImageHash       string // lowercase hex, "" when not given
	CPA             CPACertificate
}

// CheckCatalogueHeader reports a header that is not exactly CatalogueHeader,
// or CatalogueHeader without its last column (cpa_withdrawn_reason), which
// files written before that column existed end with.
func CheckCatalogueHeader(header []string) error {
	if len(header) == len(legacyCatalogueHeader) && CheckHeader(header, legacyCatalogueHeader) == nil {
		return nil
	}
	if len(header) == len(unnamedCatalogueHeader) && CheckHeader(header, unnamedCatalogueHeader) == nil {
		return nil
	}
	return CheckHeader(header, CatalogueHeader)
}

// ParseCatalogueRow reads one record of a catalogue CSV file. Fields are
// trimmed of surrounding spaces. On any problem the row is the zero value and
// the problems name their fields.
//
// A record of a file without the cpa_withdrawn_reason column (one field
// short) reads as if that column were empty.
func ParseCatalogueRow(rec []string) (CatalogueRow, []FieldError) {
	if n := len(rec); n == len(legacyCatalogueHeader) || n == len(unnamedCatalogueHeader) {
		rec = append(rec[:n:n], make([]string, len(CatalogueHeader)-n)...)
	}
	f, probs := newFields(rec, CatalogueHeader, catalogueColumns)
	if probs != nil {
		return CatalogueRow{}, probs
	}
	var r CatalogueRow
	r.Manufacturer = f.code("manufacturer")
	r.Model = f.code("model")
	r.ModelName = f.text("model_name", 200, false)
	r.DeviceType = f.deviceType("device_type")
	r.Generation = f.generation("generation")
	r.HardwareVersion = f.text("hardware_version", 64, true)
	r.Firmware = f.firmware("firmware")
	r.Released = f.date("firmware_released", false)
	r.ImageHash = f.hash("image_hash")
	c := &r.CPA
	if f.noCertificate() {
		// Firmware listed before its certificate is recorded.
		if f.probs != nil {
			slices.SortStableFunc(f.probs, func(a, b FieldError) int { return f.col[a.Field] - f.col[b.Field] })
			return CatalogueRow{}, f.probs
		}
		return r, nil
	}
	c.Reference = f.reference("cpa_reference")
	c.Issued = f.date("cpa_issued", true)
	switch kind := f.get("cpa_kind"); strings.ToLower(kind) {
	case string(CPAExpiring):
		c.Kind = CPAExpiring
		c.Expiry = f.date("cpa_expiry", true)
		f.mustBeEmpty("cpa_renewal", "an expiring certificate has an expiry date, not a renewal date")
	case string(CPALifetime):
		c.Kind = CPALifetime
		c.Renewal = f.date("cpa_renewal", true)
		f.mustBeEmpty("cpa_expiry", "a lifetime certificate has a renewal date, not an expiry date")
	default:
		f.problem("cpa_kind", "want expiring or lifetime")
	}
	c.Conditional = f.yesNo("cpa_conditional")
	if c.Conditional {
		c.Conditions = f.text("cpa_conditions", 4000, true)
		c.ConditionsDue = f.date("cpa_conditions_due", true)
	} else {
		f.mustBeEmpty("cpa_conditions", "only a conditional certificate has conditions")
		f.mustBeEmpty("cpa_conditions_due", "only a conditional certificate has a conditions due date")
	}
	c.Withdrawn = f.date("cpa_withdrawn", false)
	if f.get("cpa_withdrawn") != "" {
		if f.get("cpa_withdrawn_reason") == "" {
			f.problem("cpa_withdrawn_reason", "required with cpa_withdrawn: say why the certificate was withdrawn (a file without this column cannot withdraw a certificate)")
		} else {
			c.WithdrawnReason = f.text("cpa_withdrawn_reason", maxReason, false)
		}
	} else {
		f.mustBeEmpty("cpa_withdrawn_reason", "only a withdrawn certificate has a withdrawal reason")
	}
	if !c.Issued.IsZero() {
		f.after("cpa_expiry", c.Expiry, c.Issued, "after cpa_issued")
		f.after("cpa_renewal", c.Renewal, c.Issued, "after cpa_issued")
		f.notBefore("cpa_conditions_due", c.ConditionsDue, c.Issued, "on or after cpa_issued")
		f.notBefore("cpa_withdrawn", c.Withdrawn, c.Issued, "on or after cpa_issued")
	}
	if f.probs != nil {
		slices.SortStableFunc(f.probs, func(a, b FieldError) int { return f.col[a.Field] - f.col[b.Field] })
		return CatalogueRow{}, f.probs
	}
	return r, nil
}

// Record is the CSV record that ParseCatalogueRow reads back as r. A row
// with no certificate (an empty Reference) leaves every cpa_ column empty.
func (r CatalogueRow) Record() []string {
	c := r.CPA
	rec := []string{
		r.Manufacturer, r.Model, string(r.DeviceType), string(r.Generation), r.HardwareVersion,
		r.Firmware.String(), formatDate(r.Released), r.ImageHash,
		c.Reference, formatDate(c.Issued), string(c.Kind), formatDate(c.Expiry), formatDate(c.Renewal),
		yesNo(c.Conditional), c.Conditions, formatDate(c.ConditionsDue), formatDate(c.Withdrawn), c.WithdrawnReason,
		r.ModelName,
	}
	if c.Reference == "" {
		clear(rec[8:cpaEnd])
	}
	return rec
}

// noCertificate reports whether every cpa_ column is empty (cpa_conditional
// may say "no"): a firmware version with no CPA certificate recorded yet.
func (f *fields) noCertificate() bool {
	for _, name := range CatalogueHeader[8:cpaEnd] {
		if v := f.get(name); v != "" && !(name == "cpa_conditional" && strings.EqualFold(v, "no")) {
			return false
		}
	}
	return true
}

// DateLayout is how the CSV formats write dates.
const DateLayout = "2006-01-02"

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// fields reads the named fields of one record and collects problems.
type fields struct {
	rec   []string
	col   map[string]int
	probs []FieldError
}

var catalogueColumns = columns(CatalogueHeader)

// columns maps a header's names to their positions.
func columns(header []string) map[string]int {
	m := make(map[string]int, len(header))
	for i, name := range header {
		m[name] = i
	}
	return m
}

func newFields(rec, header []string, col map[string]int) (*fields, []FieldError) {
	if len(rec) != len(header) {
		return nil, []FieldError{{Problem: fmt.Sprintf("record has %d fields, want %d (%s)", len(rec), len(header), strings.Join(header, ","))}}
	}
	return &fields{rec: rec, col: col}, nil
}

func (f *fields) get(name string) string { return strings.TrimSpace(f.rec[f.col[name]]) }

func (f *fields) problem(name, msg string) {
	f.probs = append(f.probs, FieldError{Field: name, Value: f.get(name), Problem: msg})
}

func (f *fields) mustBeEmpty(name, why string) {
	if f.get(name) != "" {
		f.problem(name, "must be empty: "+why)
	}
}

// code reads an organisation or model code (see CheckCode).
func (f *fields) code(name string) string {
	s := f.get(name)
	if err := CheckCode(s); err != nil {
		f.problem(name, err.Error())
	}
	return s
}

// CheckCode reports why s is not a valid organisation or model code: every CSV
// format uses this rule. A code is 1 to 64 ASCII letters, digits, '-', '_' or
// '.': codes are keys, so nothing that needs quoting, trimming or case folding
// by locale.
func CheckCode(s string) error {
	if s == "" {
		return errors.New("required")
	}
	if len(s) > 64 {
		return errors.New("longer than 64 characters")
	}
	for _, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("%q is not allowed in a code (letters, digits, '-', '_', '.')", c)
		}
	}
	return nil
}

// reference reads a certificate reference: like a code, and '/' too.
func (f *fields) reference(name string) string {
	s := f.get(name)
	if err := CheckCode(strings.ReplaceAll(s, "/", "-")); err != nil {
		f.problem(name, strings.Replace(err.Error(), "'.')", "'.', '/')", 1))
	}
	return s
}

// text reads free text: no control characters but newline and tab.
func (f *fields) text(name string, maxLen int, required bool) string {
	s := f.get(name)
	switch {
	case s == "" && required:
		f.problem(name, "required")
	case len(s) > maxLen:
		f.problem(name, fmt.Sprintf("longer than %d bytes", maxLen))
	case strings.ContainsFunc(s, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' }):
		f.problem(name, "contains a control character")
	case !utfValid(s):
		f.problem(name, "is not valid UTF-8")
	}
	return s
}

func utfValid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func (f *fields) deviceType(name string) sec.DeviceType {
	t, err := sec.ParseDeviceType(f.get(name))
	if err != nil {
		f.problem(name, "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD")
	}
	return t
}

func (f *fields) generation(name string) sec.Generation {
	g, err := sec.ParseGeneration(f.get(name))
	if err != nil {
		f.problem(name, "want SMETS1 or SMETS2+")
	}
	return g
}

func (f *fields) firmware(name string) FirmwareVersion {
	s := f.get(name)
	if s == "" {
		f.problem(name, "required")
		return FirmwareVersion{}
	}
	v, err := ParseFirmwareVersion(s)
	if err != nil {
		// The problem already shows the text: drop its repetition.
		msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("firmware version %q", s))
		f.problem(name, strings.TrimPrefix(strings.TrimPrefix(msg, ":"), " "))
	}
	return v
}

func (f *fields) date(name string, required bool) time.Time {
	s := f.get(name)
	if s == "" {
		if required {
			f.problem(name, "required (YYYY-MM-DD)")
		}
		return time.Time{}
	}
	d, err := ParseDate(s)
	if err != nil {
		f.problem(name, err.Error())
	}
	return d
}

// ParseDate reads a YYYY-MM-DD date as UTC midnight, the way every date in the
// CSV formats is read. The error says what is wrong without repeating the text.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return time.Time{}, fmt.Errorf("not a date%s (want YYYY-MM-DD)", pe.Message)
		}
		return time.Time{}, fmt.Errorf("not a date (want YYYY-MM-DD)")
	}
	return d, nil
}

func (f *fields) after(name string, d, ref time.Time, want string) {
	if !d.IsZero() && !d.After(ref) {
		f.problem(name, "must be "+want)
	}
}

func (f *fields) notBefore(name string, d, ref time.Time, want string) {
	if !d.IsZero() && d.Before(ref) {
		f.problem(name, "must be "+want)
	}
}

func (f *fields) yesNo(name string) bool {
	switch strings.ToLower(f.get(name)) {
	case "yes":
		return true
	case "no":
		return false
	}
	f.problem(name, "want yes or no")
	return false
}

func (f *fields) hash(name string) string {
	s := f.get(name)
	if s == "" {
		return ""
	}
	if len(s) != 64 || !allHex(s) {
		f.problem(name, "want a SHA-256 hash as 64 hex digits")
		return ""
	}
	return strings.ToLower(s)
}

// CheckHeader reports how a CSV header differs from want, which it must match
// exactly and in order: missing, unexpected and repeated columns, or the order.
// A UTF-8 byte order mark (spreadsheets write one) and spaces around names are
// ignored. The estate formats use it too.
func CheckHeader(header, want []string) error {
	got := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		got[i] = strings.TrimSpace(h)
	}
	if slices.Equal(got, want) {
		return nil
	}
	var missing, unexpected, repeated []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	seen := map[string]bool{}
	for _, g := range got {
		switch {
		case !slices.Contains(want, g):
			unexpected = append(unexpected, fmt.Sprintf("%q", g))
		case seen[g]:
			repeated = append(repeated, g)
		}
		seen[g] = true
	}
	var msg []string
	if missing != nil {
		msg = append(msg, "missing columns "+strings.Join(missing, ", "))
	}
	if unexpected != nil {
		msg = append(msg, "unexpected columns "+strings.Join(unexpected, ", "))
	}
	if repeated != nil {
		msg = append(msg, "repeated columns "+strings.Join(repeated, ", "))
	}
	if msg == nil {
		msg = append(msg, "columns out of order")
	}
	return fmt.Errorf("header: %s; want exactly %s", strings.Join(msg, "; "), strings.Join(want, ","))
}
