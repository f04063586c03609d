package advisory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// testCatalogue is the catalogue the import tests map onto: two fictional
// manufacturers.
func testCatalogue() Catalogue {
	return NewCatalogue([]Manufacturer{
		{Code: "ARDM", Name: "Ardent Metering", Models: []Model{
			{Code: "4A1F", Name: "AM200", DeviceType: sec.ESME, Generation: sec.SMETS2, Firmware: []Firmware{{Version: "1.9"}, {Version: "2.3.0"}, {Version: "2.3.1"}, {Version: "2.4.1"}, {Version: "2.10.0"}}},
			{Code: "4A20", Name: "AG100", DeviceType: sec.GSME, Generation: sec.SMETS2, Firmware: []Firmware{{Version: "1.2.0"}}},
			{Code: "AP50", Name: "Ardent Keypad", DeviceType: sec.PPMID, Generation: sec.SMETS2, Firmware: []Firmware{{Version: "5.0.2"}}},
		}},
		{Code: "BWD", Name: "Brightwell Devices", Models: []Model{
			{Code: "0101", Name: "BW Keypad", DeviceType: sec.PPMID, Generation: sec.SMETS2, Firmware: []Firmware{{Version: "3.9"}, {Version: "3.10"}}},
		}},
	})
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCVSS(t *testing.T, v string) *CVSS {
	t.Helper()
	c, err := ParseCVSS(v)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// equalJSON compares two values by their JSON, which reads well in a failure.
func equalJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
}

func TestImportCSAFManufacturerAdvisory(t *testing.T) {
	im, err := ImportCSAF(bytes.NewReader(readTestdata(t, "ardent-sa-2026-07.json")), testCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	d := sec.MustParseDate
	am200 := func(v string) FirmwareRef { return FirmwareRef{"ARDM", "4A1F", v} }
	g1 := FirmwareRef{"ARDM", "4A20", "1.2.0"}
	keypad := FirmwareRef{"ARDM", "AP50", "5.0.2"}
	v4 := mustCVSS(t, "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:N")
	want := &Imported{
		TrackingID:     "ARDENT-SA-2026-07",
		Title:          "Ardent Metering SA-2026-07: HAN join replay in AM200 and keypad firmware",
		Description:    "A replayed ZigBee join request lets a device in radio range join the HAN of affected meters.",
		Publisher:      "Ardent Metering Ltd",
		Status:         Final,
		Version:        "3",
		Classification: sec.Green,
		InitialRelease: d("2026-02-01"),
		CurrentRelease: d("2026-03-01"), // 00:30 on 1 March at +01:00 is 1 March to its author
		DiscoveredOn:   d("2025-12-20"),
		CVEs:           []string{"CVE-2026-10007", "CVE-2026-10233"},
		CVSS:           v4, // v4.0 (from a note) preferred to v3.1
		Products: map[ProductStatus][]FirmwareRef{
			// 2.3.0 is not affected by the second vulnerability but affected by the first: affected wins.
			KnownAffected: {am200("2.3.0"), am200("2.3.1"), g1, keypad},
			// 2.4.1 is fixed for the first and under investigation for the second.
			UnderInvestigation: {am200("2.4.1")},
		},
		Vulnerabilities: []ImportedVulnerability{
			{
				CVE: "CVE-2026-10233", Title: "HAN join replay",
				Description: "The join handler does not check the frame counter of a join request.",
				CVSS:        v4,
				Products: map[ProductStatus][]FirmwareRef{
					// v2.3.1 maps to the catalogue's 2.3.1; the relationship
					// "HAN firmware 2.3.1 installed_on AM200 hardware" maps to it too.
					KnownAffected: {am200("2.3.0"), am200("2.3.1"), g1},
					Fixed:         {am200("2.4.1")},
				},
			},
			{
				CVE: "CVE-2026-10007", Title: "Keypad accepts unauthenticated top-up codes",
				Description: "The keypad accepts a top-up code without checking its MAC.",
				Products: map[ProductStatus][]FirmwareRef{
					KnownAffected:      {keypad}, // mapped through its CPE
					UnderInvestigation: {am200("2.4.1")},
					KnownNotAffected:   {am200("2.3.0")},
				},
			},
		},
		Unmapped: []Unmapped{
			{"AM200-229", "Ardent AM200 2.2.9", `model 4A1F of manufacturer ARDM has no firmware version "2.2.9" in the catalogue`},
			{"AM200-OLD", "Ardent AM200 before 2.3.0", `version range "vers:generic/<2.3.0" is not expanded: list the affected versions or map them by hand`},
			{"AM210-100", "Ardent AM210 1.0.0", `no model of manufacturer ARDM is called "AM210" or "Smart meters"`},
			{"CH9-41", "Cobalt Comms CH-9 4.1", `vendor "Cobalt Comms" is not a manufacturer in the catalogue`},
			{"TOOL-1", "Ardent installer tool", `vendor "Ardent Metering Ltd" is not a manufacturer in the catalogue`},
		},
		Warnings: []string{
			"/vulnerabilities/0/scores/0/cvss_v3/baseScore: the document says 8.3 but the vector scores 8.8; using 8.8",
			"/vulnerabilities/1/scores/0/cvss_v2: CVSS v2 scores are not used",
			"/vulnerabilities/1/scores/1/cvss_v3/vectorString: CVSS vector: CVSS v3.0 is not supported: rescore the vulnerability with CVSS v3.1 or v4.0; score not used",
		},
	}
	equalJSON(t, "imported", im, want)
}

func TestImportCSAFRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Advisory)
	}{
		{"v3.1 score", func(*Advisory) {}},
		{"v4.0 score in a note", func(a *Advisory) {
			a.CVSS = "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:N"
		}},
		{"WHITE, no CVE, unscored", func(a *Advisory) {
			a.Classification, a.CVEs, a.CVSS = sec.White, nil, ""
		}},
		{"RED", func(a *Advisory) { a.Classification = sec.Red }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAdvisory()
			tt.change(&a)
			out, err := ExportCSAF(a, testPublisher)
			if err != nil {
				t.Fatal(err)
			}
			im, err := ImportCSAF(bytes.NewReader(out), NewCatalogue(a.Manufacturers))
			if err != nil {
				t.Fatal(err)
			}
			want := map[ProductStatus][]FirmwareRef{}
			for _, m := range sortedManufacturers(a.Manufacturers) {
				for _, md := range sortedModels(m.Models) {
					for _, fw := range sortedFirmware(md.Firmware) {
						want[fw.Status] = append(want[fw.Status], FirmwareRef{m.Code, md.Code, fw.Version})
					}
				}
			}
			equalJSON(t, "products", im.Products, want)
			wantCVEs := append([]string{}, a.CVEs...)
			sortStrings(wantCVEs)
			equalJSON(t, "CVEs", im.CVEs, wantCVEs)
			var wantCVSS *CVSS
			if a.CVSS != "" {
				wantCVSS = mustCVSS(t, a.CVSS)
			}
			equalJSON(t, "CVSS", im.CVSS, wantCVSS)
			if im.Classification != a.Classification {
				t.Errorf("classification %s, want %s", im.Classification, a.Classification)
			}
			if im.TrackingID != a.ID || im.Title != a.Title || im.Description != a.Description || im.Status != a.Status ||
				im.DiscoveredOn != a.DiscoveredOn || im.InitialRelease != a.Revisions[0].Date {
				t.Errorf("document fields differ: %+v", im)
			}
			if len(im.Unmapped) != 0 || len(im.Warnings) != 0 {
				t.Errorf("unmapped %v, warnings %v", im.Unmapped, im.Warnings)
			}
		})
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// mutated returns the manufacturer advisory with one change made through
// generic JSON, for documents that fail in one known way.
func mutated(t *testing.T, change func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readTestdata(t, "ardent-sa-2026-07.json"), &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(v any, keys ...string) map[string]any {
	m := v.(map[string]any)
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func TestImportCSAFRejects(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		code  errs.Code
		wants []string // substrings of the error, each problem naming its JSON path
	}{
		{"empty", nil, errs.Invalid, []string{"not a JSON document: it is empty or ends too early"}},
		{"not JSON", []byte("<csaf/>"), errs.Invalid, []string{"not a JSON document: invalid character '<' looking for beginning of value (at byte 1)"}},
		{"trailing data", []byte(`{"document":{}} {}`), errs.Invalid, []string{"unexpected data after the JSON document"}},
		{"JSON but not CSAF", []byte(`[1,2,3]`), errs.Invalid, []string{"not valid CSAF 2.0", "/: "}},
		{"TLP 2.0 CLEAR is not a CSAF 2.0 label", mutated(t, func(d map[string]any) {
			obj(d, "document", "distribution", "tlp")["label"] = "CLEAR"
		}), errs.Invalid, []string{"/document/distribution/tlp/label: value must be one of"}},
		{"CSAF 2.1", mutated(t, func(d map[string]any) {
			obj(d, "document")["csaf_version"] = "2.1"
		}), errs.Invalid, []string{"/document/csaf_version: value must be '2.0'"}},
		{"missing tracking id and bad CVE", mutated(t, func(d map[string]any) {
			delete(obj(d, "document", "tracking"), "id")
			d["vulnerabilities"].([]any)[1].(map[string]any)["cve"] = "CVE-26-7"
		}), errs.Invalid, []string{"/document/tracking: missing property 'id'", "/vulnerabilities/1/cve: "}},
		{"bad status and a bad date", mutated(t, func(d map[string]any) {
			obj(d, "document", "tracking")["status"] = "published"
			obj(d, "document", "tracking")["current_release_date"] = "1 March 2026"
		}), errs.Invalid, []string{"/document/tracking/status: value must be one of", "/document/tracking/current_release_date: "}},
		{"an unknown member", mutated(t, func(d map[string]any) {
			obj(d, "document")["classification"] = "AMBER"
		}), errs.Invalid, []string{"/document: additional properties 'classification' not allowed"}},
		{"over 5 MiB", append(readTestdata(t, "ardent-sa-2026-07.json"), bytes.Repeat([]byte(" "), MaxCSAFSize)...), errs.TooLarge, []string{"larger than the 5 MiB limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := ImportCSAF(bytes.NewReader(tt.in), testCatalogue())
			if err == nil {
				t.Fatalf("imported %+v, want an error", im)
			}
			if got := errs.CodeOf(err); got != tt.code {
				t.Errorf("code %s, want %s: %v", got, tt.code, err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestImportCSAFExactlyAtLimit(t *testing.T) {
	doc := readTestdata(t, "ardent-sa-2026-07.json")
	doc = append(doc, bytes.Repeat([]byte("\n"), MaxCSAFSize-len(doc))...)
	if _, err := ImportCSAF(bytes.NewReader(doc), testCatalogue()); err != nil {
		t.Errorf("a document of exactly %d bytes: %v", MaxCSAFSize, err)
	}
}

func TestImportCSAFTooManyProblemsAreCounted(t *testing.T) {
	in := mutated(t, func(d map[string]any) {
		var bad []any
		for range 40 {
			bad = append(bad, map[string]any{"cve": "nope"})
		}
		d["vulnerabilities"] = bad
	})
	_, err := ImportCSAF(bytes.NewReader(in), testCatalogue())
	e := errs.As(err)
	if len(e.Fields) != maxProblems || e.More == 0 {
		t.Errorf("%d problems listed and %d more; want %d listed and the rest counted", len(e.Fields), e.More, maxProblems)
	}
}

func TestImportCSAFWarnings(t *testing.T) {
	in := mutated(t, func(d map[string]any) {
		delete(obj(d, "document"), "distribution")
		v0 := d["vulnerabilities"].([]any)[0].(map[string]any)
		ps := v0["product_status"].(map[string]any)
		// 6.1.6: one product both affected and not affected; 6.1.1: an undefined id.
		ps["known_not_affected"] = []any{"AM200-230", "GHOST-1"}
	})
	im, err := ImportCSAF(bytes.NewReader(in), testCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	if im.Classification != sec.Amber {
		t.Errorf("classification %s, want AMBER when the advisory has no TLP label", im.Classification)
	}
	for _, w := range []string{
		"/document/distribution/tlp: no TLP label; classified AMBER until someone decides",
		`/vulnerabilities/0/product_status/known_not_affected/0: product id "AM200-230" is both known_affected and known_not_affected (CSAF 6.1.6)`,
		`/vulnerabilities/0/product_status/known_not_affected/1: product id "GHOST-1" is not defined in the product tree (CSAF 6.1.1)`,
	} {
		if !containsString(im.Warnings, w) {
			t.Errorf("warnings %q\nlack %q", im.Warnings, w)
		}
	}
	if !containsUnmapped(im.Unmapped, Unmapped{ProductID: "GHOST-1", Reason: "not defined in the product tree"}) {
		t.Errorf("unmapped %v lacks GHOST-1", im.Unmapped)
	}
	// The contradiction is resolved towards the more urgent status.
	if got := im.Vulnerabilities[0].Products[KnownAffected][0]; got != (FirmwareRef{"ARDM", "4A1F", "2.3.0"}) {
		t.Errorf("first affected = %v", got)
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsUnmapped(us []Unmapped, u Unmapped) bool {
	for _, x := range us {
		if x == u {
			return true
		}
	}
	return false
}

func TestCatalogueMatching(t *testing.T) {
	cat := NewCatalogue([]Manufacturer{
		{Code: "ARDM", Name: "Ardent  Metering", Models: []Model{
			{Code: "4A1F", Name: "AM200", Firmware: []Firmware{{Version: "2.3.1"}, {Version: "V3.0"}}},
			{Code: "4A21", Name: "Twin"},
			{Code: "4A22", Name: "twin"},
		}},
		{Code: "ARD2", Name: "Ardent Metering"}, // two manufacturers answer to one name
		{Code: "BWD", Name: "Brightwell Devices"},
	})
	if code, ok := cat.FindManufacturer("  brightwell   DEVICES "); !ok || code != "BWD" {
		t.Errorf("vendor by name, any case and spacing: %q %v", code, ok)
	}
	if code, ok := cat.FindManufacturer("bwd"); !ok || code != "BWD" {
		t.Errorf("vendor by code: %q %v", code, ok)
	}
	if _, ok := cat.FindManufacturer("Ardent Metering"); ok {
		t.Error("an ambiguous vendor name must not match")
	}
	if m, ok := cat.FindModel("ARDM", "am200"); !ok || m != (ModelRef{"ARDM", "4A1F"}) {
		t.Errorf("model by name: %v %v", m, ok)
	}
	if m, ok := cat.FindModel("ARDM", "4a1f"); !ok || m != (ModelRef{"ARDM", "4A1F"}) {
		t.Errorf("model by code: %v %v", m, ok)
	}
	if _, ok := cat.FindModel("ARDM", "TWIN"); ok {
		t.Error("an ambiguous model name must not match")
	}
	if _, ok := cat.FindModel("BWD", "AM200"); ok {
		t.Error("a model of another manufacturer must not match")
	}
	for in, want := range map[string]string{"2.3.1": "2.3.1", "v2.3.1": "2.3.1", "3.0": "V3.0", " v3.0 ": "V3.0"} {
		if f, ok := cat.FindFirmware(ModelRef{"ARDM", "4A1F"}, in); !ok || f.Firmware != want {
			t.Errorf("FindFirmware(%q) = %v %v, want %s", in, f, ok, want)
		}
	}
	if _, ok := cat.FindFirmware(ModelRef{"ARDM", "4A1F"}, "2.3"); ok {
		t.Error("2.3 is not 2.3.1")
	}
}

func TestParseCPE(t *testing.T) {
	tests := []struct {
		in                       string
		vendor, product, version string
		ok                       bool
	}{
		{"cpe:2.3:h:ardent_metering:am200:2.3.1:*:*:*:*:*:*:*", "ardent metering", "am200", "2.3.1", true},
		{"cpe:2.3:o:ardent_metering:am200_firmware:-:*:*:*:*:*:*:*", "ardent metering", "am200 firmware", "", true},
		{`cpe:2.3:h:ardent:am\:200:1.0`, "ardent", "am:200", "1.0", true},
		{"cpe:/h:ardent_metering:am200:2.3.1", "ardent metering", "am200", "2.3.1", true},
		{"cpe:2.3", "", "", "", false},
		{"not a cpe", "", "", "", false},
	}
	for _, tt := range tests {
		v, p, ver, ok := parseCPE(tt.in)
		if v != tt.vendor || p != tt.product || ver != tt.version || ok != tt.ok {
			t.Errorf("parseCPE(%q) = %q %q %q %v", tt.in, v, p, ver, ok)
		}
	}
}

// FuzzImportCSAF feeds arbitrary bytes to ImportCSAF: it must never panic,
// and must answer either an Imported or an Invalid/TooLarge error.
func FuzzImportCSAF(f *testing.F) {
	f.Add(readTestdata(f, "ardent-sa-2026-07.json"))
	f.Add(readTestdata(f, "export_msv-2026-0042.json"))
	f.Add([]byte(`{"document":{}}`))
	f.Add([]byte(`{"document":{"category":"csaf_base","csaf_version":"2.0","title":"t","publisher":{"category":"vendor","name":"n","namespace":"https://n.example"},"tracking":{"id":"x","status":"final","version":"1","initial_release_date":"2026-01-01T00:00:00Z","current_release_date":"2026-01-01T00:00:00Z","revision_history":[{"number":"1","date":"2026-01-01T00:00:00Z","summary":"s"}]}},"product_tree":{"relationships":[{"category":"installed_on","full_product_name":{"name":"a","product_id":"A"},"product_reference":"A","relates_to_product_reference":"A"}]},"vulnerabilities":[{"product_status":{"known_affected":["A","B"]}}]}`))
	f.Add([]byte("null"))
	f.Add([]byte(""))
	cat := testCatalogue()
	f.Fuzz(func(t *testing.T, in []byte) {
		im, err := ImportCSAF(bytes.NewReader(in), cat)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
				t.Fatalf("error code %s: %v", c, errs.As(err).Err)
			}
			return
		}
		if im == nil || im.Products == nil {
			t.Fatal("nil result without an error")
		}
	})
}

// FuzzImportMapping skips the schema and hands the mapping whatever decodes,
// so the fuzzer reaches the code behind the schema check, which random bytes
// rarely pass: the mapping must not panic even on documents the schema
// would have refused.
func FuzzImportMapping(f *testing.F) {
	f.Add(readTestdata(f, "ardent-sa-2026-07.json"))
	f.Add(readTestdata(f, "export_msv-2026-0042.json"))
	f.Add([]byte(`{"product_tree":{"branches":[{"category":"product_version_range","name":"","branches":[{"category":"vendor","name":"Ardent Metering","product":{"product_id":"A","product_identification_helper":{"cpe":"cpe:/::::"}}}]}]},"vulnerabilities":[{"product_status":{"known_affected":["A","A",""]},"notes":[{"text":"CVSS:4.0/ CVSS:3.1/AV:N"}]}]}`))
	cat := testCatalogue()
	f.Fuzz(func(t *testing.T, in []byte) {
		var doc csafDoc
		if json.Unmarshal(in, &doc) != nil {
			return
		}
		if im := importDoc(&doc, cat); im == nil {
			t.Fatal("nil result")
		}
	})
}
