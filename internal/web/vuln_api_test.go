package web_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// vulnRef is the reference of the seeded vulnerability of a classification.
func vulnRef(t *testing.T, w *world, class string) string {
	for _, k := range w.keys["vuln"] {
		if k.Marker == marker("vuln", class) {
			return k.Key
		}
	}
	t.Fatalf("no seeded %s vulnerability", class)
	return ""
}

func TestVulnerabilityAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		amber, green, red := vulnRef(t, w, "AMBER"), vulnRef(t, w, "GREEN"), vulnRef(t, w, "RED")
		base := "/api/v1/vulnerabilities"
		report := func(extra string) string {
			return `{"title": "T", "description": "D", "manufacturer": "MANA", "affected": [{"model": "VE1"}]` + extra + `}`
		}
		runAPICases(t, w, []apiCase{
			// Bad input: a clear problem, nothing written.
			{Name: "malformed CVSS", As: "manufacturer", Method: "POST", URL: base, Body: report(`, "cvss": "CVSS:3.1/AV:Q"`), Status: 422, Contains: []string{`"field":"cvss"`}},
			{Name: "CVSS v3.0", As: "manufacturer", Method: "POST", URL: base, Body: report(`, "cvss": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"`), Status: 422, Contains: []string{"cvss"}},
			{Name: "reversed range", As: "manufacturer", Method: "POST", URL: base,
				Body: `{"title": "T", "description": "D", "affected": [{"model": "VE1", "introduced": "2.0", "fixed": "1.0"}]}`, Status: 422, Contains: []string{"reversed"}},
			{Name: "empty range", As: "manufacturer", Method: "POST", URL: base,
				Body: `{"title": "T", "description": "D", "affected": [{"model": "VE1", "introduced": "1.0", "fixed": "1.0"}]}`, Status: 422, Contains: []string{"empty"}},
			{Name: "unknown model", As: "manufacturer", Method: "POST", URL: base,
				Body: `{"title": "T", "description": "D", "affected": [{"model": "NOPE"}]}`, Status: 422, Contains: []string{`no model \"NOPE\"`}},
			{Name: "unknown field", As: "manufacturer", Method: "POST", URL: base, Body: report(`, "severity": "low"`), Status: 422, Contains: []string{"severity"}},
			{Name: "bad date", As: "manufacturer", Method: "POST", URL: base, Body: report(`, "discovered_on": "yesterday"`), Status: 400},
			{Name: "a MAP does not report", As: "map", Method: "POST", URL: base, Body: report(""), Status: 403},
			{Name: "RED is the SSC's", As: "manufacturer", Method: "POST", URL: base, Body: report(`, "classification": "RED"`), Status: 422, Contains: []string{"RED"}},

			// Acknowledgements by someone not a recipient.
			{Name: "ack of an AMBER vulnerability by an outsider", As: "other", Method: "POST", URL: base + "/" + amber + "/acknowledgement", Body: `{"statement": "affected"}`, Status: 404},
			{Name: "ack of a GREEN vulnerability by someone not told", As: "cio", Method: "POST", URL: base + "/" + green + "/acknowledgement", Body: `{"statement": "affected"}`, Status: 403, Contains: []string{"not told"}},
			{Name: "ack of a RED vulnerability by a Supplier", As: "supplierA", Method: "POST", URL: base + "/" + red + "/acknowledgement", Body: `{"statement": "affected"}`, Status: 404},
			{Name: "not affected needs a justification", As: "supplierA", Method: "POST", URL: base + "/" + amber + "/acknowledgement", Body: `{"statement": "not_affected"}`, Status: 422, Contains: []string{"justification"}},

			// Lifecycle: illegal moves are clear.
			{Name: "close from ssc_notified", As: "ssc", Method: "POST", URL: base + "/" + amber + "/events", Body: `{"event": "close"}`, Status: 409, Contains: []string{"start_remediation"}},
			{Name: "a Supplier does not rectify", As: "supplierA", Method: "POST", URL: base + "/" + amber + "/events", Body: `{"event": "start_remediation"}`, Status: 200, Writes: true},
			{Name: "a Supplier does not rectify either", As: "supplierA", Method: "POST", URL: base + "/" + amber + "/events", Body: `{"event": "rectify"}`, Status: 403, Contains: []string{"may be done only by"}},
			{Name: "the system notifies", As: "ssc", Method: "POST", URL: base + "/" + green + "/events", Body: `{"event": "notify"}`, Status: 409},
			{Name: "plans are for told Suppliers", As: "map", Method: "PUT", URL: base + "/" + amber + "/plan", Body: `{"steps": "x", "submit": true}`, Status: 403},
			{Name: "the overview is the SSC's", As: "supplierA", Method: "GET", URL: base + "/overview", Status: 403},
			{Name: "who a vulnerability names is the SSC's", As: "supplierA", Method: "GET", URL: "/api/v1/audience/vuln/" + strconv.FormatInt(w.ids[marker("vuln", "AMBER")], 10), Status: 403},

			// Bilateral: supplierB sees its own row and count only.
			{Name: "supplierB's recipients", As: "supplierB", Method: "GET", URL: base + "/" + amber + "/recipients", Status: 200,
				Contains: []string{`"SUPB"`, "7654321"}, Writes: false},
			{Name: "the manufacturer sees both", As: "manufacturer", Method: "GET", URL: base + "/" + amber + "/recipients", Status: 200,
				Contains: []string{`"SUPA"`, `"SUPB"`, "1234567", "7654321", "2346789"}},
			{Name: "export", As: "supplierB", Method: "GET", URL: base + "/" + amber + "/csaf", Status: 200, Contains: []string{`"csaf_version": "2.0"`, `"label": "AMBER"`}},
		})
		status, body := w.do(w.byRole["supplierB"], "GET", base+"/"+amber+"/recipients", "")
		if status != 200 || strings.Contains(body, "SUPA") || strings.Contains(body, "1234567") || strings.Contains(body, "2346789") {
			t.Errorf("supplierB learns another recipient: %d %s", status, body)
		}

		// CSAF files that fail, or are too big: a problem, nothing written.
		runAPICases(t, w, []apiCase{
			{Name: "not JSON", As: "manufacturer", Method: "POST", URL: base + "/import", Body: "<xml/>", ContentType: "application/json", Status: 400, Contains: []string{"not a JSON document"}},
			{Name: "not CSAF", As: "manufacturer", Method: "POST", URL: base + "/import", Body: `{"document": {}}`, Status: 422, Contains: []string{"not valid CSAF 2.0"}},
			{Name: "too large", As: "manufacturer", Method: "POST", URL: base + "/import", Body: string(bytes.Repeat([]byte(" "), advisory.MaxCSAFSize+10)), Status: 413},
			{Name: "bad material", As: "manufacturer", Method: "POST", URL: base + "/import?material=maybe", Body: `{}`, Status: 422},
		})
		// Our own export imports back (dry run) onto the same products.
		_, doc := w.do(w.byRole["manufacturer"], "GET", base+"/"+amber+"/csaf", "")
		runAPICases(t, w, []apiCase{
			{Name: "round trip", As: "manufacturer", Method: "POST", URL: base + "/import?dry_run=true", Body: doc, Status: 200,
				Contains: []string{`"manufacturer": "MANA"`, `"model": "VCH"`, `"model": "VE1"`, `"unmapped": []`}},
		})
	})
}
