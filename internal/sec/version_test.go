package sec

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var (
	_ driver.Valuer = Version{}
	_ sql.Scanner   = (*Version)(nil)
)

func TestParseVersion(t *testing.T) {
	good := map[string]Version{
		"5.20":  {5, 20},
		"v5.20": {5, 20},
		"V6.3":  {6, 3},
		" 5.9 ": {5, 9},
		"5.100": {5, 100},
		"10.0":  {10, 0},
		"0.1":   {0, 1},
	}
	for s, want := range good {
		got, err := ParseVersion(s)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	bad := []string{"", "5", "5.", ".20", "5.20.1", "5.05", "05.20", "5.2a", "-5.20", "vv5.20", "0.0", "SEC 5.20", "99999999999999999999.1"}
	for _, s := range bad {
		if got, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", s, got)
		}
	}
}

// DP087 turns on whether a release is before or after v5.20: the labels must
// compare as numbers, part by part.
func TestVersionOrderIsNumeric(t *testing.T) {
	v := MustParseVersion
	ordered := []Version{v("4.12"), v("5.2"), v("5.9"), v("5.19"), v("5.20"), v("5.21"), v("5.100"), v("6.0")}
	if !slices.IsSortedFunc(ordered, Version.Compare) {
		t.Errorf("not in numeric order: %v", ordered)
	}
	shuffled := []Version{v("5.100"), v("5.9"), v("6.0"), v("5.20"), v("4.12"), v("5.21"), v("5.2"), v("5.19")}
	slices.SortFunc(shuffled, Version.Compare)
	if !slices.Equal(shuffled, ordered) {
		t.Errorf("sorted = %v, want %v", shuffled, ordered)
	}
	if !v("5.20").AtLeast(v("5.20")) || v("5.9").AtLeast(v("5.20")) || !v("5.100").AtLeast(v("5.20")) {
		t.Error("AtLeast is wrong")
	}
}

func TestVersionText(t *testing.T) {
	var s struct {
		Fix Version `json:"fix"`
	}
	if err := json.Unmarshal([]byte(`{"fix":"5.21"}`), &s); err != nil || s.Fix != (Version{5, 21}) {
		t.Fatalf("unmarshal = %v, %v", s.Fix, err)
	}
	if err := json.Unmarshal([]byte(`{"fix":""}`), &s); err != nil || !s.Fix.IsZero() {
		t.Fatalf("empty label should unset: %v, %v", s.Fix, err)
	}
	if b, _ := json.Marshal(struct{ V Version }{Version{5, 20}}); string(b) != `{"V":"5.20"}` {
		t.Errorf("marshal = %s", b)
	}
	var v Version
	if err := v.Scan([]byte("6.3")); err != nil || v != (Version{6, 3}) {
		t.Errorf("Scan = %v, %v", v, err)
	}
	if err := v.Scan(nil); err != nil || !v.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", v, err)
	}
	if val, _ := (Version{}).Value(); val != nil {
		t.Errorf("unset Version should store NULL, got %v", val)
	}
}

func TestVersionsInForce(t *testing.T) {
	vs := DefaultVersions()
	d := MustParseDate
	tests := []struct {
		on   string
		want string
	}{
		{"2018-06-28", "5.9"},  // the day a release takes effect it is in force
		{"2019-11-06", "5.19"}, // the day before v5.20
		{"2019-11-07", "5.20"},
		{"2020-02-26", "5.20"},
		{"2030-01-01", "6.3"},
	}
	for _, tt := range tests {
		r, err := vs.InForce(d(tt.on))
		if err != nil || r.Version.String() != tt.want {
			t.Errorf("InForce(%s) = v%s, %v; want v%s", tt.on, r.Version, err, tt.want)
		}
	}
	if _, err := vs.InForce(d("2010-01-01")); err == nil {
		t.Error("a date before the first release should be an error")
	}
	if _, err := vs.InForce(Date{}); err == nil {
		t.Error("no date should be an error")
	}
}

func TestVersionsLookup(t *testing.T) {
	vs := DefaultVersions()
	if r, err := vs.Lookup("v5.20"); err != nil || r.Effective.IsZero() {
		t.Errorf("Lookup(v5.20) = %+v, %v", r, err)
	}
	_, err := vs.Lookup("5.22")
	if !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Lookup(5.22) error = %v, want ErrUnknownVersion", err)
	}
	_, err = vs.Lookup("five")
	if err == nil || errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Lookup(five) error = %v, want a parse error", err)
	}
}

func TestNewVersionsRefusesDisorder(t *testing.T) {
	d, v := MustParseDate, MustParseVersion
	bad := map[string][]Release{
		"empty":              nil,
		"no date":            {{Version: v("5.20")}},
		"date goes back":     {{v("5.20"), d("2020-01-01"), ""}, {v("5.21"), d("2019-01-01"), ""}},
		"version goes back":  {{v("5.20"), d("2020-01-01"), ""}, {v("5.9"), d("2021-01-01"), ""}},
		"same version twice": {{v("5.20"), d("2020-01-01"), ""}, {v("5.20"), d("2021-01-01"), ""}},
		"same date twice":    {{v("5.20"), d("2020-01-01"), ""}, {v("5.21"), d("2020-01-01"), ""}},
	}
	for name, rs := range bad {
		if _, err := NewVersions(rs); err == nil {
			t.Errorf("%s: NewVersions accepted %v", name, rs)
		}
	}
}
