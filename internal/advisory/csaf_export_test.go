package advisory

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var testPublisher = Publisher{
	Name:           "metersec (SEC security coordination)",
	Namespace:      "https://metersec.example",
	ContactDetails: "security@metersec.example",
}

// testAdvisory is a realistic export input: two fictional manufacturers, an
// electricity meter with affected and fixed firmware, a gas meter under
// investigation, and a prepayment interface device.
func testAdvisory() Advisory {
	d := sec.MustParseDate
	return Advisory{
		ID:          "MSV-2026-0042",
		Title:       "Ardent AM200 HAN pairing accepts replayed join requests",
		Description: "The ZigBee HAN join handler of the AM200 electricity meter accepts a replayed join request, letting a device within radio range join the HAN without the install code.",
		CVEs:        []string{"CVE-2026-10233", "CVE-2026-10007"},
		CVSS:        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:L/I:H/A:L",

		Classification:       sec.Amber,
		Material:             true,
		MaterialityRationale: "Affects load control on ESMEs across several Suppliers' estates.",

		Status:       Final,
		DiscoveredOn: d("2026-01-05"),
		ReportedOn:   d("2026-01-07"),
		LastUpdated:  d("2026-02-20"),
		Revisions: []Revision{
			{1, d("2026-01-20"), "Initial notification."},
			{2, d("2026-02-18"), "Firmware 2.4.1 released; 2.3.1 confirmed affected."},
		},
		ReportedBy: "Ardent Metering",

		Manufacturers: []Manufacturer{
			{Code: "BWD", Name: "Brightwell Devices", Models: []Model{
				{Code: "0101", Name: "BW Keypad", DeviceType: sec.PPMID, Generation: sec.SMETS2, Firmware: []Firmware{
					{"3.10", KnownNotAffected}, {"3.9", KnownNotAffected},
				}},
			}},
			{Code: "ARDM", Name: "Ardent Metering", Models: []Model{
				{Code: "4A20", Name: "AG100", DeviceType: sec.GSME, Generation: sec.SMETS2, Firmware: []Firmware{
					{"1.2.0", UnderInvestigation},
				}},
				{Code: "4A1F", Name: "AM200", DeviceType: sec.ESME, Generation: sec.SMETS2, Firmware: []Firmware{
					{"2.4.1", Fixed}, {"2.3.1", KnownAffected}, {"1.9", KnownNotAffected}, {"2.3.0", KnownAffected}, {"2.10.0", Fixed},
				}},
			}},
		},
		Remediations: []Remediation{
			{Category: Mitigation, Details: "Disable HAN joining at the head end until the meter is updated.", Date: d("2026-01-20"),
				Products: []FirmwareRef{{"ARDM", "4A1F", "2.3.1"}, {"ARDM", "4A1F", "2.3.0"}}},
			{Category: VendorFix, Details: "Update to firmware 2.4.1 over the air.", Date: d("2026-02-18"), URL: "https://ardent-metering.example/security/am200-2.4.1",
				Products: []FirmwareRef{{"ARDM", "4A1F", "2.3.0"}, {"ARDM", "4A1F", "2.3.1"}}},
		},
	}
}

func TestExportCSAFGolden(t *testing.T) {
	got, err := ExportCSAF(testAdvisory(), testPublisher)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export_msv-2026-0042.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("export differs from %s (run go test -update and review the diff)", golden)
	}
	assertValidCSAF(t, got)
}

// assertValidCSAF checks a document independently of ExportCSAF's own check,
// calling the gocsaf schema validator directly, then runs the mandatory tests
// metersec implements, and returns the document decoded.
func assertValidCSAF(t *testing.T, doc []byte) *csafDoc {
	t.Helper()
	var generic any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	problems, err := csaf.ValidateCSAF(generic)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("schema: %s", p)
	}
	var adv csafDoc
	if err := json.Unmarshal(doc, &adv); err != nil {
		t.Fatal(err)
	}
	for _, p := range mandatoryProblems(&adv) {
		t.Errorf("mandatory test: %s", p)
	}
	return &adv
}

