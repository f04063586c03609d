package assurance

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckActions: a remediation plan's actions, from the form (one a line)
// or JSON. Never a panic; every problem is reported against its own action
// ("actions[i].field"); an action with no problem has a description and an
// owner that are trimmed, valid UTF-8 without NUL (PostgreSQL stores nothing
// else) and at most maxText characters, and a due date that is the one typed.
func FuzzCheckActions(f *testing.F) {
	f.Add("Patch the head end", "CISO", "2026-07-01", "", "", "")
	f.Add(" x ", " y ", "2026-02-29", "a", "b", "2028-02-29")
	f.Add("Café", "o", "2026-07-01", "é", "", "tomorrow")
	f.Add(strings.Repeat("é", maxText+1), "o", "2026-07-01", "  ", "o", "2026-7-1")
	f.Fuzz(func(t *testing.T, d1, o1, due1, d2, o2, due2 string) {
		in := []ActionInput{{Description: d1, Owner: o1, Due: due1}, {Description: d2, Owner: o2, Due: due2}}
		out, fields := checkActions(in)
		if len(out) != len(in) {
			t.Fatalf("%d actions in, %d out", len(in), len(out))
		}
		bad := map[int]bool{}
		for _, fe := range fields {
			var i int
			var name string
			if _, err := fmt.Sscanf(fe.Field, "actions[%d].%s", &i, &name); err != nil || i < 0 || i >= len(in) || fe.Message == "" {
				t.Fatalf("problem %q: %q", fe.Field, fe.Message)
			}
			switch name {
			case "description", "owner", "due":
			default:
				t.Fatalf("problem names %q", fe.Field)
			}
			bad[i] = true
		}
		for i, a := range out {
			if bad[i] {
				continue
			}
			if a.Due.String() != in[i].Due {
				t.Fatalf("due %q accepted as %v", in[i].Due, a.Due)
			}
			for _, v := range []string{a.Description, a.Owner} {
				if v == "" || v != strings.TrimSpace(v) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > maxText {
					t.Fatalf("%+v: text %q accepted", in[i], v)
				}
			}
		}
	})
}
