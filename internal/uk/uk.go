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
