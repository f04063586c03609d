package catalogue

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

func date(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// validRecord returns a good record as a map so tests can change one field.
func validRecord() map[string]string {
	return map[string]string{
		"manufacturer": "MF01", "model": "4A1F", "device_type": "ESME", "generation": "SMETS2+",
		"hardware_version": "1.0", "firmware": "2.1.0", "firmware_released": "2021-03-01",
		"image_hash":    "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
		"cpa_reference": "CPA-2021-0117", "cpa_issued": "2021-02-01", "cpa_kind": "expiring",
		"cpa_expiry": "2027-02-01", "cpa_renewal": "", "cpa_conditional": "no",
		"cpa_conditions": "", "cpa_conditions_due": "", "cpa_withdrawn": "", "cpa_withdrawn_reason": "",
	}
}

func record(m map[string]string) []string {
	rec := make([]string, len(CatalogueHeader))
	for i, h := range CatalogueHeader {
		rec[i] = m[h]
	}
	return rec
}

func TestParseCatalogueRow(t *testing.T) {
	m := validRecord()
	got, probs := ParseCatalogueRow(record(m))
	if probs != nil {
		t.Fatalf("problems: %v", probs)
	}
	want := CatalogueRow{
		Manufacturer: "MF01", Model: "4A1F", DeviceType: sec.ESME, Generation: sec.SMETS2,
		HardwareVersion: "1.0", Firmware: mustVersion(t, "2.1.0"), Released: date("2021-03-01"),
		ImageHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		CPA: CPACertificate{
			Reference: "CPA-2021-0117", Issued: date("2021-02-01"), Kind: CPAExpiring, Expiry: date("2027-02-01"),
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	m["cpa_kind"], m["cpa_expiry"], m["cpa_renewal"] = " Lifetime ", "", "2029-05-10"
	m["cpa_conditional"], m["cpa_conditions"], m["cpa_conditions_due"] = "YES", "Close finding 4, tamper log", "2022-01-01"
	m["cpa_withdrawn"], m["firmware_released"], m["image_hash"] = "2023-01-01", "", ""
	m["cpa_withdrawn_reason"] = "superseded"
	got, probs = ParseCatalogueRow(record(m))
	if probs != nil {
		t.Fatalf("problems: %v", probs)
	}
	c := got.CPA
	if c.Kind != CPALifetime || !c.Renewal.Equal(date("2029-05-10")) || !c.Conditional ||
		c.Conditions != "Close finding 4, tamper log" || !c.Withdrawn.Equal(date("2023-01-01")) ||
		!got.Released.IsZero() || got.ImageHash != "" {
		t.Errorf("got %+v", got)
	}
}

func TestParseCatalogueRowProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change map[string]string
		want   []string // Error() of each problem, in column order
	}{
		{"codes", map[string]string{"manufacturer": "", "model": "4A 1F"},
			[]string{"manufacturer: required", `model "4A 1F": ' ' is not allowed in a code (letters, digits, '-', '_', '.')`}},
		{"kinds", map[string]string{"device_type": "meter", "generation": "SMETS3", "firmware": "1..2"},
			[]string{
				`device_type "meter": want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD`,
				`generation "SMETS3": want SMETS1 or SMETS2+`,
				`firmware "1..2": the '.' at position 2 must be followed by a digit, found '.'`,
			}},
		{"dates", map[string]string{"firmware_released": "2021-02-30", "cpa_issued": "01/02/2021"},
			[]string{
				`firmware_released "2021-02-30": not a date: day out of range (want YYYY-MM-DD)`,
				`cpa_issued "01/02/2021": not a date (want YYYY-MM-DD)`,
			}},
		{"hash", map[string]string{"image_hash": "abc"}, []string{`image_hash "abc": want a SHA-256 hash as 64 hex digits`}},
		{"expiring needs expiry, no renewal", map[string]string{"cpa_expiry": "", "cpa_renewal": "2030-01-01"},
			[]string{"cpa_expiry: required (YYYY-MM-DD)", `cpa_renewal "2030-01-01": must be empty: an expiring certificate has an expiry date, not a renewal date`}},
		{"lifetime needs renewal", map[string]string{"cpa_kind": "lifetime"},
			[]string{`cpa_expiry "2027-02-01": must be empty: a lifetime certificate has a renewal date, not an expiry date`, "cpa_renewal: required (YYYY-MM-DD)"}},
		{"kind", map[string]string{"cpa_kind": "forever"}, []string{`cpa_kind "forever": want expiring or lifetime`}},
		{"expiry after issue", map[string]string{"cpa_expiry": "2021-02-01", "cpa_withdrawn": "2020-01-01", "cpa_withdrawn_reason": "x"},
			[]string{`cpa_expiry "2021-02-01": must be after cpa_issued`, `cpa_withdrawn "2020-01-01": must be on or after cpa_issued`}},
		// Issue 14 (5): "a certificate withdrawal without a reason succeeded.
		// Required fields are required."
		{"withdrawal needs its reason", map[string]string{"cpa_withdrawn": "2022-01-01"},
			[]string{"cpa_withdrawn_reason: required with cpa_withdrawn: say why the certificate was withdrawn (a file without this column cannot withdraw a certificate)"}},
		{"reason only with a withdrawal", map[string]string{"cpa_withdrawn_reason": "x"},
			[]string{`cpa_withdrawn_reason "x": must be empty: only a withdrawn certificate has a withdrawal reason`}},
		{"conditional needs conditions", map[string]string{"cpa_conditional": "yes"},
			[]string{"cpa_conditions: required", "cpa_conditions_due: required (YYYY-MM-DD)"}},
		{"unconditional has none", map[string]string{"cpa_conditional": "no", "cpa_conditions": "x"},
			[]string{`cpa_conditions "x": must be empty: only a conditional certificate has conditions`}},
		{"yes or no", map[string]string{"cpa_conditional": "true"}, []string{`cpa_conditional "true": want yes or no`}},
		{"control character", map[string]string{"hardware_version": "1\x00"}, []string{"hardware_version \"1\\x00\": contains a control character"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := validRecord()
			for k, v := range tc.change {
				m[k] = v
			}
			row, probs := ParseCatalogueRow(record(m))
			var got []string
			for _, p := range probs {
				got = append(got, p.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
			if !reflect.DeepEqual(row, CatalogueRow{}) {
				t.Errorf("row with problems is not the zero value: %+v", row)
			}
		})
	}
}

// TestParseCatalogueRowNoCertificate: a firmware version listed before its
// certificate is recorded leaves every cpa_ column empty (cpa_conditional may
// say "no"); any other cpa_ column makes the row a certificate row, which then
// needs its reference.
func TestParseCatalogueRowNoCertificate(t *testing.T) {
	m := validRecord()
	for _, k := range CatalogueHeader[8:cpaEnd] {
		m[k] = ""
	}
	for _, conditional := range []string{"", "no", "NO"} {
		m["cpa_conditional"] = conditional
		row, probs := ParseCatalogueRow(record(m))
		if probs != nil || row.CPA != (CPACertificate{}) || row.Firmware.String() != "2.1.0" {
			t.Errorf("cpa_conditional %q: %+v %v", conditional, row, probs)
		}
		if got := row.Record(); !reflect.DeepEqual(got[8:cpaEnd], make([]string, cpaEnd-8)) {
			t.Errorf("Record() = %q, want the cpa_ columns empty", got)
		}
	}
	m["cpa_conditional"], m["cpa_withdrawn"] = "no", "2022-01-01"
	_, probs := ParseCatalogueRow(record(m))
	if len(probs) == 0 || probs[0].Error() != "cpa_reference: required" {
		t.Errorf("a certificate column without a reference: %v", probs)
	}
}

// TestParseCatalogueRowLegacy: files written before cpa_withdrawn_reason
// existed (17 columns) still import, but cannot withdraw a certificate.
func TestParseCatalogueRowLegacy(t *testing.T) {
	if err := CheckCatalogueHeader(CatalogueHeader[:17]); err != nil {
		t.Errorf("the header without cpa_withdrawn_reason: %v", err)
	}
	if err := CheckCatalogueHeader(CatalogueHeader[:16]); err == nil {
		t.Error("a header without cpa_withdrawn passed")
	}
	m := validRecord()
	if row, probs := ParseCatalogueRow(record(m)[:17]); probs != nil || row.CPA.Reference != "CPA-2021-0117" {
		t.Errorf("a 17-field record: %+v %v", row, probs)
	}
	m["cpa_withdrawn"] = "2022-01-01"
	if _, probs := ParseCatalogueRow(record(m)[:17]); len(probs) != 1 || probs[0].Field != "cpa_withdrawn_reason" {
		t.Errorf("a 17-field record withdrawing a certificate: %v", probs)
	}
}

func TestParseCatalogueRowFieldCount(t *testing.T) {
	_, probs := ParseCatalogueRow([]string{"a", "b"})
	if len(probs) != 1 || probs[0].Field != "" || !strings.Contains(probs[0].Error(), "record has 2 fields, want 19") {
		t.Errorf("problems = %v", probs)
	}
}

func TestCheckHeader(t *testing.T) {
	want := []string{"a", "b", "c"}
	for _, tc := range []struct {
		header  []string
		wantErr string
	}{
		{[]string{"a", "b", "c"}, ""},
		{[]string{"\uFEFFa", " b", "c "}, ""},
		{[]string{"a", "c"}, "header: missing columns b; want exactly a,b,c"},
		{[]string{"a", "b", "c", "d"}, `header: unexpected columns "d"; want exactly a,b,c`},
		{[]string{"a", "x", "c"}, `header: missing columns b; unexpected columns "x"; want exactly a,b,c`},
		{[]string{"a", "c", "b"}, "header: columns out of order; want exactly a,b,c"},
		{[]string{"a", "b", "c", "a"}, "header: repeated columns a; want exactly a,b,c"},
	} {
		err := CheckHeader(tc.header, want)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.wantErr {
			t.Errorf("CheckHeader(%q) = %q, want %q", tc.header, got, tc.wantErr)
		}
	}
	if err := CheckCatalogueHeader(CatalogueHeader); err != nil {
		t.Error(err)
	}
}

// FuzzParseCatalogueRow reads a CSV line: a row that parses must write and
// read back to the same row, and problems must name real columns.
func FuzzParseCatalogueRow(f *testing.F) {
	f.Add(strings.Join(record(validRecord()), ","))
	f.Add(`MF01,4A1F,esme,SMETS2,1.0,0x1A2B,,,CPA/2023/1,2023-05-10,lifetime,,2029-05-10,yes,"Close 4, tamper",2024-05-10,2025-01-01`)
	f.Add(`MF01,4A1F,GPF,1,hw,1A2B00FF,2020-02-29,,CPA-1,2020-01-01,expiring,2020-01-01,,no,,,`)
	f.Add(`,,,,,,,,,,,,,,,,`)
	f.Add(`MF01,4A1F,ESME,SMETS2+,1.0,2.1.0,2021-03-01,,,,,,,no,,,`)
	f.Add(`MF01,4A1F,ESME,SMETS2+,1.0,2.1.0,,,,,,,,,,,2020-01-01`)
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return
		}
		row, probs := ParseCatalogueRow(rec)
		if probs != nil {
			for _, p := range probs {
				if _, ok := catalogueColumns[p.Field]; !ok && p.Field != "" {
					t.Fatalf("problem names no column: %+v", p)
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
			t.Fatalf("Record %q does not read back: %v", row.Record(), err)
		}
		again, probs := ParseCatalogueRow(rec2)
		if probs != nil || !reflect.DeepEqual(again, row) {
			t.Fatalf("round trip of %q:\n got %+v %v\nwant %+v", line, again, probs, row)
		}
	})
}

// TestParseCatalogueRowModelName: the model_name column names the model for
// people; files written before it existed (18 columns) still import.
func TestParseCatalogueRowModelName(t *testing.T) {
	m := validRecord()
	m["model_name"] = "Aurivolt Keystone 4A1F electricity meter"
	row, probs := ParseCatalogueRow(record(m))
	if probs != nil || row.ModelName != "Aurivolt Keystone 4A1F electricity meter" {
		t.Fatalf("%+v %v", row, probs)
	}
	if got := row.Record(); got[len(got)-1] != row.ModelName {
		t.Errorf("Record() = %q, want the name last", got)
	}
	if err := CheckCatalogueHeader(CatalogueHeader[:18]); err != nil {
		t.Errorf("the header without model_name: %v", err)
	}
	if row, probs := ParseCatalogueRow(record(m)[:18]); probs != nil || row.ModelName != "" || row.CPA.Reference == "" {
		t.Errorf("an 18-field record: %+v %v", row, probs)
	}
}
