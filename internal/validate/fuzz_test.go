package validate

import (
	"net/mail"
	"testing"
)

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@b.org", "Name <a@b.org>", "", "a@b", "a@@b.org", "\x00@b.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Email(s) != "" {
			return
		}
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			t.Fatalf("accepted %q", s)
		}
	})
}
