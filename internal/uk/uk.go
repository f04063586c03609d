// Package uk holds the conventions of the place the regime runs in: its
// clock (Europe/London, whose zone data is embedded so "today" never falls
// back to UTC on a machine without zone files) and how its numbers are
// written for people. It imports nothing of the product, so every package,
// the SEC rules included, may use it.
package uk

import (
	"strconv"
	"time"
	_ "time/tzdata" // the regime runs on UK time even where the system has no zone files
)

// London is Europe/London, the regime's clock: the SEC's days, the monthly
// reports' schedule and the SSC's meetings are UK days.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		// Unreachable: time/tzdata is embedded above.
		panic("uk: Europe/London: " + err.Error())
	}
	return l
}()

// Now is t on the UK clock.
func Now(t time.Time) time.Time { return t.In(London) }

// Thousands writes n with comma separators: 35000000 → 35,000,000.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits, sign := s, ""
	if n < 0 {
		digits, sign = s[1:], "-"
	}
	return sign + group(digits)
}

// ThousandsText puts commas in a text that is a whole number, "-" allowed
// (35000000 → 35,000,000), and returns any other text as it is: templates
// print counts they were handed as any value.
func ThousandsText(s string) string {
	digits, sign := s, ""
	if len(s) > 0 && s[0] == '-' {
		digits, sign = s[1:], "-"
	}
	if digits == "" {
		return s
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return s
		}
	}
	return sign + group(digits)
}

func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	b := make([]byte, 0, len(digits)+len(digits)/3)
	pre := len(digits) % 3
	if pre == 0 {
		pre = 3
	}
	b = append(b, digits[:pre]...)
	for i := pre; i < len(digits); i += 3 {
		b = append(b, ',')
		b = append(b, digits[i:i+3]...)
	}
	return string(b)
}

// The one way a page, a PDF or a message for people writes a date: "5 Dec
// 2026", on the UK clock. CSV and JSON write ISO 8601 instead (time.RFC3339,
// "2006-01-02"). internal/arch's TestOneDateFormat keeps other layouts out
// of the rest of the code.
const (
	dateLayout     = "2 Jan 2006"
	dateTimeLayout = "2 Jan 2006 15:04 MST"
	monthLayout    = "Jan 2006"
)

// Date writes the UK day of the instant t: 23:30 UTC on 30 June is "1 Jul
// 2026". The zero time is "".
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(London).Format(dateLayout)
}

// Day writes a calendar day held as midnight of a time.Time (sec.Date's
// Time), as it is, with no change of zone: a day is the same day everywhere.
func Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateLayout)
}

// DateTime writes the instant t on the UK clock to the minute, with GMT or
// BST: "5 Dec 2026 14:03 GMT".
func DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(London).Format(dateTimeLayout)
}

// MonthOf writes the month of a calendar day held as a time.Time: "Dec 2026".
func MonthOf(t time.Time) string { return t.Format(monthLayout) }

// Count writes a number of things with thousands separators and the right
// form of the noun: Count(1, "Device", "Devices") is "1 Device",
// Count(35000000, …) "35,000,000 Devices". Zero takes the plural.
func Count(n int64, one, many string) string {
	if n == 1 || n == -1 {
		return Thousands(n) + " " + one
	}
	return Thousands(n) + " " + many
}

// Plural is Count for the common nouns that take an "s": Plural(2, "Device")
// is "2 Devices".
func Plural(n int64, noun string) string { return Count(n, noun, noun+"s") }
