package estate

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
)

func day(s string) time.Time {
	d, err := catalogue.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseDeviceRow(t *testing.T) {
	rec := strings.Split("00:1a:2b:3c:4d:5e:6f:70, esme ,SMETS2,MF01,4A1F,2.1.0,SUP03,2019-06-12,,Non-Domestic", ",")
	got, probs := ParseDeviceRow(rec)
	if probs != nil {
		t.Fatalf("problems: %v", probs)
	}
	fw, _ := catalogue.ParseFirmwareVersion("2.1.0")
	want := DeviceRow{
		ID: 0x001A2B3C4D5E6F70, Type: sec.ESME, Generation: sec.SMETS2, Manufacturer: "MF01", Model: "4A1F",
		Firmware: fw, Supplier: "SUP03", SupplyStart: day("2019-06-12"), Premises: NonDomestic,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// The written record carries the optional enrolled_on column, empty.
	wantRec := "00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS2+,MF01,4A1F,2.1.0,SUP03,2019-06-12,,non_domestic,"
	if r := strings.Join(got.Record(), ","); r != wantRec {
		t.Errorf("Record() = %s, want %s", r, wantRec)
	}
}

// seeds/001: v5.20 brought in "User obligations for enrolled SMETS1 Devices":
// the devices file carries the enrolment day, optionally, in an optional
// last column.
func TestParseDeviceRowEnrolledOn(t *testing.T) {
	rec := strings.Split("00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS1,MF01,4A1F,2.1.0,SUP03,2016-03-01,MAP2,domestic,2020-11-16", ",")
	got, probs := ParseDeviceRow(rec)
	if probs != nil || !got.EnrolledOn.Equal(day("2020-11-16")) {
		t.Fatalf("got %+v %v", got, probs)
	}
	if r := strings.Join(got.Record(), ","); r != "00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS1,MF01,4A1F,2.1.0,SUP03,2016-03-01,MAP2,domestic,2020-11-16" {
		t.Errorf("Record() = %s", r)
	}
	// The ten-column form of files written before enrolment dates.
	got, probs = ParseDeviceRow(rec[:10])
	if probs != nil || !got.EnrolledOn.IsZero() {
		t.Errorf("ten columns: %+v %v", got, probs)
	}
	if err := CheckDeviceHeader(DeviceHeader[:10]); err != nil {
		t.Errorf("the header without enrolled_on is refused: %v", err)
	}
	if err := CheckDeviceHeader(DeviceHeader); err != nil {
		t.Errorf("the header with enrolled_on is refused: %v", err)
	}
	if err := CheckDeviceHeader(append(slices.Clone(DeviceHeader[:9]), "enrolled_on")); err == nil {
		t.Error("a header missing premises was accepted")
	}
}

func TestParseDeviceRowProblems(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"00-1A-2B-3C-4D-5E-6F-7G,ESME,SMETS2+,MF01,4A1F,2.1.0,SUP03,2019-06-12,MAP1,domestic",
			[]string{`device_id "00-1A-2B-3C-4D-5E-6F-7G": character 'G' at position 23 is not a hex digit`}},
		{"001A2B3C4D5E6F7,meter,SMETS9,,4A 1F,1..2,SUP03,2019-13-12,MAP 1,home",
			[]string{
				`device_id "001A2B3C4D5E6F7": has 15 characters: want 16 hex digits, run together or as 8 pairs separated by '-' or ':' (00-1A-2B-3C-4D-5E-6F-70)`,
				`device_type "meter": want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD`,
				`generation "SMETS9": want SMETS1 or SMETS2+`,
				"manufacturer: required",
				`model "4A 1F": ' ' is not allowed in a code (letters, digits, '-', '_', '.')`,
				`firmware "1..2": the '.' at position 2 must be followed by a digit, found '.'`,
				`supply_start "2019-13-12": not a date: month out of range (want YYYY-MM-DD)`,
				`map "MAP 1": ' ' is not allowed in a code (letters, digits, '-', '_', '.')`,
				`premises "home": want domestic or non_domestic`,
			}},
		{",ESME,SMETS2+,MF01,4A1F,,,,,domestic",
			[]string{"device_id: required", "firmware: required", "supplier: required", "supply_start: required (YYYY-MM-DD)"}},
		{"a,b", []string{"record has 2 fields, want 11 (" + strings.Join(DeviceHeader, ",") + ")"}},
		{"00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS1,MF01,4A1F,2.1.0,SUP03,2019-06-12,,domestic,2020-02-30",
			[]string{`enrolled_on "2020-02-30": not a date: day out of range (want YYYY-MM-DD)`}},
	} {
		row, probs := ParseDeviceRow(strings.Split(tc.line, ","))
		var got []string
		for _, p := range probs {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParseDeviceRow(%s):\n got %q\nwant %q", tc.line, got, tc.want)
		}
		if row != (DeviceRow{}) {
			t.Errorf("row with problems is not zero: %+v", row)
		}
	}
}

