package sec

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/uk"
)

// Date is a civil date with no time of day and no time zone: the day an SEC
// release took effect, a declared completion date, the start of a supply
// period. The SEC counts in days and months, so the rules do too; a timestamp
// would invite off-by-one-day errors around midnight and summer time.
//
// The zero Date means "no date" (for example a plan with no declared completion
// yet). It is stored as NULL and written as "" in text and JSON; tag JSON fields
// `json:",omitzero"` to leave it out.
//
// Dates compare with ==, Before, After and Compare.
type Date struct {
	year  int
	month time.Month
	day   int
}

const dateLayout = "2006-01-02"

// NewDate returns the date y-m-d, normalised as time.Date does (month 13 is
// January of the next year).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's own location. Callers decide
// which zone "today" is in (the regime runs on UK time) and pass the clock in.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// UKDay is the calendar date in the UK at t: "today" for the regime, which
// runs on UK time. It is the one home of that rule; uk embeds the zone data,
// so it never falls back to UTC.
func UKDay(t time.Time) Date { return DateOf(uk.Now(t)) }

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	if len(s) != len(dateLayout) {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD, for example 2024-01-02", s)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want a real day written YYYY-MM-DD, for example 2024-01-02", s)
	}
	return DateOf(t), nil
}

// MustParseDate is ParseDate for literals in tables and tests; it panics on a
// bad date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date, "no date".
func (d Date) IsZero() bool { return d == Date{} }

// String writes the date as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(dateLayout)
}

// Time is midnight UTC at the start of the date.
func (d Date) Time() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmpInt(d.year, e.year)
	case d.month != e.month:
		return cmpInt(int(d.month), int(e.month))
	}
	return cmpInt(d.day, e.day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date { return NewDate(d.year, d.month, d.day+n) }

// AddMonths returns the same day n months later, clamped to the last day of
// that month: 31 August plus six months is 28 (or 29) February. That is how a
// person reads "within six months" in the supply licence (LC50.5), whereas
// time.AddDate would roll over into March.
func (d Date) AddMonths(n int) Date {
	first := NewDate(d.year, d.month+time.Month(n), 1)
	last := NewDate(first.year, first.month+1, 0) // day 0 is the last day of the month before
	if d.day > last.day {
		return last
	}
	return Date{first.year, first.month, d.day}
}

// Sub returns the number of days from e to d: positive when d is after e.
func (d Date) Sub(e Date) int {
	return int((d.Time().Unix() - e.Time().Unix()) / (24 * 60 * 60))
}

// MarshalText writes YYYY-MM-DD, or nothing for the zero Date, so JSON shows
// "2024-01-02".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores the date as the text "YYYY-MM-DD", which sorts correctly and
// reads the same in SQLite and PostgreSQL; the zero Date is NULL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date from the database: NULL, a time.Time (PostgreSQL DATE
// columns, whose day is taken in the value's own zone), or text. Text may carry
// a time after the date ("2024-01-02 00:00:00+00:00", as some SQLite drivers
// write timestamps); the date part is kept.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = DateOf(v)
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("sec.Date: cannot scan %T", src)
}

func (d *Date) scanText(s string) error {
	if len(s) > len(dateLayout) && (s[len(dateLayout)] == 'T' || s[len(dateLayout)] == ' ') {
		s = s[:len(dateLayout)]
	}
	return d.UnmarshalText([]byte(s))
}
