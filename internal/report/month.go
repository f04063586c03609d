package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

// Month is a calendar month: the unit the SSC's monthly duties count in
// (DOMAIN.md, "SSC monthly outputs"). It is written YYYY-MM.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf is the month of the date.
func MonthOf(d sec.Date) Month {
	t := d.Time()
	return Month{t.Year(), t.Month()}
}

// MonthAt is the month that t falls in, in t's own location.
func MonthAt(t time.Time) Month { return Month{t.Year(), t.Month()} }

// ParseMonth reads YYYY-MM (years 2000 to 2999: the regime began in the
// 2010s, and anything else is a typing slip).
func ParseMonth(s string) (Month, error) {
	bad := fmt.Errorf("month %q: want YYYY-MM, for example 2026-10", s)
	if len(s) != 7 || s[4] != '-' {
		return Month{}, bad
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[5] == '+' || s[5] == '-' {
		return Month{}, bad
	}
	if y < 2000 || y > 2999 || m < 1 || m > 12 {
		return Month{}, bad
	}
	return Month{y, time.Month(m)}, nil
}

// IsZero reports whether m is the zero Month, "no month".
func (m Month) IsZero() bool { return m == Month{} }

// String writes YYYY-MM.
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
}

// Label writes the month for people: "October 2026".
func (m Month) Label() string { return m.Month.String() + " " + strconv.Itoa(m.Year) }

// First is the month's first day.
func (m Month) First() sec.Date { return sec.NewDate(m.Year, m.Month, 1) }

// Last is the month's last day.
func (m Month) Last() sec.Date { return sec.NewDate(m.Year, m.Month+1, 0) }

// Add returns the month n months later (earlier if n is negative).
func (m Month) Add(n int) Month { return MonthOf(sec.NewDate(m.Year, m.Month+time.Month(n), 1)) }

// Compare returns -1, 0 or +1 as m is before, equal to or after o.
func (m Month) Compare(o Month) int {
	switch a, b := m.Year*12+int(m.Month), o.Year*12+int(o.Month); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether m is before o.
func (m Month) Before(o Month) bool { return m.Compare(o) < 0 }

// End is the instant the month ends in loc: midnight at the start of the next
// month. "The state at the month's last day" is the state at this instant.
func (m Month) End(loc *time.Location) time.Time {
	n := m.Add(1)
	return time.Date(n.Year, n.Month, 1, 0, 0, 0, 0, loc)
}

// MarshalText writes YYYY-MM, so JSON shows "2026-10".
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads YYYY-MM; empty text is the zero Month.
func (m *Month) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = Month{}
		return nil
	}
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
