package web

import (
	"strings"
	"testing"
)

// FuzzParseActions: the remediation plan form's actions, one a line
// ("description | owner | due"), whatever is typed: never a panic, one
// action per non-blank line, no field with the separator or surrounding
// space left in it.
func FuzzParseActions(f *testing.F) {
	for _, s := range []string{"Patch | CISO | 2026-07-01", "a|b|c|d\n\n x | y |", "|||", "\r\n", "only a description"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := parseActions(s)
		lines := 0
		for _, l := range strings.Split(s, "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(got) != lines {
			t.Fatalf("%d actions from %d lines", len(got), lines)
		}
		for _, a := range got {
			for _, v := range []string{a.Description, a.Owner, a.Due} {
				if v != strings.TrimSpace(v) || strings.Contains(v, "\n") {
					t.Fatalf("untrimmed field %q", v)
				}
			}
		}
	})
}