func TestExportCSAFContent(t *testing.T) {
	out, err := ExportCSAF(testAdvisory(), testPublisher)
	if err != nil {
		t.Fatal(err)
	}
	adv := assertValidCSAF(t, out)
	doc := adv.Document

	if got := doc.Distribution.TLP.Label; got != "AMBER" {
		t.Errorf("TLP label = %s, want AMBER", got)
	}
	tr := doc.Tracking
	if tr.ID != "MSV-2026-0042" || tr.Status != "final" || tr.Version != "2" ||
		tr.InitialReleaseDate != "2026-01-20T00:00:00Z" || tr.CurrentReleaseDate != "2026-02-20T00:00:00Z" || len(tr.RevisionHistory) != 2 {
		t.Errorf("tracking = %+v", tr)
	}
	if doc.AggregateSeverity.Text != "High" {
		t.Errorf("aggregate severity = %s", doc.AggregateSeverity.Text)
	}

	// One vulnerability per CVE, sorted, each with the same statuses.
	if len(adv.Vulnerabilities) != 2 || adv.Vulnerabilities[0].CVE != "CVE-2026-10007" || adv.Vulnerabilities[1].CVE != "CVE-2026-10233" {
		t.Fatalf("vulnerabilities: want CVE-2026-10007 then CVE-2026-10233")
	}
	v := adv.Vulnerabilities[0]
	// Manufacturers by name, models by code, firmware in version order.
	wantAffected := []string{"MS-ARDM:4A1F:2.3.0", "MS-ARDM:4A1F:2.3.1"}
	ps := v.ProductStatus
	if !slices.Equal(ps.KnownAffected, wantAffected) {
		t.Errorf("known_affected = %v, want %v", ps.KnownAffected, wantAffected)
	}
	if want := []string{"MS-ARDM:4A1F:2.4.1", "MS-ARDM:4A1F:2.10.0"}; !slices.Equal(ps.Fixed, want) {
		t.Errorf("fixed = %v, want %v", ps.Fixed, want)
	}
	if want := []string{"MS-ARDM:4A1F:1.9", "MS-BWD:0101:3.9", "MS-BWD:0101:3.10"}; !slices.Equal(ps.KnownNotAffected, want) {
		t.Errorf("known_not_affected = %v, want %v", ps.KnownNotAffected, want)
	}
	if want := []string{"MS-ARDM:4A20:1.2.0"}; !slices.Equal(ps.UnderInvestigation, want) {
		t.Errorf("under_investigation = %v, want %v", ps.UnderInvestigation, want)
	}
	if len(v.Scores) != 1 || *v.Scores[0].CVSSv3 != (csafCVSS3{"3.1", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:L/I:H/A:L", 8.8, "HIGH"}) ||
		!slices.Equal(v.Scores[0].Products, wantAffected) {
		t.Errorf("scores = %+v", v.Scores)
	}
	// Remediations sorted vendor_fix first; product ids in tree order.
	if len(v.Remediations) != 2 || v.Remediations[0].Category != "vendor_fix" || !slices.Equal(v.Remediations[0].ProductIDs, wantAffected) {
		t.Errorf("remediations = %+v", v.Remediations)
	}
	if v.IDs[0].Text != "MSV-2026-0042" || v.Acknowledgments[0].Organization != "Ardent Metering" {
		t.Errorf("ids / acknowledgments wrong")
	}

	// The confidential parts never appear: nothing in Advisory names
	// recipients; the materiality note does appear.
	if !bytes.Contains(out, []byte("Material security vulnerability. Rationale: Affects load control")) {
		t.Error("materiality note missing")
	}
}

func TestExportCSAFDeterministic(t *testing.T) {
	a := testAdvisory()
	first, err := ExportCSAF(a, testPublisher)
	if err != nil {
		t.Fatal(err)
	}
	// Same facts in another order give the same bytes.
	b := testAdvisory()
	slices.Reverse(b.Manufacturers)
	for i := range b.Manufacturers {
		slices.Reverse(b.Manufacturers[i].Models)
		for j := range b.Manufacturers[i].Models {
			slices.Reverse(b.Manufacturers[i].Models[j].Firmware)
		}
	}
	slices.Reverse(b.CVEs)
	slices.Reverse(b.Remediations)
	for _, in := range []Advisory{a, b} {
		again, err := ExportCSAF(in, testPublisher)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Error("re-export is not byte-identical")
		}
	}
}

func TestExportCSAFVariants(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Advisory)
		check  func(t *testing.T, adv *csafDoc, raw []byte)
	}{
		{"WHITE is TLP v1 WHITE, the label CSAF 2.0 knows", func(a *Advisory) { a.Classification = sec.White },
			func(t *testing.T, adv *csafDoc, raw []byte) {
				if l := adv.Document.Distribution.TLP.Label; l != "WHITE" {
					t.Errorf("label %s", l)
				}
				if !bytes.Contains(raw, []byte("Classified WHITE under the SEC Panel Information Policy (TLP:CLEAR)")) {
					t.Error("distribution text should name the classification and TLP 2.0 label")
				}
			}},
		{"RED", func(a *Advisory) { a.Classification = sec.Red },
			func(t *testing.T, adv *csafDoc, _ []byte) {
				if l := adv.Document.Distribution.TLP.Label; l != "RED" {
					t.Errorf("label %s", l)
				}
			}},
		{"CVSS v4.0 goes into a note", func(a *Advisory) {
			a.CVSS = "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:N"
		}, func(t *testing.T, adv *csafDoc, _ []byte) {
			v := adv.Vulnerabilities[0]
			if len(v.Scores) != 0 {
				t.Error("a v4.0 vector must not become a cvss_v3 score")
			}
			n := v.Notes[len(v.Notes)-1]
			if n.Title != "CVSS v4.0" || !strings.HasPrefix(n.Text, "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:N\nScore ") {
				t.Errorf("note %q: %q", n.Title, n.Text)
			}
		}},
		{"CVSS v3.1 with nothing known affected goes into a note", func(a *Advisory) {
			for i := range a.Manufacturers {
				for j := range a.Manufacturers[i].Models {
					for k := range a.Manufacturers[i].Models[j].Firmware {
						a.Manufacturers[i].Models[j].Firmware[k].Status = UnderInvestigation
					}
				}
			}
		}, func(t *testing.T, adv *csafDoc, _ []byte) {
			v := adv.Vulnerabilities[0]
			if len(v.Scores) != 0 || v.Notes[len(v.Notes)-1].Title != "CVSS v3.1" {
				t.Error("want the v3.1 vector in a note")
			}
		}},
		{"no CVE, no CVSS, no dates, draft, reporter withheld", func(a *Advisory) {
			a.CVEs, a.CVSS, a.Status, a.ReportedBy = nil, "", Draft, ""
			a.DiscoveredOn, a.ReportedOn, a.LastUpdated = sec.Date{}, sec.Date{}, sec.Date{}
			a.Remediations = nil
		}, func(t *testing.T, adv *csafDoc, raw []byte) {
			if len(adv.Vulnerabilities) != 1 || adv.Vulnerabilities[0].CVE != "" || adv.Vulnerabilities[0].IDs[0].Text != "MSV-2026-0042" {
				t.Error("want one vulnerability identified by the metersec id")
			}
			if adv.Document.AggregateSeverity != nil || adv.Vulnerabilities[0].Acknowledgments != nil {
				t.Error("no severity and no reporter expected")
			}
			if adv.Document.Tracking.CurrentReleaseDate != "2026-02-18T00:00:00Z" {
				t.Errorf("current release date %s, want the last revision's", adv.Document.Tracking.CurrentReleaseDate)
			}
			if bytes.Contains(raw, []byte("Timeline")) {
				t.Error("no timeline note without dates")
			}
		}},
		{"names needing JSON escapes", func(a *Advisory) {
			a.Title = `AM200 "quoted" <b>& co</b>`
			a.Manufacturers[1].Models[1].Firmware[0].Version = "2.4.1 build:7"
			a.Remediations = nil
		}, func(t *testing.T, adv *csafDoc, raw []byte) {
			if adv.Document.Title != `AM200 "quoted" <b>& co</b>` {
				t.Errorf("title %q", adv.Document.Title)
			}
			if !bytes.Contains(raw, []byte(`"MS-ARDM:4A1F:2.4.1%20build%3A7"`)) {
				t.Error("product id not escaped")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAdvisory()
			tt.change(&a)
			out, err := ExportCSAF(a, testPublisher)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, assertValidCSAF(t, out), out)
		})
	}
}

