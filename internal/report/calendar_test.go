package report

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

func TestFirstWorkingDay(t *testing.T) {
	h := DefaultBankHolidays()
	for _, tc := range []struct {
		name  string
		month string
		want  string
	}{
		{"a Wednesday that is New Year's Day moves to Thursday", "2025-01", "2025-01-02"},
		{"a Saturday moves to Monday", "2025-02", "2025-02-03"},
		{"a Tuesday is itself", "2025-04", "2025-04-01"},
		{"a Thursday is itself", "2025-05", "2025-05-01"},
		{"a Sunday moves to Monday", "2025-06", "2025-06-02"},
		{"New Year's Day on a Thursday moves to Friday", "2026-01", "2026-01-02"},
		{"a Sunday moves to Monday (2026-03)", "2026-03", "2026-03-02"},
		{"a Friday is itself", "2026-05", "2026-05-01"},
		{"a Saturday in August moves to Monday", "2026-08", "2026-08-03"},
		{"New Year's Day on a Friday moves past the weekend to Monday", "2027-01", "2027-01-04"},
		{"a Monday is itself", "2027-02", "2027-02-01"},
		{"a Thursday in April 2027 is itself (Easter is in March)", "2027-04", "2027-04-01"},
		{"a Saturday in May moves past the weekend to Monday 3rd... which is a bank holiday, so Tuesday", "2027-05", "2027-05-04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMonth(tc.month)
			if err != nil {
				t.Fatal(err)
			}
			if got := FirstWorkingDay(m, h); got.String() != tc.want {
				t.Errorf("FirstWorkingDay(%s) = %s (%s), want %s", tc.month, got, got.Time().Weekday(), tc.want)
			}
		})
	}
}

func TestFirstWorkingDayWithOtherHolidays(t *testing.T) {
	// Easter Monday on 1 April (as in 2024) and an early May bank holiday on
	// Monday 1 May (as in 2028): only a table that names them moves the day.
	h, err := ParseHolidays(strings.NewReader("# test table\n2024-04-01,Easter Monday\n\n2028-05-01, Early May bank holiday\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ month, want string }{
		{"2024-04", "2024-04-02"},
		{"2028-05", "2028-05-02"},
		{"2024-03", "2024-03-01"},
	} {
		m, _ := ParseMonth(tc.month)
		if got := FirstWorkingDay(m, h); got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.month, got, tc.want)
		}
		if got := FirstWorkingDay(m, nil); tc.month != "2024-03" && got.String() == tc.want {
			t.Errorf("%s: without the holiday the first working day should be the 1st", tc.month)
		}
	}
	if !h.Covers(2028) || h.Covers(2026) {
		t.Errorf("Covers: got 2028 %v, 2026 %v", h.Covers(2028), h.Covers(2026))
	}
}

func TestDefaultBankHolidaysAreWeekdays(t *testing.T) {
	for _, d := range DefaultBankHolidays().Dates() {
		if wd := d.Time().Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("%s is a %s: bank holidays fall on weekdays (weekend ones have substitute days)", d, wd)
		}
	}
	for y := 2025; y <= 2027; y++ {
		n := 0
		for d := range DefaultBankHolidays() {
			if d.Time().Year() == y {
				n++
			}
		}
		if n != 8 {
			t.Errorf("%d: %d bank holidays, England and Wales have 8", y, n)
		}
	}
}

func TestWorkingDayN(t *testing.T) {
	m, _ := ParseMonth("2026-12")
	h := DefaultBankHolidays()
	// December 2026: Tue 1, Wed 2, Thu 3 … Fri 25 and Mon 28 are holidays.
	for n, want := range map[int]string{1: "2026-12-01", 2: "2026-12-02", 4: "2026-12-04", 5: "2026-12-07", 18: "2026-12-24", 19: "2026-12-29"} {
		if got := WorkingDay(m, n, h); got.String() != want {
			t.Errorf("working day %d of 2026-12 = %s, want %s", n, got, want)
		}
	}
}

