package generate

// The parties CSV format lives here until the party package takes it over; it
// depends on nothing else in the module but sec, so it can move as it is.

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/metersec/metersec/internal/sec"
)

// PartyHeader is the header of a parties CSV file, one row per organisation:
//
//	code,name,roles,contact_name,contact_email,contact_phone
//	ALDM,Aldermoor Energy,large_supplier,Priya Ashdown,security@aldm.example,01632 960412
//	KLNW,Kilnworth Devices,manufacturer;triage_facility_provider,Rhys Orchard,security@klnw.example,
//
// code is the organisation code other files refer to (1 to 64 ASCII letters,
// digits, '-', '_', '.'); roles is a ';'-separated list of sec.OrgRole codes (a
// role's label is accepted too, and written back as its code). contact_name
// and contact_email are the current security contact; contact_phone is
// optional.
var PartyHeader = []string{"code", "name", "roles", "contact_name", "contact_email", "contact_phone"}

// PartyRow is one record of a parties CSV file: see PartyHeader.
type PartyRow struct {
	Code         string
	Name         string
	Roles        []sec.OrgRole
	ContactName  string
	ContactEmail string
	ContactPhone string // "" when not given
}

// FieldError is one problem with one field of a parties CSV record, the same
// shape as catalogue.FieldError.
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

// CheckPartyHeader reports how header differs from PartyHeader, which it must
// match exactly and in order. A UTF-8 byte order mark and spaces around names
// are ignored.
func CheckPartyHeader(header []string) error {
	got := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		got[i] = strings.TrimSpace(h)
	}
	if slices.Equal(got, PartyHeader) {
		return nil
	}
	var msg []string
	var missing, unexpected []string
	for _, w := range PartyHeader {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(PartyHeader, g) {
			unexpected = append(unexpected, fmt.Sprintf("%q", g))
		}
	}
	if missing != nil {
		msg = append(msg, "missing columns "+strings.Join(missing, ", "))
	}
	if unexpected != nil {
		msg = append(msg, "unexpected columns "+strings.Join(unexpected, ", "))
	}
	if msg == nil {
		msg = append(msg, "columns out of order or repeated")
	}
	return fmt.Errorf("header: %s; want exactly %s", strings.Join(msg, "; "), strings.Join(PartyHeader, ","))
}

// ParsePartyRow reads one record of a parties CSV file. Fields are trimmed of
// surrounding spaces. On any problem the row is the zero value and the problems
// name their fields, in column order.
func ParsePartyRow(rec []string) (PartyRow, []FieldError) {
	if len(rec) != len(PartyHeader) {
		return PartyRow{}, []FieldError{{Problem: fmt.Sprintf("record has %d fields, want %d (%s)", len(rec), len(PartyHeader), strings.Join(PartyHeader, ","))}}
	}
	var probs []FieldError
	get := func(i int) string { return strings.TrimSpace(rec[i]) }
	problem := func(i int, msg string) {
		probs = append(probs, FieldError{Field: PartyHeader[i], Value: get(i), Problem: msg})
	}
	text := func(i int, required bool) string {
		s := get(i)
		switch {
		case s == "" && required:
			problem(i, "required")
		case len(s) > 200:
			problem(i, "longer than 200 bytes")
		case strings.ContainsFunc(s, unicode.IsControl):
			problem(i, "contains a control character")
		case strings.ToValidUTF8(s, "\uFFFD") != s:
			problem(i, "is not valid UTF-8")
		}
		return s
	}

	r := PartyRow{Code: get(0)}
	if msg := checkCode(r.Code); msg != "" {
		problem(0, msg)
	}
	r.Name = text(1, true)
	if roles := get(2); roles == "" {
		problem(2, "required: at least one role")
	} else {
		for part := range strings.SplitSeq(roles, ";") {
			role, err := sec.ParseOrgRole(part)
			switch {
			case err != nil:
				problem(2, fmt.Sprintf("unknown role %q (one of %s)", strings.TrimSpace(part), roleCodes()))
			case slices.Contains(r.Roles, role):
				problem(2, fmt.Sprintf("role %s given twice", role))
			default:
				r.Roles = append(r.Roles, role)
			}
		}
	}
	r.ContactName = text(3, true)
	r.ContactEmail = text(4, true)
	if r.ContactEmail != "" && !plausibleEmail(r.ContactEmail) {
		problem(4, "not an email address (want name@domain)")
	}
	r.ContactPhone = text(5, false)
	if r.ContactPhone != "" && !plausiblePhone(r.ContactPhone) {
		problem(5, "not a phone number (digits, spaces, + ( ) -, at least 6 digits)")
	}
	if probs != nil {
		return PartyRow{}, probs
	}
	return r, nil
}

// Record is the CSV record that ParsePartyRow reads back as r.
func (r PartyRow) Record() []string {
	roles := make([]string, len(r.Roles))
	for i, role := range r.Roles {
		roles[i] = string(role)
	}
	return []string{r.Code, r.Name, strings.Join(roles, ";"), r.ContactName, r.ContactEmail, r.ContactPhone}
}

func roleCodes() string {
	codes := make([]string, len(sec.OrgRoles))
	for i, r := range sec.OrgRoles {
		codes[i] = string(r)
	}
	return strings.Join(codes, ", ")
}

// checkCode is catalogue.CheckCode's rule, repeated so this file stands alone.
func checkCode(s string) string {
	if s == "" {
		return "required"
	}
	if len(s) > 64 {
		return "longer than 64 characters"
	}
	for _, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Sprintf("%q is not allowed in a code (letters, digits, '-', '_', '.')", c)
		}
	}
	return ""
}

// plausibleEmail checks the shape only: one '@', something before it, a dotted
// domain after it, no spaces. Deliverability is the mail system's business.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.Contains(domain, "@") &&
		strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		!strings.ContainsFunc(s, unicode.IsSpace)
}

func plausiblePhone(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case strings.ContainsRune(" +()-", c):
		default:
			return false
		}
	}
	return digits >= 6
}