func TestExportCSAFRejects(t *testing.T) {
	a := testAdvisory()
	a.ID = " MSV-1"
	a.Title = "  "
	a.Classification = "PURPLE"
	a.Status = "published"
	a.CVEs = append(a.CVEs, "CVE-26-1", "CVE-2026-10007")
	a.CVSS = "CVSS:3.0/AV:N"
	a.Revisions = []Revision{{1, sec.MustParseDate("2026-02-01"), "x"}, {3, sec.MustParseDate("2026-01-01"), ""}}
	a.LastUpdated = sec.MustParseDate("2025-12-31")
	a.Manufacturers[1].Models[1].Firmware = append(a.Manufacturers[1].Models[1].Firmware, Firmware{"2.3.1", "broken"})
	a.Manufacturers[1].Models[0].DeviceType = "TOASTER"
	a.Remediations[0].Products = append(a.Remediations[0].Products, FirmwareRef{"ARDM", "4A1F", "9.9"})
	a.Remediations = append(a.Remediations, Remediation{Category: Workaround, Details: "x"})
	_, err := ExportCSAF(a, Publisher{Name: "p", Namespace: "metersec.example"})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("err = %v, want Invalid", err)
	}
	e := errs.As(err)
	want := []string{
		`id: " MSV-1" starts or ends with white space`,
		"title: required",
		`classification: "PURPLE" is not one of`,
		`status: "published" is not one of`,
		`cves[2]: "CVE-26-1" is not a CVE id`,
		"cves[3]: CVE-2026-10007 is listed twice",
		"cvss: CVSS vector: CVSS v3.0 is not supported",
		"revisions[1].number: is 3, want 2",
		"revisions[1].date: 2026-01-01 is before the previous revision's 2026-02-01",
		"revisions[1].summary: required",
		"last_updated: 2025-12-31 is before the last revision's date 2026-01-01",
		`publisher.namespace: "metersec.example" is not an http(s) URL`,
		`manufacturers[1].models[0].device_type: unknown device type "TOASTER"`,
		`manufacturers[1].models[1].firmware[5].version: "2.3.1" is listed twice for model 4A1F`,
		`manufacturers[1].models[1].firmware[5].status: "broken" is not one of`,
		"remediations[0].products[2]: firmware 9.9 of model 4A1F of manufacturer ARDM is not among the advisory's products",
		"remediations[2].products: a remediation applies to at least one product",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	if len(e.Fields) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(e.Fields), len(want), msg)
	}
}