func TestScheduleDue(t *testing.T) {
	for _, tc := range []struct {
		schedule, month, want string
	}{
		// October 2026's reports: 1 November 2026 is a Sunday.
		{"first-working-day", "2026-10", "2026-11-02T06:00:00Z"},
		// December 2026's: 1 January 2027 is a holiday and a Friday; UK winter time is UTC.
		{"first-working-day@09:30", "2026-12", "2027-01-04T09:30:00Z"},
		// May 2026's: 1 June is a Monday; UK summer time is UTC+1.
		{"first-working-day", "2026-05", "2026-06-01T05:00:00Z"},
		{"working-day:2@06:00", "2026-05", "2026-06-02T05:00:00Z"},
		// A calendar day ignores weekends: 3 October 2026 is a Saturday.
		{"day:3@07:15", "2026-09", "2026-10-03T06:15:00Z"},
	} {
		s, err := ParseSchedule(tc.schedule)
		if err != nil {
			t.Fatalf("%s: %v", tc.schedule, err)
		}
		m, _ := ParseMonth(tc.month)
		if got := s.Due(m).UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("%s for %s: due %s, want %s", tc.schedule, tc.month, got, tc.want)
		}
		back, err := ParseSchedule(s.String())
		if err != nil || back.String() != s.String() {
			t.Errorf("%s: String %q does not read back (%v)", tc.schedule, s.String(), err)
		}
	}
	for _, bad := range []string{"", "weekly", "working-day:0", "working-day:11", "day:29", "day:x", "first-working-day@25:00", "first-working-day@6:00", "day:3@"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}

func TestParseHolidaysReportsLines(t *testing.T) {
	_, err := ParseHolidays(strings.NewReader("2026-01-01\n2026-13-01,Bad\nnot a date\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("got %v, want problems on lines 2 and 3", err)
	}
}

func TestMonth(t *testing.T) {
	m, err := ParseMonth("2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if m.Last() != sec.MustParseDate("2026-10-31") || m.Add(3).String() != "2027-01" || m.Add(-10).String() != "2025-12" {
		t.Errorf("month arithmetic: last %s, +3 %s, -10 %s", m.Last(), m.Add(3), m.Add(-10))
	}
	if got := m.End(uk.London).UTC().Format(time.RFC3339); got != "2026-11-01T00:00:00Z" {
		t.Errorf("End = %s", got)
	}
	if got := m.Add(-4).End(uk.London).UTC().Format(time.RFC3339); got != "2026-06-30T23:00:00Z" {
		t.Errorf("End of June (summer time) = %s", got)
	}
	for _, bad := range []string{"", "2026-1", "2026-00", "2026-13", "26-10", "2026/10", "+026-10", "2026-+1", "1999-12", "2026-10-01"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-10", "2000-01", "2999-12", "2026-13", "", "abcd-ef", "2026-1 ", "-026-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if m.String() != s {
			t.Errorf("ParseMonth(%q) = %s, which does not write back the same", s, m)
		}
	})
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"first-working-day", "working-day:2@06:00", "day:3@23:59", "day:28", "working-day:10@00:00", "x@", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sch, err := ParseSchedule(s)
		if err != nil {
			return
		}
		back, err := ParseSchedule(sch.String())
		if err != nil || back.String() != sch.String() {
			t.Errorf("ParseSchedule(%q) = %s, which does not read back (%v)", s, sch, err)
		}
		m, _ := ParseMonth("2026-10")
		if due := sch.Due(m); MonthAt(due.In(uk.London)) != m.Add(1) {
			t.Errorf("%s: due %s is not in the next month", sch, due)
		}
	})
}

func FuzzParseHolidays(f *testing.F) {
	f.Add("2026-01-01,New Year's Day\n")
	f.Add("# comment\n\n2026-12-28, Boxing Day (substitute day)\r\n")
	f.Add("\uFEFF2025-12-25\n")
	f.Add("2026-02-30,x\n")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHolidays(strings.NewReader(s))
		if err != nil {
			return
		}
		for d, name := range h {
			if d.IsZero() || name == "" || len(name) > 100 {
				t.Errorf("bad entry %s %q", d, name)
			}
		}
	})
}