func TestParseChurnRow(t *testing.T) {
	got, probs := ParseChurnRow([]string{"001A2B3C4D5E6F70", "SUP07", "2025-03-14"})
	want := ChurnRow{DeviceID: 0x001A2B3C4D5E6F70, NewSupplier: "SUP07", EffectiveDate: day("2025-03-14")}
	if probs != nil || got != want {
		t.Errorf("got %+v %v, want %+v", got, probs, want)
	}
	_, probs = ParseChurnRow([]string{"001A2B3C4D5E6F70", "", "14/03/2025"})
	var msgs []string
	for _, p := range probs {
		msgs = append(msgs, p.Error())
	}
	wantMsgs := []string{"new_supplier: required", `effective_date "14/03/2025": not a date (want YYYY-MM-DD)`}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("problems %q, want %q", msgs, wantMsgs)
	}
}

func TestCheckHeaders(t *testing.T) {
	if err := CheckDeviceHeader(DeviceHeader); err != nil {
		t.Error(err)
	}
	if err := CheckChurnHeader([]string{"\uFEFFdevice_id", "new_supplier", "effective_date"}); err != nil {
		t.Error(err)
	}
	err := CheckChurnHeader([]string{"device_id", "supplier", "effective_date"})
	if err == nil || !strings.Contains(err.Error(), `missing columns new_supplier; unexpected columns "supplier"`) {
		t.Errorf("CheckChurnHeader = %v", err)
	}
}

// roundTrip writes rec as CSV and reads it back, as a file would.
func roundTrip(t *testing.T, rec []string) []string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(rec)
	w.Flush()
	out, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatalf("%q does not read back: %v", rec, err)
	}
	return out
}

func checkProblems(t *testing.T, probs []FieldError, header []string) {
	for _, p := range probs {
		if p.Field != "" && !slices.Contains(header, p.Field) {
			t.Fatalf("problem names no column: %+v", p)
		}
		if p.Problem == "" {
			t.Fatalf("problem says nothing: %+v", p)
		}
	}
}

func FuzzParseDeviceRow(f *testing.F) {
	f.Add("00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS2+,MF01,4A1F,2.1.0,SUP03,2019-06-12,MAP02,domestic")
	f.Add("02:44:19:00:00:3a:11:c4,chf,smets1,MF07,0C01,0x0104,SUP03,2012-02-29,,non-domestic")
	f.Add("001A2B3C4D5E6F70,type2,2,MF.1,X_1,1A2B00FF,S-1,2000-01-01,M,DOMESTIC")
	f.Add(",,,,,,,,,")
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return
		}
		row, probs := ParseDeviceRow(rec)
		if probs != nil {
			checkProblems(t, probs, DeviceHeader)
			return
		}
		again, probs := ParseDeviceRow(roundTrip(t, row.Record()))
		if probs != nil || again != row {
			t.Fatalf("round trip of %q: got %+v %v, want %+v", line, again, probs, row)
		}
	})
}

func FuzzParseChurnRow(f *testing.F) {
	f.Add("00-1A-2B-3C-4D-5E-6F-70,SUP07,2025-03-14")
	f.Add("001a2b3c4d5e6f70, SUP07 ,2024-02-29")
	f.Add("00-1A-2B-3C-4D-5E-6F-70,SUP 07,2025-02-29")
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return
		}
		row, probs := ParseChurnRow(rec)
		if probs != nil {
			checkProblems(t, probs, ChurnHeader)
			return
		}
		again, probs := ParseChurnRow(roundTrip(t, row.Record()))
		if probs != nil || again != row {
			t.Fatalf("round trip of %q: got %+v %v, want %+v", line, again, probs, row)
		}
	})
}
