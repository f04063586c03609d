package sec

import (
	"strings"
	"testing"
)

// FuzzCheckFindingClause: a finding's clause as typed. Never a panic; what
// it accepts is a clause of G3 to G6 or G8, and accepting it again gives the
// same text.
func FuzzCheckFindingClause(f *testing.F) {
	for _, s := range []string{"G5.14", "g8.41(c)", "G3", "H1.10", "G3.", "", "G6.2(a)(ii)", "G5.1;DROP"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckFindingClause(s)
		if err != nil {
			return
		}
		if len(got) < 2 || got[0] != 'G' || !strings.ContainsRune("34568", rune(got[1])) {
			t.Fatalf("%q accepted as %q", s, got)
		}
		again, err := CheckFindingClause(got)
		if err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v", s, got, again, err)
		}
	})
}
