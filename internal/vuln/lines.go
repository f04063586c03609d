package vuln

import (
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/errs"
)

// ParseAffectedLines reads affected ranges written one per line, as a person
// types them in a form and as Range.String prints them:
//
//	E1 >=1.0 <2.0      introduced 1.0, fixed in 2.0
//	E1 >=1.0 <=1.2     introduced 1.0, last affected 1.2
//	CH                 every version ("all versions" may follow)
//
// The first word is the model code; the bounds may come in any order. Blank
// lines and lines starting with # are skipped. Every problem is reported,
// with its line; the bounds themselves are checked with the catalogue when
// the report is made.
func ParseAffectedLines(text string) ([]AffectedInput, error) {
	var out []AffectedInput
	col := errs.Collector{Limit: 50}
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		a := AffectedInput{Model: words[0]}
		rest := words[1:]
		if len(rest) == 2 && strings.EqualFold(rest[0], "all") && strings.EqualFold(rest[1], "versions") {
			rest = nil
		}
		ok := true
		for _, w := range rest {
			var dst *string
			var v string
			switch {
			case strings.HasPrefix(w, ">="):
				dst, v = &a.Introduced, w[2:]
			case strings.HasPrefix(w, "<="):
				dst, v = &a.LastAffected, w[2:]
			case strings.HasPrefix(w, "<"):
				dst, v = &a.Fixed, w[1:]
			default:
				col.Add(errs.Field{Line: n, Field: "affected", Message: fmt.Sprintf("%q: write a bound as >=INTRODUCED, <FIXED or <=LAST_AFFECTED", w)})
				ok = false
				continue
			}
			switch {
			case v == "":
				col.Add(errs.Field{Line: n, Field: "affected", Message: fmt.Sprintf("%q has no version after it", w)})
				ok = false
			case *dst != "":
				col.Add(errs.Field{Line: n, Field: "affected", Message: fmt.Sprintf("%q repeats a bound", w)})
				ok = false
			default:
				*dst = v
			}
		}
		if ok {
			out = append(out, a)
		}
		if len(out) > maxRanges {
			return nil, errs.FieldError("affected", "more than %d ranges", maxRanges)
		}
	}
	if err := col.Err("the affected products cannot be read"); err != nil {
		return nil, err
	}
	return out, nil
}

// FormatAffected writes ranges back as ParseAffectedLines reads them.
func FormatAffected(as []Affected) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Model.Code)
		if a.Introduced != "" {
			b.WriteString(" >=" + a.Introduced)
		}
		if a.Fixed != "" {
			b.WriteString(" <" + a.Fixed)
		}
		if a.LastAffected != "" {
			b.WriteString(" <=" + a.LastAffected)
		}
		b.WriteString("\n")
	}
	return b.String()
}
