package uk

import (
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", -1000: "-1,000", 35000000: "35,000,000",
		123456: "123,456", -999: "-999", 1234567: "1,234,567", -9223372036854775808: "-9,223,372,036,854,775,808",
	} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestThousandsText(t *testing.T) {
	for in, want := range map[string]string{
		"35000000": "35,000,000", "-1234": "-1,234", "12": "12", "": "", "-": "-",
		"12.5": "12.5", "abc": "abc", "1000000000": "1,000,000,000", "-100": "-100",
	} {
		if got := ThousandsText(in); got != want {
			t.Errorf("ThousandsText(%q) = %q, want %q", in, got, want)
		}
	}
}

// The UK day turns at local midnight: 23:30 UTC on 30 June is already 1 July
// in London (BST, UTC+1), while 23:30 UTC on 30 December is still the 30th
// (GMT).
func TestLondon(t *testing.T) {
	if London.String() != "Europe/London" {
		t.Fatalf("London is %s", London)
	}
	summer := Now(time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC))
	if summer.Day() != 1 || summer.Month() != time.July {
		t.Errorf("23:30 UTC on 30 June 2026 is %s in London, want 1 July", summer)
	}
	winter := Now(time.Date(2026, 12, 30, 23, 30, 0, 0, time.UTC))
	if winter.Day() != 30 || winter.Month() != time.December {
		t.Errorf("23:30 UTC on 30 December 2026 is %s in London, want 30 December", winter)
	}
}

func TestDates(t *testing.T) {
	summer := time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC)
	winter := time.Date(2026, 12, 5, 14, 3, 0, 0, time.UTC)
	for _, c := range []struct{ name, got, want string }{
		{"an instant's UK day in summer time", Date(summer), "1 Jul 2026"},
		{"an instant's UK day in winter", Date(winter), "5 Dec 2026"},
		{"the zero instant", Date(time.Time{}), ""},
		{"a calendar day keeps its day", Day(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)), "30 Jun 2026"},
		{"the zero day", Day(time.Time{}), ""},
		{"an instant to the minute in BST", DateTime(summer), "1 Jul 2026 00:30 BST"},
		{"an instant to the minute in GMT", DateTime(winter), "5 Dec 2026 14:03 GMT"},
		{"the zero instant to the minute", DateTime(time.Time{}), ""},
		{"a month", MonthOf(winter), "Dec 2026"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 Devices"}, {1, "1 Device"}, {2, "2 Devices"}, {1234, "1,234 Devices"}, {-1, "-1 Device"}, {35000000, "35,000,000 Devices"}} {
		if got := Plural(c.n, "Device"); got != c.want {
			t.Errorf("Plural(%d, Device) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Count(1, "company", "companies"); got != "1 company" {
		t.Errorf("Count(1) = %q", got)
	}
	if got := Count(3, "company", "companies"); got != "3 companies" {
		t.Errorf("Count(3) = %q", got)
	}
}
