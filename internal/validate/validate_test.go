package validate

import "testing"

func TestEmail(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"a@b.org", true},
		{"security.team+psirt@maker.example.co.uk", true},
		{"", false},
		{"no-at-sign", false},
		{"Name <a@b.org>", false},
		{"a@localhost", false},
		{"a@b.org\n", false},
	} {
		if got := Email(tc.in) == ""; got != tc.ok {
			t.Errorf("Email(%q) ok = %v, want %v", tc.in, got, tc.ok)
		}
	}
}

func TestCodeAndText(t *testing.T) {
	if Code("AB-1") != "" || Code("a") == "" || Code("TOO-LONG-CODE-XXXX") == "" || Code("-AB") == "" {
		t.Error("code rules")
	}
	if Text("ok", 5) != "" || Text(" ", 5) == "" || Text("toolong", 5) == "" || Text("a\nb", 5) == "" {
		t.Error("text rules")
	}
	if Phone("+44 (0)20 7946 0000") != "" || Phone("call me") == "" {
		t.Error("phone rules")
	}
}
