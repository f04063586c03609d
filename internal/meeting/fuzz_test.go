package meeting

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/errs"
)

// FuzzParseNumber: a meeting number from a URL path or a CLI argument. Never
// a panic; a refusal is a field error on "number"; what is accepted is
// positive and its own decimal text reads back as the same number.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1", "42", " 7 ", "0", "-3", "+5", "007", "1e3", "9223372036854775807", "9223372036854775808", "", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			e := errs.As(err)
			if e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "number" {
				t.Fatalf("%q: %v is not a field error on number", s, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("%q accepted as %d", s, n)
		}
		again, err := ParseNumber(strconv.Itoa(n))
		if err != nil || again != n {
			t.Fatalf("%q → %d → %d, %v", s, n, again, err)
		}
	})
}

// FuzzCheckText: an agenda item's title and free text. Never a panic; the
// value comes back trimmed; it is refused exactly when it is required and
// blank, not valid UTF-8, holds a NUL (PostgreSQL stores neither) or is
// longer than maxText, and the refusal names the field.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"Minutes of the last meeting", "  padded  ", "", " \t\n", "Café"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, required bool) {
		var fields []errs.Field
		got := checkText(&fields, "title", s, required)
		if got != strings.TrimSpace(s) {
			t.Fatalf("%q came back as %q", s, got)
		}
		bad := required && got == "" || !utf8.ValidString(got) || strings.ContainsRune(got, 0) || len(got) > maxText
		if bad != (len(fields) > 0) {
			t.Fatalf("%q (required %v): problems %v", s, required, fields)
		}
		for _, fe := range fields {
			if fe.Field != "title" || fe.Message == "" {
				t.Fatalf("%q: problem %+v", s, fe)
			}
		}
	})
}
