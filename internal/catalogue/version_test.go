package catalogue

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func mustVersion(t testing.TB, s string) FirmwareVersion {
	t.Helper()
	v, err := ParseFirmwareVersion(s)
	if err != nil {
		t.Fatalf("ParseFirmwareVersion(%q): %v", s, err)
	}
	return v
}

func TestParseFirmwareVersion(t *testing.T) {
	for _, tc := range []struct {
		in     string
		family Family
	}{
		{"1", Dotted},
		{"1.2.10", Dotted},
		{"02.01", Dotted},
		{"v3.1", Dotted},
		{"V3.1.0", Dotted},
		{"1.2b", Dotted},
		{"4.0.1-rc.2", Dotted},
		{"2.0_patch3", Dotted},
		{"123", Dotted},
		{"12345", Dotted},
		{"10b", Dotted},
		{"4A", Dotted},
		{"0x1A2B", Hex},
		{"0X1a2b", Hex},
		{"0x0", Hex},
		{"0xFFFFFFFFFFFFFFFF", Hex},
		{"1A2B", Hex},
		{"1A2B00FF", Hex},
		{"0102", Hex}, // 4 digits: hex, as GBCS writes it
		{"20240101", Hex},
	} {
		v, err := ParseFirmwareVersion(tc.in)
		if err != nil {
			t.Errorf("ParseFirmwareVersion(%q): %v", tc.in, err)
			continue
		}
		if v.Family() != tc.family || v.String() != tc.in {
			t.Errorf("ParseFirmwareVersion(%q) = %s family %s, want family %s", tc.in, v, v.Family(), tc.family)
		}
	}
}

func TestParseFirmwareVersionErrors(t *testing.T) {
	for _, tc := range []struct{ in, wantMsg string }{
		{"", "empty"},
		{strings.Repeat("1", 65), "at most 64"},
		{"0x", "no hex digits after 0x"},
		{"0x12G4", "'G' at position 5 is not a hex digit"},
		{"0x" + strings.Repeat("F", 17), "17 hex digits after 0x, at most 16"},
		{"1A2", "looks like hex but has 3 digits"},
		{"12AB5", "looks like hex but has 5 digits"},
		{"beta", "want dotted decimal"},
		{"v", "want dotted decimal"},
		{".1", "want dotted decimal"},
		{"1.", "ends with '.'"},
		{"1..2", "'.' at position 2 must be followed by a digit, found '.'"},
		{"1.2.a", "'.' at position 4 must be followed by a digit, found 'a'"},
		{"1.2 b", "' ' at position 4 cannot start a suffix"},
		{"1.2b c", "' ' at position 5 is not allowed in a suffix"},
		{"1.2-", `suffix "-" has no letter or digit`},
		{"1.2.3.4.5.6.7.8.9", "more than 8"},
		{"1.99999999999999999999", "the number at position 3 is too large"},
		{"1.2é", "'é' at position 4 cannot start a suffix"},
	} {
		_, err := ParseFirmwareVersion(tc.in)
		if err == nil {
			t.Errorf("ParseFirmwareVersion(%q) succeeded, want error containing %q", tc.in, tc.wantMsg)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("ParseFirmwareVersion(%q) error %q, want it to contain %q", tc.in, err, tc.wantMsg)
		}
	}
}

// TestCompareOrder lists versions in the order Compare must put them.
func TestCompareOrder(t *testing.T) {
	ordered := []string{
		// Dotted, by release, then spellings of one release by text.
		"0.9",
		"01.02", "1.2", "1.2.0", "v1.2",
		"1.2-rc2", "1.2-rc10", // suffixes in natural order: 2 < 10, '-' < 'a'
		"1.2a", "1.2B", "1.2b", // letters ignoring case, then text
		"1.2.0.1",
		"1.2.1",
		"1.10",
		"2.0", "2.0_1", "2.0a",
		"10",
		// Hex, by value, then spellings by text.
		"0x0", "0x00FF",
		"0x1A2B", "0x1a2b", "1A2B", "1a2b",
		"0x1A2B00FF", "1A2B00FF",
		"0xFFFFFFFFFFFFFFFF",
	}
	vs := make([]FirmwareVersion, len(ordered))
	for i, s := range ordered {
		vs[i] = mustVersion(t, s)
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = +1
			}
			if got := Compare(vs[i], vs[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", vs[i], vs[j], got, want)
			}
		}
	}
	shuffled := slices.Clone(vs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	slices.SortFunc(shuffled, Compare)
	if !slices.Equal(shuffled, vs) {
		t.Errorf("sorted = %v, want %v", shuffled, vs)
	}
}

