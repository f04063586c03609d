package account_test

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/demo"
)

// Issue 14 (9): passwords follow NIST SP 800-63B 3.1.1.2, "When processing
// requests to establish and change memorized secrets, verifiers SHALL
// compare the prospective secrets against a list that contains values known
// to be commonly-used, expected, or compromised."
func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		name, pw string
		personal []string
		want     string // "" for accepted, else text the reason contains
	}{
		{"11 characters is short", "abcdefghijk", nil, "at least 12 characters"},
		{"12 repeated letters (issue 14)", "aaaaaaaaaaaa", nil, `"a" repeated`},
		{"a common word with digits (issue 14)", "Password1234", nil, "common and breached"},
		{"a common word with other digits", "Password1987", nil, "too easy to guess"},
		{"a common password whole", "1q2w3e4r5t6y", nil, "common and breached"},
		{"a common password with separators", "q1w2e3r4t5y6", nil, "common and breached"},
		{"a listed word in capitals", "CONSTITUTIONAL", nil, "common and breached"},
		{"a keyboard walk", "qwertyuiop[]", nil, "too easy to guess"},
		{"a sequence", "abcdefghijklmnop", nil, "too easy to guess"},
		{"a date and a name", "jennifer1987!", nil, "too easy to guess"},
		{"the user's own email", "anabelle@ardent.example.org", []string{"anabelle@ardent.example.org"}, "too easy to guess"},
		{"the service's name", "metersecmetersec", nil, "too easy to guess"},
		{"blank", "               ", nil, "must not be blank"},
		{"too long", strings.Repeat("x", 1025), nil, "too long"},
		{"not UTF-8", "\xff\xfe correct horse battery", nil, "UTF-8"},
		{"three unrelated words", "correct horse battery", nil, ""},
		{"a passphrase", "a long enough password", nil, ""},
		{"random characters", "x7#Rk9!vQ2mZ", nil, ""},
		{"long unicode", "ŝtonoj ĉe la rivero ĝojas", nil, ""},
		{"long, estimated on its first 100 bytes", "the quiet heron waited by the grey canal while seven copper kettles sang in a kitchen north of the old mill", nil, ""},
		{"a long repetition", strings.Repeat("zq8X", 40), nil, `"zq8X" repeated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := account.CheckPassword(tc.pw, tc.personal...)
			switch {
			case tc.want == "" && got != "":
				t.Errorf("refused: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("got %q, want it to say %q", got, tc.want)
			}
		})
	}
}

// The demo's printed passwords still pass the rule.
func TestDemoPasswordsPass(t *testing.T) {
	for _, u := range demo.Users {
		if m := account.CheckPassword(u.Password, u.Email, u.Name, u.Org); m != "" {
			t.Errorf("%s: %q %s", u.Email, u.Password, m)
		}
	}
}

// The blocklist ships with the binary and holds at least 100,000 entries.
func TestCommonPasswordList(t *testing.T) {
	if n := account.CommonPasswordCount(); n < 100_000 {
		t.Fatalf("the list holds %d entries", n)
	}
	for _, pw := range []string{"123456", "password", "iloveyou", "trustno1", "Dragon"} {
		if !account.IsCommonPassword(pw) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	if account.IsCommonPassword("x7#Rk9!vQ2mZ") {
		t.Error("a random password is on the list")
	}
}

// FuzzCheckPassword: passwords are outside input; the check must not panic
// and must refuse anything shorter than the minimum.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"aaaaaaaaaaaa", "Password1234", "correct horse battery", "qwertyuiop[]", "19871987jenny", "\xff\xfe", "ŝtonoj ĉe la rivero"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		m := account.CheckPassword(pw, "ana@ardent.example.org", "Ana")
		if len([]rune(pw)) < account.MinPasswordLength && m == "" {
			t.Fatalf("accepted %q", pw)
		}
	})
}
