package report

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

// Holidays are the days that are not working days besides Saturdays and
// Sundays, with their names. They are data, not law: bank holidays are
// proclaimed year by year, so a deployment replaces or extends the table
// (ParseHolidays) as the government publishes them.
type Holidays map[sec.Date]string

// DefaultBankHolidays are the bank holidays of England and Wales for 2025 to
// 2027 as published by the UK government (gov.uk/bank-holidays), including the
// substitute days when Christmas or Boxing Day falls on a weekend. They are a
// default table of data: years after 2027 need a table from the deployment.
func DefaultBankHolidays() Holidays {
	h := Holidays{}
	for _, d := range []struct{ date, name string }{
		{"2025-01-01", "New Year's Day"},
		{"2025-04-18", "Good Friday"},
		{"2025-04-21", "Easter Monday"},
		{"2025-05-05", "Early May bank holiday"},
		{"2025-05-26", "Spring bank holiday"},
		{"2025-08-25", "Summer bank holiday"},
		{"2025-12-25", "Christmas Day"},
		{"2025-12-26", "Boxing Day"},
		{"2026-01-01", "New Year's Day"},
		{"2026-04-03", "Good Friday"},
		{"2026-04-06", "Easter Monday"},
		{"2026-05-04", "Early May bank holiday"},
		{"2026-05-25", "Spring bank holiday"},
		{"2026-08-31", "Summer bank holiday"},
		{"2026-12-25", "Christmas Day"},
		{"2026-12-28", "Boxing Day (substitute day)"},
		{"2027-01-01", "New Year's Day"},
		{"2027-03-26", "Good Friday"},
		{"2027-03-29", "Easter Monday"},
		{"2027-05-03", "Early May bank holiday"},
		{"2027-05-31", "Spring bank holiday"},
		{"2027-08-30", "Summer bank holiday"},
		{"2027-12-27", "Christmas Day (substitute day)"},
		{"2027-12-28", "Boxing Day (substitute day)"},
	} {
		h[sec.MustParseDate(d.date)] = d.name
	}
	return h
}

// Covers reports whether the table names any holiday in the year: a table
// with none is almost certainly missing that year (England and Wales always
// have New Year's Day, or its substitute).
func (h Holidays) Covers(year int) bool {
	for d := range h {
		if d.Time().Year() == year {
			return true
		}
	}
	return false
}

// Dates lists the holidays in order.
func (h Holidays) Dates() []sec.Date {
	return slices.SortedFunc(maps.Keys(h), sec.Date.Compare)
}

