package generate

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/sec"
)

func TestParsePartyRow(t *testing.T) {
	got, probs := ParsePartyRow([]string{"KLNW", " Kilnworth Devices ", "manufacturer; Meter Asset Provider", "Rhys Orchard", "security@klnw.example", ""})
	want := PartyRow{Code: "KLNW", Name: "Kilnworth Devices", Roles: []sec.OrgRole{sec.Manufacturer, sec.MAP},
		ContactName: "Rhys Orchard", ContactEmail: "security@klnw.example"}
	if probs != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %v, want %+v", got, probs, want)
	}
	if rec := strings.Join(got.Record(), ","); rec != "KLNW,Kilnworth Devices,manufacturer;map,Rhys Orchard,security@klnw.example," {
		t.Errorf("Record() = %s", rec)
	}
}

func TestParsePartyRowProblems(t *testing.T) {
	for _, tc := range []struct {
		rec  []string
		want []string
	}{
		{[]string{"AL DM", "", "", "", "security", "12"}, []string{
			`code "AL DM": ' ' is not allowed in a code (letters, digits, '-', '_', '.')`,
			"name: required",
			"roles: required: at least one role",
			"contact_name: required",
			`contact_email "security": not an email address (want name@domain)`,
			`contact_phone "12": not a phone number (digits, spaces, + ( ) -, at least 6 digits)`,
		}},
		{[]string{"X", "X Ltd", "map;supplier;MAP", "A B", "a@b.example", "+44 (0)1632 960000"}, []string{
			`roles "map;supplier;MAP": unknown role "supplier" (one of ` + roleCodes() + `)`,
			`roles "map;supplier;MAP": role map given twice`,
		}},
		{[]string{"X"}, []string{"record has 1 fields, want 6 (code,name,roles,contact_name,contact_email,contact_phone)"}},
	} {
		row, probs := ParsePartyRow(tc.rec)
		var got []string
		for _, p := range probs {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParsePartyRow(%q):\n got %q\nwant %q", tc.rec, got, tc.want)
		}
		if !reflect.DeepEqual(row, PartyRow{}) {
			t.Errorf("row with problems is not zero: %+v", row)
		}
	}
}

func TestCheckPartyHeader(t *testing.T) {
	if err := CheckPartyHeader(append([]string{"\uFEFFcode"}, PartyHeader[1:]...)); err != nil {
		t.Error(err)
	}
	err := CheckPartyHeader([]string{"code", "name", "role", "contact_name", "contact_email"})
	if err == nil || !strings.Contains(err.Error(), `missing columns roles, contact_phone; unexpected columns "role"`) {
		t.Errorf("err = %v", err)
	}
	err = CheckPartyHeader([]string{"name", "code", "roles", "contact_name", "contact_email", "contact_phone"})
	if err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("err = %v", err)
	}
}

func FuzzParsePartyRow(f *testing.F) {
	f.Add("ALDM,Aldermoor Energy,large_supplier,Priya Ashdown,security@aldm.example,01632 960412")
	f.Add(`KLNW,"Kilnworth Devices, Ltd",manufacturer;Triage Facility Provider,Rhys Orchard,a@b.example,`)
	f.Add("X,,map;map,,@,1")
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return
		}
		row, probs := ParsePartyRow(rec)
		if probs != nil {
			for _, p := range probs {
				if p.Field != "" && !slices.Contains(PartyHeader, p.Field) || p.Problem == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(row.Record())
		w.Flush()
		rec2, err := csv.NewReader(&buf).Read()
		if err != nil {
			t.Fatal(err)
		}
		again, probs := ParsePartyRow(rec2)
		if probs != nil || !reflect.DeepEqual(again, row) {
			t.Fatalf("round trip of %q: got %+v %v, want %+v", line, again, probs, row)
		}
	})
}
