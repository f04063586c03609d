package sec

import (
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"testing"
	"time"
)

// The interfaces the store and the API rely on.
var (
	_ driver.Valuer            = Date{}
	_ sql.Scanner              = (*Date)(nil)
	_ encoding.TextMarshaler   = Date{}
	_ encoding.TextUnmarshaler = (*Date)(nil)
)

func TestParseDate(t *testing.T) {
	good := []string{"2024-01-02", "2024-02-29", "1999-12-31"}
	for _, s := range good {
		d, err := ParseDate(s)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", s, err)
			continue
		}
		if d.String() != s {
			t.Errorf("ParseDate(%q).String() = %q", s, d.String())
		}
	}
	bad := []string{"", "2024-1-2", "2023-02-29", "2024-13-01", "02/01/2024", "2024-01-02T00:00:00Z", " 2024-01-02"}
	for _, s := range bad {
		if d, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", s, d)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d := MustParseDate
	tests := []struct {
		name string
		got  Date
		want Date
	}{
		{"AddDays crosses a month", d("2024-01-30").AddDays(3), d("2024-02-02")},
		{"AddDays backwards crosses a year", d("2024-01-01").AddDays(-1), d("2023-12-31")},
		{"AddMonths keeps the day", d("2024-01-15").AddMonths(6), d("2024-07-15")},
		{"LC50.5 six months from 31 Aug clamps to end of Feb", d("2023-08-31").AddMonths(6), d("2024-02-29")},
		{"AddMonths clamps in a common year", d("2022-08-31").AddMonths(6), d("2023-02-28")},
		{"AddMonths crosses years backwards", d("2024-03-31").AddMonths(-13), d("2023-02-28")},
		{"NewDate normalises month 13", NewDate(2023, 13, 1), d("2024-01-01")},
		{"DateOf takes the day in the value's zone", DateOf(time.Date(2024, 6, 30, 23, 30, 0, 0, time.FixedZone("BST", 3600))), d("2024-06-30")},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if n := d("2024-03-01").Sub(d("2024-02-01")); n != 29 {
		t.Errorf("Sub over leap February = %d, want 29", n)
	}
	if n := d("1900-01-01").Sub(d("2300-01-01")); n != -146097 {
		t.Errorf("Sub over 400 years = %d, want -146097", n)
	}
	if !d("2024-01-01").Before(d("2024-01-02")) || d("2024-01-02").Before(d("2024-01-02")) {
		t.Error("Before is wrong")
	}
	if !d("2024-02-01").After(d("2024-01-31")) || d("2024-01-31").After(d("2024-01-31")) {
		t.Error("After is wrong")
	}
}

func TestDateZero(t *testing.T) {
	var z Date
	if !z.IsZero() || z.String() != "" {
		t.Errorf("zero Date: IsZero=%v String=%q", z.IsZero(), z.String())
	}
	if v, err := z.Value(); v != nil || err != nil {
		t.Errorf("zero Date Value() = %v, %v; want NULL", v, err)
	}
}

func TestDateJSON(t *testing.T) {
	type rec struct {
		Due  Date `json:"due"`
		Done Date `json:"done,omitzero"`
	}
	b, err := json.Marshal(rec{Due: MustParseDate("2024-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"due":"2024-01-02"}` {
		t.Errorf("json = %s", b)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"due":"2024-05-06","done":""}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Due != MustParseDate("2024-05-06") || !r.Done.IsZero() {
		t.Errorf("unmarshalled %+v", r)
	}
	if err := json.Unmarshal([]byte(`{"due":"6 May 2024"}`), &r); err == nil {
		t.Error("want an error for a date not written YYYY-MM-DD")
	}
}

func TestDateSQL(t *testing.T) {
	want := MustParseDate("2024-01-02")
	if v, err := want.Value(); v != "2024-01-02" || err != nil {
		t.Errorf("Value() = %v, %v", v, err)
	}
	srcs := []any{
		"2024-01-02",
		[]byte("2024-01-02"),
		"2024-01-02 00:00:00+00:00",
		"2024-01-02T00:00:00Z",
		time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
	}
	for _, src := range srcs {
		var d Date
		if err := d.Scan(src); err != nil || d != want {
			t.Errorf("Scan(%#v) = %v, %v; want %v", src, d, err, want)
		}
	}
	d := want
	if err := d.Scan(nil); err != nil || !d.IsZero() {
		t.Errorf("Scan(nil) = %v, %v; want the zero Date", d, err)
	}
	if err := d.Scan(int64(20240102)); err == nil {
		t.Error("Scan(int64) should fail")
	}
	if err := d.Scan("yesterday"); err == nil {
		t.Error(`Scan("yesterday") should fail`)
	}
}