// ParseHolidays reads a holiday table: one holiday a line, its date
// (YYYY-MM-DD) and optionally a comma and its name; blank lines and lines
// starting with # are skipped. Every problem is reported with its line.
func ParseHolidays(r io.Reader) (Holidays, error) {
	h := Holidays{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	var probs []string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		date, name, _ := strings.Cut(line, ",")
		d, err := sec.ParseDate(strings.TrimSpace(date))
		if err != nil {
			probs = append(probs, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" {
			name = "holiday"
		}
		if len(name) > 100 {
			probs = append(probs, fmt.Sprintf("line %d: the name is longer than 100 characters", n))
			continue
		}
		h[d] = name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("holiday table: %w (lines are at most 4096 bytes)", err)
	}
	if len(probs) > 0 {
		if len(probs) > 10 {
			probs = append(probs[:10], fmt.Sprintf("… and %d more", len(probs)-10))
		}
		return nil, fmt.Errorf("holiday table:\n  %s", strings.Join(probs, "\n  "))
	}
	return h, nil
}

// IsWorkingDay reports whether d is a working day: not a Saturday, Sunday or
// holiday.
func IsWorkingDay(d sec.Date, h Holidays) bool {
	switch d.Time().Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, holiday := h[d]
	return !holiday
}

// WorkingDay is the nth working day (n ≥ 1) of month m. The SSC tells
// manufacturers and Suppliers "on a monthly basis" (seeds/000); metersec sends
// on the first working day after the month, by default.
func WorkingDay(m Month, n int, h Holidays) sec.Date {
	n = max(n, 1)
	d := m.First()
	for {
		if IsWorkingDay(d, h) {
			n--
			if n == 0 {
				return d
			}
		}
		d = d.AddDays(1)
	}
}

// FirstWorkingDay is the first working day of month m.
func FirstWorkingDay(m Month, h Holidays) sec.Date { return WorkingDay(m, 1, h) }

// Schedule says when the monthly reports for a month go out: on a working
// day (or a calendar day) of the month after it, at a time of day, in a
// location's time.
type Schedule struct {
	// WorkingDay is which working day of the following month: 1 is the first.
	// Zero means Day is used instead.
	WorkingDay int
	// Day is a calendar day (1 to 28) of the following month, weekends and
	// holidays included, when WorkingDay is zero.
	Day int
	// At is the time of day, after midnight.
	At time.Duration
	// Location is whose clock the schedule follows: Europe/London.
	Location *time.Location
	// Holidays are the non-working days besides weekends.
	Holidays Holidays
}

// DefaultSchedule sends on the first working day at 06:00 UK time, with the
// default bank holidays of England and Wales.
func DefaultSchedule() Schedule {
	return Schedule{WorkingDay: 1, At: 6 * time.Hour, Location: uk.London, Holidays: DefaultBankHolidays()}
}

// ParseSchedule reads a schedule's timing, keeping the defaults' location and
// holidays: "first-working-day", "working-day:N" (N from 1 to 10) or "day:N"
// (a calendar day from 1 to 28), each optionally followed by "@HH:MM" (UK
// time; 06:00 when left out). For example "working-day:2@09:30".
func ParseSchedule(s string) (Schedule, error) {
	sch := DefaultSchedule()
	bad := func(why string) (Schedule, error) {
		return Schedule{}, fmt.Errorf("report schedule %q: %s (for example first-working-day@06:00, working-day:2, day:3@09:30)", s, why)
	}
	when, at, hasAt := strings.Cut(strings.TrimSpace(s), "@")
	switch {
	case when == "first-working-day":
		sch.WorkingDay = 1
	case strings.HasPrefix(when, "working-day:"):
		n, err := strconv.Atoi(strings.TrimPrefix(when, "working-day:"))
		if err != nil || n < 1 || n > 10 {
			return bad("the working day must be a number from 1 to 10")
		}
		sch.WorkingDay = n
	case strings.HasPrefix(when, "day:"):
		n, err := strconv.Atoi(strings.TrimPrefix(when, "day:"))
		if err != nil || n < 1 || n > 28 {
			return bad("the day must be a number from 1 to 28")
		}
		sch.WorkingDay, sch.Day = 0, n
	default:
		return bad("say first-working-day, working-day:N or day:N")
	}
	if hasAt {
		t, err := time.Parse("15:04", at)
		if err != nil || len(at) != 5 {
			return bad("the time must be HH:MM, 24-hour")
		}
		sch.At = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return sch, nil
}

// LoadSchedule is ParseSchedule for a deployment's settings: spec (empty for
// the default, first-working-day@06:00) and, if holidaysFile is not empty, a
// holiday table (ParseHolidays) that replaces the default one.
func LoadSchedule(spec, holidaysFile string) (Schedule, error) {
	sch := DefaultSchedule()
	if spec != "" {
		var err error
		if sch, err = ParseSchedule(spec); err != nil {
			return sch, err
		}
	}
	if holidaysFile != "" {
		f, err := os.Open(holidaysFile)
		if err != nil {
			return sch, err
		}
		defer f.Close()
		if sch.Holidays, err = ParseHolidays(f); err != nil {
			return sch, fmt.Errorf("%s: %w", holidaysFile, err)
		}
	}
	return sch, nil
}

// String writes the schedule as ParseSchedule reads it.
func (s Schedule) String() string {
	when := "first-working-day"
	switch {
	case s.WorkingDay > 1:
		when = "working-day:" + strconv.Itoa(s.WorkingDay)
	case s.WorkingDay == 0:
		when = "day:" + strconv.Itoa(s.Day)
	}
	return fmt.Sprintf("%s@%02d:%02d", when, int(s.At.Hours()), int(s.At.Minutes())%60)
}

// SendDay is the day month m's reports go out: in the month after m.
func (s Schedule) SendDay(m Month) sec.Date {
	next := m.Add(1)
	if s.WorkingDay == 0 {
		return sec.NewDate(next.Year, next.Month, min(max(s.Day, 1), 28))
	}
	return WorkingDay(next, s.WorkingDay, s.Holidays)
}

// Due is the instant month m's reports are due.
func (s Schedule) Due(m Month) time.Time {
	d := s.SendDay(m).Time()
	// The wall-clock time, not midnight plus a duration: the two differ on the
	// days the clocks change.
	return time.Date(d.Year(), d.Month(), d.Day(), int(s.At.Hours()), int(s.At.Minutes())%60, 0, 0, s.location())
}

func (s Schedule) location() *time.Location {
	if s.Location == nil {
		return uk.London
	}
	return s.Location
}