func TestExportCSAFNeedsProducts(t *testing.T) {
	a := testAdvisory()
	a.Manufacturers, a.Remediations = nil, nil
	_, err := ExportCSAF(a, testPublisher)
	if err == nil || !strings.Contains(err.Error(), "a security advisory names at least one product") {
		t.Errorf("err = %v", err)
	}
}

func TestProductID(t *testing.T) {
	tests := []struct {
		ref  FirmwareRef
		want string
	}{
		{FirmwareRef{"ARDM", "4A1F", "2.3.1"}, "MS-ARDM:4A1F:2.3.1"},
		{FirmwareRef{"MF-01", "4A_1F", "v2.3.1-rc.1+b7"}, "MS-MF-01:4A_1F:v2.3.1-rc.1+b7"},
		// A ':' in a part is escaped, so these two do not collide.
		{FirmwareRef{"A:B", "C", "1"}, "MS-A%3AB:C:1"},
		{FirmwareRef{"A", "B:C", "1"}, "MS-A:B%3AC:1"},
		{FirmwareRef{"A", "B", "1 0%"}, "MS-A:B:1%200%25"},
	}
	for _, tt := range tests {
		if got := ProductID(tt.ref); got != tt.want {
			t.Errorf("ProductID(%+v) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	in := []string{"2.10.0", "2.9", "2.3.1", "10", "2.3.1-rc1", "2.3.01", "1.9", "2.3.1", "A1", "a1", "0x0231", "2.3"}
	want := []string{"0x0231", "1.9", "2.3", "2.3.01", "2.3.1", "2.3.1", "2.3.1-rc1", "2.9", "2.10.0", "10", "A1", "a1"}
	got := slices.Clone(in)
	slices.SortFunc(got, compareVersions)
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %v\nwant     %v", got, want)
	}
}

func TestFileName(t *testing.T) {
	if got := FileName("MSV-2026-0042"); got != "msv-2026-0042.json" {
		t.Errorf("FileName = %q", got)
	}
	if got := FileName("Ardent SA 2026/07"); got != "ardent_sa_2026_07.json" {
		t.Errorf("FileName = %q", got)
	}
}

// TestGocsafStructsMisnameAcknowledgments pins the reason csaf_model.go
// exists: gocsaf v3.7.0 writes "acknowledgements", which the CSAF 2.0 schema
// rejects. If this fails after an upgrade, gocsaf's structs may be usable.
func TestGocsafStructsMisnameAcknowledgments(t *testing.T) {
	org := "Ardent Metering"
	b, err := json.Marshal(csaf.Vulnerability{Acknowledgements: csaf.Acknowledgements{{Organization: &org}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"acknowledgements"`)) {
		t.Errorf("gocsaf now writes %s: reconsider csaf_model.go", b)
	}
	var pt csaf.ProductTree
	if err := json.Unmarshal([]byte(`{"product_groups":[{"group_id":"G","product_ids":["A","B"]}]}`), &pt); err == nil {
		t.Error("gocsaf now decodes product_groups as the schema has them: reconsider csaf_model.go")
	}
}
