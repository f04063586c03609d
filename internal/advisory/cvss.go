package advisory

import (
	"fmt"
	"math"
	"strings"

	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/metersec/metersec/internal/errs"
)

// CVSS is a parsed and scored CVSS vector.
type CVSS struct {
	Version string `json:"version"` // "3.1" or "4.0"
	// Vector is the normalised vector: metrics in the specification's order,
	// metrics set to X (Not Defined) left out. Two spellings of the same
	// assessment normalise to the same string.
	Vector string `json:"vector"`
	// Score is the v3.1 base score, or the v4.0 score of whatever metric
	// groups the vector carries (CVSS-B, -BT, -BE or -BTE, see Nomenclature),
	// as go-cvss computes it. One decimal place.
	Score float64 `json:"score"`
	// Severity is the qualitative rating of Score: None, Low, Medium, High or
	// Critical.
	Severity string `json:"severity"`
	// Nomenclature names what a v4.0 Score covers (CVSS-B, CVSS-BT, CVSS-BE,
	// CVSS-BTE); v3.1 scores are always base scores and leave it empty.
	Nomenclature string `json:"nomenclature,omitempty"`
}

// metric is one metric of a CVSS version: its abbreviation, its name for
// messages, the values it takes, and whether a vector must carry it.
type metric struct {
	abv       string
	name      string
	values    []string
	mandatory bool
}

// The metric tables, in the specification's order (CVSS v3.1 §6 Table 15 and
// CVSS v4.0 §7 Table 23). The normalised vector follows this order.
var (
	metrics31 = []metric{
		{"AV", "Attack Vector", []string{"N", "A", "L", "P"}, true},
		{"AC", "Attack Complexity", []string{"L", "H"}, true},
		{"PR", "Privileges Required", []string{"N", "L", "H"}, true},
		{"UI", "User Interaction", []string{"N", "R"}, true},
		{"S", "Scope", []string{"U", "C"}, true},
		{"C", "Confidentiality", []string{"H", "L", "N"}, true},
		{"I", "Integrity", []string{"H", "L", "N"}, true},
		{"A", "Availability", []string{"H", "L", "N"}, true},
		{"E", "Exploit Code Maturity", []string{"X", "H", "F", "P", "U"}, false},
		{"RL", "Remediation Level", []string{"X", "U", "W", "T", "O"}, false},
		{"RC", "Report Confidence", []string{"X", "C", "R", "U"}, false},
		{"CR", "Confidentiality Requirement", []string{"X", "H", "M", "L"}, false},
		{"IR", "Integrity Requirement", []string{"X", "H", "M", "L"}, false},
		{"AR", "Availability Requirement", []string{"X", "H", "M", "L"}, false},
		{"MAV", "Modified Attack Vector", []string{"X", "N", "A", "L", "P"}, false},
		{"MAC", "Modified Attack Complexity", []string{"X", "L", "H"}, false},
		{"MPR", "Modified Privileges Required", []string{"X", "N", "L", "H"}, false},
		{"MUI", "Modified User Interaction", []string{"X", "N", "R"}, false},
		{"MS", "Modified Scope", []string{"X", "U", "C"}, false},
		{"MC", "Modified Confidentiality", []string{"X", "H", "L", "N"}, false},
		{"MI", "Modified Integrity", []string{"X", "H", "L", "N"}, false},
		{"MA", "Modified Availability", []string{"X", "H", "L", "N"}, false},
	}
	metrics40 = []metric{
		{"AV", "Attack Vector", []string{"N", "A", "L", "P"}, true},
		{"AC", "Attack Complexity", []string{"L", "H"}, true},
		{"AT", "Attack Requirements", []string{"N", "P"}, true},
		{"PR", "Privileges Required", []string{"N", "L", "H"}, true},
		{"UI", "User Interaction", []string{"N", "P", "A"}, true},
		{"VC", "Vulnerable System Confidentiality", []string{"H", "L", "N"}, true},
		{"VI", "Vulnerable System Integrity", []string{"H", "L", "N"}, true},
		{"VA", "Vulnerable System Availability", []string{"H", "L", "N"}, true},
		{"SC", "Subsequent System Confidentiality", []string{"H", "L", "N"}, true},
		{"SI", "Subsequent System Integrity", []string{"H", "L", "N"}, true},
		{"SA", "Subsequent System Availability", []string{"H", "L", "N"}, true},
		{"E", "Exploit Maturity", []string{"X", "A", "P", "U"}, false},
		{"CR", "Confidentiality Requirement", []string{"X", "H", "M", "L"}, false},
		{"IR", "Integrity Requirement", []string{"X", "H", "M", "L"}, false},
		{"AR", "Availability Requirement", []string{"X", "H", "M", "L"}, false},
		{"MAV", "Modified Attack Vector", []string{"X", "N", "A", "L", "P"}, false},
		{"MAC", "Modified Attack Complexity", []string{"X", "L", "H"}, false},
		{"MAT", "Modified Attack Requirements", []string{"X", "N", "P"}, false},
		{"MPR", "Modified Privileges Required", []string{"X", "N", "L", "H"}, false},
		{"MUI", "Modified User Interaction", []string{"X", "N", "P", "A"}, false},
		{"MVC", "Modified Vulnerable System Confidentiality", []string{"X", "H", "L", "N"}, false},
		{"MVI", "Modified Vulnerable System Integrity", []string{"X", "H", "L", "N"}, false},
		{"MVA", "Modified Vulnerable System Availability", []string{"X", "H", "L", "N"}, false},
		{"MSC", "Modified Subsequent System Confidentiality", []string{"X", "H", "L", "N"}, false},
		{"MSI", "Modified Subsequent System Integrity", []string{"X", "S", "H", "L", "N"}, false},
		{"MSA", "Modified Subsequent System Availability", []string{"X", "S", "H", "L", "N"}, false},
		{"S", "Safety", []string{"X", "N", "P"}, false},
		{"AU", "Automatable", []string{"X", "N", "Y"}, false},
		{"R", "Recovery", []string{"X", "A", "U", "I"}, false},
		{"V", "Value Density", []string{"X", "D", "C"}, false},
		{"RE", "Vulnerability Response Effort", []string{"X", "L", "M", "H"}, false},
		{"U", "Provider Urgency", []string{"X", "Clear", "Green", "Amber", "Red"}, false},
	}
)

