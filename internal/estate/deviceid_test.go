package estate

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestParseDeviceID(t *testing.T) {
	const want = DeviceID(0x001A2B3C4D5E6F70)
	for _, s := range []string{
		"001A2B3C4D5E6F70",
		"001a2b3c4d5e6f70",
		"00-1A-2B-3C-4D-5E-6F-70",
		"00:1a:2b:3c:4d:5e:6f:70",
		"00-1a-2B-3c-4D-5e-6F-70",
	} {
		got, err := ParseDeviceID(s)
		if err != nil {
			t.Errorf("ParseDeviceID(%q): %v", s, err)
			continue
		}
		if got != want {
			t.Errorf("ParseDeviceID(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestParseDeviceIDErrors(t *testing.T) {
	for _, tc := range []struct{ in, wantMsg string }{
		{"", "empty"},
		{"001A2B3C4D5E6F7", "has 15 characters"},
		{"001A2B3C4D5E6F7011", "has 18 characters"},
		{"00-1A-2B-3C-4D-5E-6F", "has 20 characters"},
		{"001A2B3C4D5E6G70", "character 'G' at position 14 is not a hex digit"},
		{"00-1A-2B-3C-4D-5E-6F-7Z", "character 'Z' at position 23 is not a hex digit"},
		{"00-1A:2B-3C-4D-5E-6F-70", "mixed separators ('-' at position 3, ':' at position 6)"},
		{"00-1A-2B-3C-4D-5E-6F:70", "mixed separators ('-' at position 3, ':' at position 21)"},
		{"00.1A.2B.3C.4D.5E.6F.70", "character '.' at position 3 should be a separator"},
		{"00-1A-2B-3C 4D-5E-6F-70", "character ' ' at position 12 should be the separator '-'"},
		{" 001A2B3C4D5E6F70", "has 17 characters"},
		{"0x1A2B3C4D5E6F70", "character 'x' at position 2 is not a hex digit"},
		{"001A2B3C4D5E6F7é", "has 16 characters"}, // 17 bytes, 16 characters: still the wrong length
		{"001A2B3C4D5E6é0", "character 'é' at position 14 is not a hex digit"},
	} {
		_, err := ParseDeviceID(tc.in)
		if err == nil {
			t.Errorf("ParseDeviceID(%q) succeeded, want an error containing %q", tc.in, tc.wantMsg)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("ParseDeviceID(%q) error %q, want it to contain %q", tc.in, err, tc.wantMsg)
		}
	}
}

func TestDeviceIDString(t *testing.T) {
	for _, tc := range []struct {
		id   DeviceID
		want string
	}{
		{0, "00-00-00-00-00-00-00-00"},
		{0x001A2B3C4D5E6F70, "00-1A-2B-3C-4D-5E-6F-70"},
		{math.MaxUint64, "FF-FF-FF-FF-FF-FF-FF-FF"},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%#x.String() = %q, want %q", uint64(tc.id), got, tc.want)
		}
		b, _ := tc.id.AppendText([]byte("x"))
		if string(b) != "x"+tc.want {
			t.Errorf("AppendText = %q, want %q", b, "x"+tc.want)
		}
	}
}

func TestDeviceIDInt64(t *testing.T) {
	for _, id := range []DeviceID{0, 1, math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64, 0x001A2B3C4D5E6F70} {
		if got := DeviceIDFromInt64(id.Int64()); got != id {
			t.Errorf("DeviceIDFromInt64(%s.Int64()) = %s", id, got)
		}
	}
	if v := DeviceID(math.MaxUint64).Int64(); v != -1 {
		t.Errorf("FF-…-FF.Int64() = %d, want -1 (the same bits, signed)", v)
	}
}

func TestDeviceIDJSON(t *testing.T) {
	in := struct{ ID DeviceID }{0x001A2B3C4D5E6F70}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"ID":"00-1A-2B-3C-4D-5E-6F-70"}` {
		t.Errorf("json = %s", b)
	}
	var out struct{ ID DeviceID }
	if err := json.Unmarshal([]byte(`{"ID":"00:1a:2b:3c:4d:5e:6f:70"}`), &out); err != nil || out != in {
		t.Errorf("unmarshal = %v, %v", out, err)
	}
}

func FuzzParseDeviceID(f *testing.F) {
	for _, s := range []string{
		"001A2B3C4D5E6F70", "00-1A-2B-3C-4D-5E-6F-70", "00:1a:2b:3c:4d:5e:6f:70",
		"00-1A:2B-3C-4D-5E-6F-70", "FFFFFFFFFFFFFFFF", "", "0x1A2B3C4D5E6F70", "00-1A-2B-3C-4D-5E-6F-7é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseDeviceID(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		canon := id.String()
		again, err := ParseDeviceID(canon)
		if err != nil || again != id {
			t.Fatalf("ParseDeviceID(%q) = %s, but String %q parses to %s, %v", s, id, canon, again, err)
		}
		// The accepted text is the canonical form with case and separators
		// changed, nothing else.
		digits := strings.NewReplacer("-", "", ":", "").Replace(strings.ToUpper(s))
		if digits != strings.ReplaceAll(canon, "-", "") {
			t.Fatalf("ParseDeviceID(%q) = %s: digits differ", s, canon)
		}
		if DeviceIDFromInt64(id.Int64()) != id {
			t.Fatalf("Int64 round trip of %s", id)
		}
	})
}
