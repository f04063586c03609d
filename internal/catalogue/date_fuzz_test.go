package catalogue

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseDate: every date in the CSV formats and the generator's --start
// and --end flags. Never a panic; what it accepts is UTC midnight of a real
// day written back exactly as typed; a refusal says what is wrong without
// repeating the text (a CSV cell may hold anything).
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-02", "2024-02-29", "2023-02-29", "2024-13-01", "0000-01-01", "9999-12-31", "2024-1-2",
		"2024-01-02T00:00:00Z", " 2024-01-02", "", "2024-01-32", "<script>", "2024-00-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("%q refused (%v) but gave %v", s, err, d)
			}
			if len(strings.TrimSpace(s)) > 2 && strings.Contains(err.Error(), s) {
				t.Fatalf("%q: the error %q repeats the text", s, err)
			}
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("%q read as %v, not UTC midnight", s, d)
		}
		if d.Format(DateLayout) != s {
			t.Fatalf("%q read as %v, written back as %q", s, d, d.Format(DateLayout))
		}
	})
}
