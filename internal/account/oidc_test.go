package account

import "testing"

// RFC 8176 names the methods; a password alone is not a second factor.
func TestStrongAMR(t *testing.T) {
	for _, tc := range []struct {
		name string
		amr  []string
		want bool
	}{
		{"no amr claim", nil, false},
		{"password only", []string{"pwd"}, false},
		{"password and one-time code", []string{"pwd", "otp"}, true},
		{"multiple factors", []string{"mfa"}, true},
		{"hardware key", []string{"hwk"}, true},
		{"values are case-sensitive (RFC 8176 2)", []string{"MFA"}, false},
		{"knowledge and risk-based only", []string{"kba", "rba"}, false},
	} {
		if got := StrongAMR(tc.amr, DefaultStrongAMR); got != tc.want {
			t.Errorf("%s: StrongAMR(%v) = %v, want %v", tc.name, tc.amr, got, tc.want)
		}
	}
	if StrongAMR([]string{"otp"}, []string{"hwk"}) {
		t.Error("a method outside the configured list passed")
	}
}
