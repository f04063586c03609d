package vuln_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/vuln"
)

func TestParseAffectedLines(t *testing.T) {
	got, err := vuln.ParseAffectedLines("# Ardent\nE1 >=1.0 <2.0\n\n  CH all versions \nS1 <=3.1 >=3.0\nIHD")
	if err != nil {
		t.Fatal(err)
	}
	want := []vuln.AffectedInput{{Model: "E1", Introduced: "1.0", Fixed: "2.0"}, {Model: "CH"},
		{Model: "S1", Introduced: "3.0", LastAffected: "3.1"}, {Model: "IHD"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v", got)
	}
	_, err = vuln.ParseAffectedLines("E1 1.0\nE1 >=1.0 >=1.1\nE1 <")
	e := errs.As(err)
	if e.Code != errs.Invalid || len(e.Fields) != 3 || e.Fields[0].Line != 1 || e.Fields[1].Line != 2 || e.Fields[2].Line != 3 {
		t.Errorf("want one problem per bad line: %v", err)
	}
}

// FuzzParseAffectedLines: whatever a form sends, the parser answers with
// ranges or an Invalid error, never a panic, and what it reads prints back
// to the same ranges.
func FuzzParseAffectedLines(f *testing.F) {
	for _, s := range []string{"E1 >=1.0 <2.0", "CH all versions", "S1 <=3.1 >=3.0\nIHD", "# x\n\n", "E1 <", "a >=0x0100 <0x0200", "E1 >= 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		as, err := vuln.ParseAffectedLines(s)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("error code %s: %v", errs.CodeOf(err), err)
			}
			return
		}
		var views []vuln.Affected
		for _, a := range as {
			if a.Model == "" || strings.ContainsAny(a.Model, " \t\n") {
				t.Fatalf("model %q", a.Model)
			}
			views = append(views, vuln.Affected{Model: vuln.ModelRef{Code: a.Model}, Introduced: a.Introduced, Fixed: a.Fixed, LastAffected: a.LastAffected})
			// Bounds the catalogue accepts make a range or a clear error.
			if _, err := catalogue.NewRange(a.Introduced, a.Fixed, a.LastAffected); err == nil && !utf8.ValidString(a.Introduced) {
				t.Fatalf("invalid UTF-8 accepted as a version: %q", a.Introduced)
			}
		}
		again, err := vuln.ParseAffectedLines(vuln.FormatAffected(views))
		if err != nil || !slices.Equal(again, as) {
			t.Fatalf("round trip of %q: %+v %v, want %+v", s, again, err, as)
		}
	})
}