// randomVersion draws from a small alphabet so that ties, shared prefixes and
// both families come up often.
func randomVersion(r *rand.Rand) string {
	const hexDigits = "0123456789abcdefABCDEF"
	switch r.IntN(4) {
	case 0:
		n := 4
		if r.IntN(2) == 0 {
			n = 8
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = hexDigits[r.IntN(len(hexDigits))]
		}
		return string(b)
	case 1:
		b := []byte("0x")
		for range 1 + r.IntN(4) {
			b = append(b, "0F1a"[r.IntN(4)])
		}
		return string(b)
	}
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteByte('v')
	}
	for i := range 1 + r.IntN(4) {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "%0*d", 1+r.IntN(2), r.IntN(12))
	}
	if r.IntN(3) == 0 {
		suffixes := []string{"a", "A", "b", "-rc1", "-rc2", "-rc10", "-RC1", "_p01", "_p1", "~x", "a1b", "a01b"}
		b.WriteString(suffixes[r.IntN(len(suffixes))])
	}
	return b.String()
}

func TestCompareIsTotalOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	vs := make([]FirmwareVersion, 300)
	for i := range vs {
		for {
			// A few draws are refused as ambiguous ("1a01b"); draw again.
			v, err := ParseFirmwareVersion(randomVersion(r))
			if err == nil {
				vs[i] = v
				break
			}
		}
	}
	for _, a := range vs {
		for _, b := range vs {
			ab, ba := Compare(a, b), Compare(b, a)
			if ab != -ba {
				t.Fatalf("not antisymmetric: Compare(%s,%s)=%d, Compare(%s,%s)=%d", a, b, ab, b, a, ba)
			}
			if (ab == 0) != (a == b) || (ab == 0) != (a.String() == b.String()) {
				t.Fatalf("Compare(%s,%s)=%d disagrees with ==", a, b, ab)
			}
			if ab < 0 && compareRelease(a, b) > 0 {
				t.Fatalf("Compare(%s,%s)<0 but the release order says >", a, b)
			}
		}
	}
	for _, a := range vs {
		for _, b := range vs {
			if Compare(a, b) > 0 {
				continue
			}
			for _, c := range vs {
				if Compare(b, c) <= 0 && Compare(a, c) > 0 {
					t.Fatalf("not transitive: %s <= %s <= %s but %s > %s", a, b, c, a, c)
				}
			}
		}
	}
}

func TestRange(t *testing.T) {
	for _, tc := range []struct {
		introduced, fixed, last string
		in, out                 []string
		str                     string
	}{
		{"1.2", "1.4", "", []string{"1.2", "1.2.0", "01.02", "1.2a", "1.3.9", "1.3.9a"}, []string{"1.1.9", "1.4", "1.4.0", "1.4a", "2", "0x1A2B"}, ">=1.2 <1.4"},
		{"1.2", "", "1.3", []string{"1.2", "1.3", "1.3.0", "v1.3"}, []string{"1.3a", "1.3.1", "1.1"}, ">=1.2 <=1.3"},
		{"", "2.0", "", []string{"0", "1.9.9"}, []string{"2.0", "2", "0x0100"}, "<2.0"},
		{"0x0100", "", "", []string{"0x0100", "0100", "0x0101", "FFFFFFFF"}, []string{"0x00FF", "1.0"}, ">=0x0100"},
		{"", "", "", []string{"1.0", "0x12", "v9"}, nil, "all versions"},
		{"3.1", "", "3.1", []string{"3.1", "3.1.0"}, []string{"3.1.1", "3.0"}, ">=3.1 <=3.1"},
	} {
		r, err := NewRange(tc.introduced, tc.fixed, tc.last)
		if err != nil {
			t.Errorf("NewRange(%q, %q, %q): %v", tc.introduced, tc.fixed, tc.last, err)
			continue
		}
		if r.String() != tc.str {
			t.Errorf("String() = %q, want %q", r, tc.str)
		}
		for _, s := range tc.in {
			if !r.Contains(mustVersion(t, s)) {
				t.Errorf("%s does not contain %s", r, s)
			}
		}
		for _, s := range tc.out {
			if r.Contains(mustVersion(t, s)) {
				t.Errorf("%s contains %s", r, s)
			}
		}
		if r.Contains(FirmwareVersion{}) {
			t.Errorf("%s contains the zero version", r)
		}
	}
}

