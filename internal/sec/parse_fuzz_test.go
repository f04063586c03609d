package sec

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseDate: every date typed in a form, a query, a JSON body or a CLI
// flag goes through ParseDate. Never a panic; what it accepts is exactly the
// text it writes back (YYYY-MM-DD, a real day), UnmarshalText agrees with it,
// and a refusal quotes what was typed.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-02", "2024-02-29", "2023-02-29", "2024-13-01", "0000-01-01", "9999-12-31",
		"2024-1-02", " 2024-01-02", "2024-01-02\n", "２０２４-01-02", "", "2024/01/02", "+024-01-02", "-024-01-02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		var u Date
		uerr := u.UnmarshalText([]byte(s))
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("%q refused (%v) but gave %v", s, err, d)
			}
			if s != "" && uerr == nil {
				t.Fatalf("%q refused by ParseDate (%v) but read by UnmarshalText as %v", s, err, u)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("%q read as %v, written back as %q", s, d, d.String())
		}
		if uerr != nil || u != d {
			t.Fatalf("%q: ParseDate %v, UnmarshalText %v (%v)", s, d, u, uerr)
		}
		if again := NewDate(d.year, d.month, d.day); again != d {
			t.Fatalf("%q: %v is not a real day (normalises to %v)", s, d, again)
		}
		if b, _ := d.MarshalText(); string(b) != s {
			t.Fatalf("%q marshals as %q", s, b)
		}
	})
}

// FuzzParseVersion: an SEC version label from settings, a CLI flag or a
// form. Never a panic; an accepted label is never 0.0, its canonical text
// reads back as the same version, and UnmarshalText agrees with ParseVersion.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"5.20", "v5.20", "V5.20", " 5.20 ", "5.05", "0.0", "5", "5.", ".20", "5.20.1", "99999999999999999999.1",
		"5.-1", "+5.20", "٥.٢٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		var u Version
		uerr := u.UnmarshalText([]byte(s))
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("%q refused (%v) but gave %v", s, err, v)
			}
			if s != "" && uerr == nil {
				t.Fatalf("%q refused by ParseVersion but read by UnmarshalText as %v", s, u)
			}
			return
		}
		if v.IsZero() || v.Major < 0 || v.Minor < 0 {
			t.Fatalf("%q accepted as %+v", s, v)
		}
		if uerr != nil || u != v {
			t.Fatalf("%q: ParseVersion %v, UnmarshalText %v (%v)", s, v, u, uerr)
		}
		again, err := ParseVersion(v.String())
		if err != nil || again != v {
			t.Fatalf("%q → %q → %v, %v", s, v.String(), again, err)
		}
	})
}

// FuzzParseEnums: every closed list read from outside (roles, organisation
// roles, colours, device types, generations, agenda item types, decision
// verbs, triage steps, boundary states, breach policies, assessment types,
// Assurance Statuses). Never a panic; what a parser accepts is a member of
// its list, and the member's own text reads back as itself.
func FuzzParseEnums(f *testing.F) {
	for _, s := range []string{"ssc", "SSC member", "large_supplier", "tlp:clear", "RED", "type 2", "SMETS2+", "2+", "AGREED",
		"received", "intact", "", "allow", "FUSA", "approved_subject_to", "\u212a", "ſsc", "TLP:", "  amber  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEnum(t, s, ParseRole, Roles)
		checkEnum(t, s, ParseOrgRole, OrgRoles)
		checkEnum(t, s, ParseClassification, Classifications)
		checkEnum(t, s, ParseDeviceType, DeviceTypes)
		checkEnum(t, s, ParseGeneration, []Generation{SMETS1, SMETS2})
		checkEnum(t, s, ParseItemType, ItemTypes)
		checkEnum(t, s, ParseVerb, Verbs)
		checkEnum(t, s, ParseTriageStep, TriageSteps)
		checkEnum(t, s, ParseBoundary, []Boundary{BoundaryIntact, BoundaryBreached})
		checkEnum(t, s, ParseBreachPolicy, []BreachPolicy{BreachBlocks, BreachAllowed})
		checkEnum(t, s, ParseAssessmentType, AssessmentTypes)
		checkEnum(t, s, ParseAssuranceStatus, AssuranceStatuses)
	})
}

func checkEnum[T ~string](t *testing.T, s string, parse func(string) (T, error), members []T) {
	t.Helper()
	v, err := parse(s)
	if err != nil {
		if v != "" {
			t.Fatalf("%q refused (%v) but gave %q", s, err, v)
		}
		if err.Error() == "" {
			t.Fatalf("%q refused without a reason", s)
		}
		return
	}
	found := false
	for _, m := range members {
		found = found || m == v
	}
	if !found {
		t.Fatalf("%q accepted as %q, which is not in %q", s, v, members)
	}
	again, err := parse(string(v))
	if err != nil || again != v {
		t.Fatalf("%q → %q → %q, %v", s, v, again, err)
	}
}
