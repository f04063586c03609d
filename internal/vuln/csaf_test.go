package vuln_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

func TestCSAFRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := e1Report(yes())
		in.Mitigation = "Disable HAN joining until updated."
		v := f.report("SUPA", in)
		doc, name, err := f.svc.ExportCSAF(f.ctx, f.as["SUPB"], v.Ref)
		if err != nil {
			t.Fatal(err, errs.As(err).Err)
		}
		if name != "msv-2026-0001.json" {
			t.Errorf("file name %s", name)
		}
		var d map[string]any
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		text := string(doc)
		for _, want := range []string{`"label": "AMBER"`, `"status": "interim"`, `"vendor_fix"`, `"mitigation"`, "CVE-2026-31337",
			`"known_affected"`, `"fixed"`, "MS-MANA:E1:2.0"} {
			if !strings.Contains(text, want) {
				t.Errorf("export lacks %s", want)
			}
		}
		// Nothing about who was told, and not the reporting Supplier.
		for _, never := range []string{"SUPA", "SUPB", "MAPA", "Org SUPA", "1000", "acknowledg"} {
			if strings.Contains(text, never) {
				t.Errorf("export carries %q", never)
			}
		}

		// Importing our own export maps back onto the same firmware.
		res, err := f.svc.ImportCSAF(f.ctx, f.as["MANA"], bytes.NewReader(doc), vuln.ImportOptions{DryRun: true})
		if err != nil {
			t.Fatal(err, errs.As(err).Err)
		}
		want := []vuln.AffectedInput{{Model: "CH", Introduced: "0x0100", LastAffected: "0x0200"}, {Model: "E1", Introduced: "1.0", LastAffected: "1.2"}}
		if !slices.Equal(res.Affected, want) || len(res.Report.Unmapped) != 0 || res.Vulnerability != nil {
			t.Fatalf("dry run: %+v", res)
		}
		res, err = f.svc.ImportCSAF(f.ctx, f.as["MANA"], bytes.NewReader(doc), vuln.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w := res.Vulnerability
		if w == nil || w.Source != "csaf:MSV-2026-0001" || w.Classification != sec.Amber || w.CVSS.Vector != v.CVSS.Vector ||
			!slices.Equal(w.CVEs, v.CVEs) || w.State != sec.VulnStateReported {
			t.Fatalf("imported %+v", w)
		}
		for i, a := range w.Affected {
			if !slices.Equal(a.Firmware, v.Affected[i].Firmware) {
				t.Errorf("%s: imported firmware %v, reported %v", a.Model.Code, a.Firmware, v.Affected[i].Firmware)
			}
		}
		// And the import exports again, valid.
		if _, _, err := f.svc.ExportCSAF(f.ctx, f.as["MANA"], w.Ref); err != nil {
			t.Error(err, errs.As(err).Err)
		}

		// Every classification exports with its TLP label.
		for _, class := range []string{"WHITE", "GREEN", "RED"} {
			in := e1Report(nil)
			in.Classification = class
			x, err := f.svc.Report(f.ctx, f.as["SSC"], in)
			if err != nil {
				t.Fatal(err)
			}
			doc, _, err := f.svc.ExportCSAF(f.ctx, f.as["SSC"], x.Ref)
			if err != nil || !strings.Contains(string(doc), `"label": "`+class+`"`) || !strings.Contains(string(doc), `"status": "draft"`) {
				t.Errorf("%s: %v", class, err)
			}
		}
	})
}

func TestCSAFImportManufacturerAdvisory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p, err := (&party.Service{DB: db}).Create(f.ctx, access.SystemCaller("test"), party.NewParty{Code: "ARDM", Name: "Ardent Metering", Roles: []string{"manufacturer"}})
		if err != nil {
			t.Fatal(err)
		}
		f.org["ARDM"] = p.ID
		f.addModel("ARDM", "4A1F", sec.ESME, sec.SMETS2, "1.9", "2.3.0", "2.3.1", "2.4.1", "2.10.0")
		f.addModel("ARDM", "4A20", sec.GSME, sec.SMETS2, "1.2.0")
		db.Writer().Exec("UPDATE device_models SET name = 'AM200' WHERE code = '4A1F'")
		f.portfolio("SUPB", "4A1F@2.3.1", "", 42)
		doc, err := os.ReadFile("../advisory/testdata/ardent-sa-2026-07.json")
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.ImportCSAF(f.ctx, f.as["SSC"], bytes.NewReader(doc), vuln.ImportOptions{Material: yes(), MaterialityRationale: "Per the SSC."})
		if err != nil {
			t.Fatal(err, errs.As(err).Err)
		}
		v := res.Vulnerability
		if v.Manufacturer.Code != "ARDM" || v.Classification != sec.Green || v.State != sec.VulnStateNotified {
			t.Fatalf("imported %+v", v)
		}
		got := map[string][]string{}
		for _, a := range v.Affected {
			got[a.Model.Code] = append(got[a.Model.Code], a.Firmware...)
		}
		if !slices.Equal(got["4A1F"], []string{"2.3.0", "2.3.1"}) || !slices.Equal(got["4A20"], []string{"1.2.0"}) {
			t.Errorf("affected %v", got)
		}
		var unmapped []string
		for _, u := range v.Import.Unmapped {
			unmapped = append(unmapped, u.ProductID)
		}
		for _, id := range []string{"CH9-41", "AM200-OLD", "AM200-229"} {
			if !slices.Contains(unmapped, id) {
				t.Errorf("%s not listed as unmapped: %v", id, unmapped)
			}
		}
		if len(f.note.to(f.org["SUPB"], "vulnerability.notified")) != 1 {
			t.Error("SUPB, operating AM200 2.3.1, was not told")
		}
	})
}

func TestCSAFImportRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		before := f.auditCount()
		for _, tc := range []struct {
			name string
			who  string
			doc  []byte
			code errs.Code
			want string
		}{
			{"not JSON", "MANA", []byte("<csaf/>"), errs.Invalid, "not a JSON document"},
			{"not CSAF", "MANA", []byte(`{"document": {"category": "csaf_security_advisory"}}`), errs.Invalid, "not valid CSAF 2.0"},
			{"too large", "MANA", bytes.Repeat([]byte(" "), advisory.MaxCSAFSize+1), errs.TooLarge, "limit"},
			{"a MAP does not import", "MAPA", []byte("{}"), errs.Forbidden, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.ImportCSAF(f.ctx, f.as[tc.who], bytes.NewReader(tc.doc), vuln.ImportOptions{})
				wantCode(t, err, tc.code, tc.want)
			})
		}
		// Valid CSAF naming nothing in the catalogue.
		doc, err := os.ReadFile("../advisory/testdata/ardent-sa-2026-07.json")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ImportCSAF(f.ctx, f.as["SSC"], bytes.NewReader(doc), vuln.ImportOptions{})
		wantCode(t, err, errs.Invalid, "none of the advisory's affected products")
		if f.auditCount() != before {
			t.Error("a refused import wrote something")
		}
	})
}
