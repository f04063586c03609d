package estate

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/sec"
)

// TestLimitsCheckDate tests both sides of both bounds.
func TestLimitsCheckDate(t *testing.T) {
	l := Limits{Earliest: sec.NewDate(2011, 1, 1), DaysAhead: 366, ClaimsPerDay: 50}
	today := sec.NewDate(2026, 12, 5)
	for _, c := range []struct {
		name string
		d    sec.Date
		want string
	}{
		{"the day before the earliest", sec.NewDate(2010, 12, 31), "before 2011-01-01"},
		{"the earliest day", sec.NewDate(2011, 1, 1), ""},
		{"today", today, ""},
		{"the last day ahead", sec.NewDate(2027, 12, 6), ""},
		{"the day after the last day ahead", sec.NewDate(2027, 12, 7), "more than 366 days after today"},
		{"a supply start in 2999", sec.NewDate(2999, 1, 1), "the latest day accepted is 2027-12-06"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := l.CheckDate(c.d, today)
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("CheckDate(%s) = %q, want %q", c.d, got, c.want)
			}
		})
	}
	if err := DefaultLimits().Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	if err := (Limits{Earliest: sec.NewDate(1999, 12, 31), DaysAhead: -1, ClaimsPerDay: -1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "earliest") || !strings.Contains(err.Error(), "days_ahead") || !strings.Contains(err.Error(), "claims_per_day") {
		t.Errorf("bad limits: %v", err)
	}
}