func TestRangeErrors(t *testing.T) {
	for _, tc := range []struct{ introduced, fixed, last, wantMsg string }{
		{"1.2", "1.4", "1.3", "both fixed 1.4 and last affected 1.3"},
		{"1.4", "1.2", "", "reversed: introduced 1.4 comes after fixed 1.2"},
		{"1.4", "", "1.2", "reversed: introduced 1.4 comes after last affected 1.2"},
		{"1.2", "1.2", "", "empty: introduced 1.2 is the same release as fixed 1.2"},
		{"1.2.0", "1.2", "", "empty"},
		{"1.2", "0x0104", "", "mixes a dotted introduced version 1.2 with a hex fixed version 0x0104"},
		{"1..2", "", "", "introduced version: firmware version \"1..2\""},
		{"", "x", "", "fixed version:"},
	} {
		_, err := NewRange(tc.introduced, tc.fixed, tc.last)
		if err == nil {
			t.Errorf("NewRange(%q, %q, %q) succeeded, want %q", tc.introduced, tc.fixed, tc.last, tc.wantMsg)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("NewRange(%q, %q, %q) error %q, want it to contain %q", tc.introduced, tc.fixed, tc.last, err, tc.wantMsg)
		}
	}
}

func FuzzParseFirmwareVersion(f *testing.F) {
	seeds := [][2]string{
		{"1.2.10", "1.2.9"}, {"02.01", "2.1"}, {"0x1A2B", "1A2B"}, {"1A2B00FF", "0x1A2B00FF"},
		{"1.2b", "1.2-rc10"}, {"v3.1", "3.1.0"}, {"1.2a01b", "1.2a1b"}, {"", "1A2"}, {"0x", "1..2"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s1, s2 string) {
		a, err := ParseFirmwareVersion(s1)
		if err != nil {
			return
		}
		again, err := ParseFirmwareVersion(a.String())
		if err != nil || again != a {
			t.Fatalf("%q does not round-trip: %v, %v", s1, again, err)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%s, %s) != 0", a, a)
		}
		b, err := ParseFirmwareVersion(s2)
		if err != nil {
			return
		}
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q,%q)=%d, reversed %d", a, b, ab, ba)
		}
		if (ab == 0) != (a == b) || (ab == 0) != (s1 == s2) {
			t.Fatalf("Compare(%q,%q)=%d disagrees with equal text", a, b, ab)
		}
		if rel := compareRelease(a, b); rel != 0 && rel != ab {
			t.Fatalf("Compare(%q,%q)=%d disagrees with release order %d", a, b, ab, rel)
		}
	})
}

func FuzzRange(f *testing.F) {
	f.Add("1.2", "1.4", "", "1.3", "1.4", "1.2.0")
	f.Add("1.2", "", "1.3", "1.3", "1.3a", "1.2")
	f.Add("", "0x0200", "", "0x01FF", "0200", "0x0")
	f.Add("", "", "", "1", "0x1", "2")
	f.Add("1.4", "1.2", "", "1.3", "1.3", "1.3")
	f.Fuzz(func(t *testing.T, introduced, fixed, last, s1, s2, s3 string) {
		r, err := NewRange(introduced, fixed, last)
		if err != nil {
			return
		}
		if r.Validate() != nil {
			t.Fatalf("NewRange accepted %s but Validate refuses it", r)
		}
		if !r.Introduced.IsZero() && !r.Contains(r.Introduced) {
			t.Fatalf("%s does not contain its introduced version", r)
		}
		if !r.Fixed.IsZero() && r.Contains(r.Fixed) {
			t.Fatalf("%s contains its fixed version", r)
		}
		if !r.LastAffected.IsZero() && !r.Contains(r.LastAffected) {
			t.Fatalf("%s does not contain its last affected version", r)
		}
		var vs []FirmwareVersion
		for _, s := range []string{s1, s2, s3} {
			if v, err := ParseFirmwareVersion(s); err == nil {
				vs = append(vs, v)
			}
		}
		slices.SortFunc(vs, Compare)
		// A range is an interval of the total order: nothing between two
		// contained versions is left out.
		for i := range vs {
			for k := i + 2; k < len(vs); k++ {
				if r.Contains(vs[i]) && r.Contains(vs[k]) {
					for j := i + 1; j < k; j++ {
						if !r.Contains(vs[j]) {
							t.Fatalf("%s contains %s and %s but not %s between them", r, vs[i], vs[k], vs[j])
						}
					}
				}
			}
		}
		// Spellings of one release are in or out together.
		for i := range vs {
			for j := range vs {
				if compareRelease(vs[i], vs[j]) == 0 && r.Contains(vs[i]) != r.Contains(vs[j]) {
					t.Fatalf("%s holds %s but not %s, the same release", r, vs[i], vs[j])
				}
			}
		}
	})
}
