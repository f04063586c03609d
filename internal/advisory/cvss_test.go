package advisory

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
)

func TestParseCVSS(t *testing.T) {
	// v3.1 scores computed by hand from the CVSS v3.1 specification §7.1
	// (base equations, Roundup of Appendix A). v4.0 scores are the FIRST
	// calculator's, as published with the specification's examples.
	tests := []struct {
		name     string
		in       string
		vector   string
		score    float64
		severity string
		nomen    string
	}{
		{"v3.1 network, no privileges, full impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical", ""},
		{"v3.1 scope changed caps at 10", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "Critical", ""},
		{"v3.1 local, low privileges", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
			"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "High", ""},
		{"v3.1 scope changed, low impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "Medium", ""},
		{"v3.1 physical access to a meter", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
			"CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", 6.1, "Medium", ""},
		{"v3.1 HAN-adjacent, scope changed", "CVSS:3.1/AV:A/AC:H/PR:L/UI:N/S:C/C:L/I:L/A:L",
			"CVSS:3.1/AV:A/AC:H/PR:L/UI:N/S:C/C:L/I:L/A:L", 5.5, "Medium", ""},
		{"v3.1 low", "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
			"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "Low", ""},
		{"v3.1 no impact is None", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "None", ""},
		{"v3.1 any order normalises, X dropped, base score kept", "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:X/RL:O",
			"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RL:O", 9.8, "Critical", ""},
		{"v3.1 surrounding space trimmed", "  CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\n",
			"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 6.5, "Medium", ""},
		{"v4.0 vulnerable system only", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "Critical", "CVSS-B"},
		{"v4.0 all high", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, "Critical", "CVSS-B"},
		{"v4.0 low impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, "Medium", "CVSS-B"},
		{"v4.0 no impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, "None", "CVSS-B"},
		{"v4.0 threat metric lowers the score (CVSS-BT)", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 9.1, "Critical", "CVSS-BT"},
		{"v4.0 physical, hard", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
			"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0, "Low", "CVSS-B"},
		{"v4.0 out of order with supplemental, normalised", "CVSS:4.0/U:Amber/SA:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/E:X",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Amber", 9.3, "Critical", "CVSS-B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCVSS(tt.in)
			if err != nil {
				t.Fatalf("ParseCVSS(%q): %v", tt.in, err)
			}
			if c.Vector != tt.vector || c.Score != tt.score || c.Severity != tt.severity || c.Nomenclature != tt.nomen {
				t.Errorf("ParseCVSS(%q) = %+v\nwant vector %s score %.1f %s %q", tt.in, c, tt.vector, tt.score, tt.severity, tt.nomen)
			}
			if want := tt.vector[5:8]; c.Version != want {
				t.Errorf("Version = %q, want %q", c.Version, want)
			}
			// The normalised vector is a fixed point.
			again, err := ParseCVSS(c.Vector)
			if err != nil || again != c {
				t.Errorf("reparse of %q = %+v, %v", c.Vector, again, err)
			}
		})
	}
}

func TestParseCVSSRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty vector"},
		{"v3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS v3.0 is not supported"},
		{"v2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", "CVSS v2 vectors are not supported"},
		{"v2 in parentheses", "(AV:N/AC:L/Au:N/C:C/I:C/A:C)", "CVSS v2 vectors are not supported"},
		{"unknown version", "CVSS:5.0/AV:N", `unknown CVSS version "5.0"`},
		{"no prefix", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with CVSS:3.1/ or CVSS:4.0/"},
		{"prefix only", "CVSS:3.1", "no metrics after CVSS:3.1/"},
		{"prefix and slash only", "CVSS:4.0/", "no metrics after CVSS:4.0/"},
		{"v3.1 missing one", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "missing mandatory metric S (Scope)"},
		{"v4.0 missing several", "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "missing mandatory metrics AT (Attack Requirements), SA (Subsequent System Availability)"},
		{"v3.1 unknown value", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `unknown value "Q" for metric AV (Attack Vector): want one of N, A, L, P`},
		{"v3.1 value of another version", "CVSS:3.1/AV:N/AC:L/PR:N/UI:P/S:U/C:H/I:H/A:H", `unknown value "P" for metric UI (User Interaction)`},
		{"v4.0 X not allowed in base", "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", `unknown value "X" for metric AV`},
		{"v4.0 MSC has no S", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S", `unknown value "S" for metric MSC`},
		{"values are case sensitive", "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `unknown value "n" for metric AV`},
		{"v3.1 duplicate", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric AV (Attack Vector) appears more than once"},
		{"v3.1 metric of v4.0", "CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/S:U/C:H/I:H/A:H", `unknown metric "AT" in a CVSS v3.1 vector`},
		{"v4.0 metric of v3.1", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O", `unknown metric "RL" in a CVSS v4.0 vector`},
		{"trailing slash", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "empty metric at position 9"},
		{"no colon", "CVSS:3.1/AV/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `metric "AV" has no value`},
		{"too long", "CVSS:3.1/" + strings.Repeat("AV:N/", 200), "bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCVSS(tt.in)
			if err == nil {
				t.Fatalf("ParseCVSS(%q) = %+v, want an error containing %q", tt.in, c, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCVSS(%q) error %q, want it to contain %q", tt.in, err, tt.want)
			}
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("error code = %s, want invalid", errs.CodeOf(err))
			}
		})
	}
}

var cvssSeeds = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/IR:M/AR:L/MAV:A/MAC:H/MPR:L/MUI:R/MS:C/MC:L/MI:N/MA:H",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber",
	"CVSS:4.0/SA:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
	"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"AV:N/AC:L/Au:N/C:C/I:C/A:C",
	"CVSS:3.1/AV:N//",
	"CVSS:4.0/AV:N/AV:N",
	"",
}

// FuzzParseCVSS checks that ParseCVSS never panics, that everything it
// accepts normalises to a fixed point, and that scores stay in range.
func FuzzParseCVSS(f *testing.F) {
	for _, s := range cvssSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCVSS(in)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ParseCVSS(%q): error not Invalid: %v", in, err)
			}
			return
		}
		if c.Score < 0 || c.Score > 10 {
			t.Fatalf("ParseCVSS(%q) score %v out of range", in, c.Score)
		}
		again, err := ParseCVSS(c.Vector)
		if err != nil || again != c {
			t.Fatalf("ParseCVSS(%q) = %+v; reparse of the vector = %+v, %v", in, c, again, err)
		}
	})
}
