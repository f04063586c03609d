package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// TestSupplierReporterNamedByOneRule: the detail page and API named a
// Supplier that reported a vulnerability to other Suppliers and MAPs, while
// the CSAF export hid it. One rule (vuln's reporterShown) now decides on
// every read path: the reporting Supplier itself, the manufacturer, the SSC
// and its secretariat learn who reported; no one else does, by any route; and
// the CSAF document, which travels, never names a Supplier.
func TestSupplierReporterNamedByOneRule(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			v, err := w.srv.Vulns.Report(t.Context(), w.byRole["supplierA"].Caller, vuln.NewVulnerability{
				Title: "Reported by a Supplier", Description: "Seen in the field.", Manufacturer: "MANA",
				Affected: []vuln.AffectedInput{{Model: "VE1", Fixed: "2.0"}}, Classification: "GREEN",
			})
			if err != nil {
				t.Fatal(err)
			}
			// The reporter's code and its directory name.
			names := []string{"SUPA", marker("party", "SUPA")}
			mayKnow := map[string]bool{"supplierA": true, "manufacturer": true, "ssc": true, "ssc2": true, "secretariat": true}
			paths := []string{"/api/v1/vulnerabilities/" + v.Ref, "/vulnerabilities/" + v.Ref, "/api/v1/vulnerabilities/" + v.Ref + "/timeline"}
			csaf := []string{"/api/v1/vulnerabilities/" + v.Ref + "/csaf", "/vulnerabilities/" + v.Ref + "/csaf"}
			seen := 0
			for _, vw := range w.viewers {
				for _, p := range append(paths, csaf...) {
					status, body := w.do(vw, "GET", p, "")
					if status != http.StatusOK {
						continue
					}
					seen++
					// Every user of the reporting organisation (SUPA's second,
					// RED-cleared user too) is the reporter.
					want := (mayKnow[vw.Name] || vw.Caller.OrgCode == "SUPA") && !strings.HasSuffix(p, "/csaf")
					// Only the reporter's own pages carry its code in
					// their header; its detail API must name it.
					named := false
					for _, n := range names {
						if strings.Contains(body, `"`+n+`"`) || strings.Contains(body, n+"<") || strings.Contains(body, n+" ") || strings.Contains(body, n+")") {
							named = true
						}
					}
					if vw.Caller.OrgCode == "SUPA" && !strings.HasPrefix(p, "/api/") {
						continue // its own pages show its organisation anyway
					}
					if strings.HasSuffix(p, "/timeline") && want {
						continue // the timeline names an organisation only to those who may see its directory entry
					}
					if named != want {
						t.Errorf("GET %s as %s: reporter named %v, want %v: %.600s", p, vw.Name, named, want, body)
					}
					if !want && strings.HasPrefix(p, "/api/v1/vulnerabilities/"+v.Ref) && p == paths[0] && !strings.Contains(body, vuln.HiddenReporter) {
						t.Errorf("GET %s as %s: no placeholder for the reporter: %.300s", p, vw.Name, body)
					}
				}
			}
			if seen < 20 {
				t.Errorf("only %d answers to check", seen)
			}
		})
	}
}