// maxVectorLen bounds the input: the longest valid v4.0 vector, every metric
// set, is under 200 bytes. Anything far longer is not a vector, and the bound
// keeps error messages and work small.
const maxVectorLen = 512

// ParseCVSS reads a CVSS v3.1 vector ("CVSS:3.1/AV:N/…") or v4.0 vector
// ("CVSS:4.0/AV:N/…"), checks it metric by metric and scores it.
//
// Metrics may come in any order: v3.1 allows it outright and the v4.0
// specification contradicts itself on the point, so being strict would only
// reject real advisories. The normalised Vector puts them in order.
//
// CVSS v3.0 and v2 vectors are rejected: their scores are not comparable with
// v3.1, and a metersec vulnerability should be rescored rather than carry one.
// Errors are *errs.Error with code Invalid, naming what is wrong.
func ParseCVSS(vector string) (CVSS, error) {
	v := strings.TrimSpace(vector)
	if v == "" {
		return CVSS{}, cvssErr("empty vector")
	}
	if len(v) > maxVectorLen {
		return CVSS{}, cvssErr("vector is %d bytes long; a CVSS vector is under %d", len(v), maxVectorLen)
	}
	prefix, rest, _ := strings.Cut(v, "/")
	var version string
	var table []metric
	switch prefix {
	case "CVSS:3.1":
		version, table = "3.1", metrics31
	case "CVSS:4.0":
		version, table = "4.0", metrics40
	case "CVSS:3.0":
		return CVSS{}, cvssErr("CVSS v3.0 is not supported: rescore the vulnerability with CVSS v3.1 or v4.0")
	default:
		if strings.HasPrefix(prefix, "CVSS:") {
			return CVSS{}, cvssErr("unknown CVSS version %q: want CVSS:3.1 or CVSS:4.0", strings.TrimPrefix(prefix, "CVSS:"))
		}
		if looksLikeV2(v) {
			return CVSS{}, cvssErr("CVSS v2 vectors are not supported: rescore the vulnerability with CVSS v3.1 or v4.0")
		}
		return CVSS{}, cvssErr("vector must start with CVSS:3.1/ or CVSS:4.0/")
	}

	if rest == "" {
		return CVSS{}, cvssErr("no metrics after %s/", prefix)
	}
	values := make(map[string]string, len(table))
	for i, part := range strings.Split(rest, "/") {
		if part == "" {
			return CVSS{}, cvssErr("empty metric at position %d (a doubled or trailing '/')", i+1)
		}
		abv, val, ok := strings.Cut(part, ":")
		if !ok || val == "" {
			return CVSS{}, cvssErr("metric %q has no value: write METRIC:VALUE, for example AV:N", part)
		}
		m, found := findMetric(table, abv)
		if !found {
			return CVSS{}, cvssErr("unknown metric %q in a CVSS v%s vector", abv, version)
		}
		if !contains(m.values, val) {
			return CVSS{}, cvssErr("unknown value %q for metric %s (%s): want one of %s", val, m.abv, m.name, strings.Join(m.values, ", "))
		}
		if _, dup := values[abv]; dup {
			return CVSS{}, cvssErr("metric %s (%s) appears more than once", m.abv, m.name)
		}
		values[abv] = val
	}
	var missing []string
	for _, m := range table {
		if m.mandatory && values[m.abv] == "" {
			missing = append(missing, fmt.Sprintf("%s (%s)", m.abv, m.name))
		}
	}
	if len(missing) == 1 {
		return CVSS{}, cvssErr("missing mandatory metric %s", missing[0])
	}
	if len(missing) > 1 {
		return CVSS{}, cvssErr("missing mandatory metrics %s", strings.Join(missing, ", "))
	}

	// go-cvss wants v4.0 metrics in order, so it is handed the normalised
	// vector; every metric and value has been checked above.
	var b strings.Builder
	b.WriteString(prefix)
	for _, m := range table {
		if val := values[m.abv]; val != "" && val != "X" {
			b.WriteString("/" + m.abv + ":" + val)
		}
	}
	norm := b.String()

	c := CVSS{Version: version}
	var severity string
	switch version {
	case "3.1":
		p, err := gocvss31.ParseVector(norm)
		if err != nil {
			return CVSS{}, errs.Wrap(fmt.Errorf("go-cvss rejected checked vector %q: %w", norm, err), "cvss")
		}
		c.Vector = p.Vector()
		c.Score = round1(p.BaseScore())
		severity, err = gocvss31.Rating(c.Score)
		if err != nil {
			return CVSS{}, errs.Wrap(err, "cvss rating")
		}
	case "4.0":
		p, err := gocvss40.ParseVector(norm)
		if err != nil {
			return CVSS{}, errs.Wrap(fmt.Errorf("go-cvss rejected checked vector %q: %w", norm, err), "cvss")
		}
		c.Vector = p.Vector()
		c.Score = round1(p.Score())
		c.Nomenclature = p.Nomenclature()
		severity, err = gocvss40.Rating(c.Score)
		if err != nil {
			return CVSS{}, errs.Wrap(err, "cvss rating")
		}
	}
	c.Severity = titleCase(severity)
	return c, nil
}

func cvssErr(format string, args ...any) error {
	return errs.E(errs.Invalid, "CVSS vector: "+format, args...)
}

func findMetric(table []metric, abv string) (metric, bool) {
	for _, m := range table {
		if m.abv == abv {
			return m, true
		}
	}
	return metric{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// looksLikeV2 recognises a CVSS v2 base vector, which has no prefix and spells
// Authentication "Au": "AV:N/AC:L/Au:N/C:C/I:C/A:C", sometimes in parentheses.
func looksLikeV2(v string) bool {
	v = strings.TrimPrefix(v, "(")
	return strings.HasPrefix(v, "AV:") && strings.Contains(v, "/Au:")
}

// round1 rounds to one decimal place, removing binary noise such as
// 9.800000000000001 so scores print and compare as the specification writes
// them.
func round1(f float64) float64 { return math.Round(f*10) / 10 }

// titleCase turns go-cvss's "CRITICAL" into "Critical".
func titleCase(s string) string {
	if s == "" {
		return s
	}
	return s[:1] + strings.ToLower(s[1:])
}
