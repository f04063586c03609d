package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// catalogueCounts is how many rows the catalogue and the audit trail hold,
// to check that a refused request wrote nothing.
func catalogueCounts(t *testing.T, w *world) string {
	t.Helper()
	var out []string
	for _, table := range []string{"device_models", "firmware_versions", "cpa_certificates", "cpa_certificate_firmware", "audit_log"} {
		var n int
		if err := w.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", table, n))
	}
	var sig string
	if err := w.db.QueryRowContext(context.Background(), "SELECT COALESCE(MAX(updated_at), created_at) FROM device_models GROUP BY created_at ORDER BY 1 DESC LIMIT 1").Scan(&sig); err == nil {
		out = append(out, sig)
	}
	return strings.Join(out, " ")
}

// TestCatalogueAPIBadInput: each bad request gets a clear 4xx problem and
// writes nothing.
func TestCatalogueAPIBadInput(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			seed := catalogueSeeds[w]
			green := fmt.Sprint(seed.models["MANA/GREEN"])
			greenB := fmt.Sprint(seed.models["MANB/GREEN"])
			cert := fmt.Sprint(seed.certs["MANA/GREEN"])
			okModel := `"code": "NEW1", "device_type": "ESME", "generation": "SMETS2+", "hardware_version": "1"`
			okCert := `"reference": "CPA-X", "issued": "2021-01-01", "firmware": ["0x5EED0002"]`
			for _, tc := range []struct {
				name, method, url, body, as string
				status                      int
				content                     string
			}{
				{"unknown manufacturer", "POST", "/api/v1/catalogue/models", `{"manufacturer": "NOPE", ` + okModel + `}`, "ssc", 422, "no organisation has the code NOPE"},
				{"organisation without the Manufacturer role", "POST", "/api/v1/catalogue/models", `{"manufacturer": "SUPA", ` + okModel + `}`, "ssc", 422, "does not hold the Manufacturer role"},
				{"duplicate model code", "POST", "/api/v1/catalogue/models", `{"manufacturer": "MANA", "code": "mgreen2", "device_type": "ESME", "generation": "SMETS1", "hardware_version": "1"}`, "ssc", 422, "already has a model"},
				{"another manufacturer's model", "POST", "/api/v1/catalogue/models", `{"manufacturer": "MANB", ` + okModel + `}`, "manufacturer", 403, "only for itself"},
				{"a Supplier adding a model", "POST", "/api/v1/catalogue/models", `{"manufacturer": "MANA", ` + okModel + `}`, "supplierA", 403, "manufacturers"},
				{"RED model", "POST", "/api/v1/catalogue/models", `{"classification": "RED", ` + okModel + `}`, "manufacturer", 422, "never RED"},
				{"bad type and generation", "POST", "/api/v1/catalogue/models", `{"code": "N2", "device_type": "meter", "generation": "3", "hardware_version": "1"}`, "manufacturer", 422, "device_type"},
				{"unknown field", "POST", "/api/v1/catalogue/models", `{"colour": "red", ` + okModel + `}`, "manufacturer", 422, "colour"},
				{"not JSON", "POST", "/api/v1/catalogue/models", `{"code": `, "manufacturer", 400, "ends in the middle"},
				{"id not a number", "GET", "/api/v1/catalogue/models/abc", "", "ssc", 422, "positive whole number"},
				{"no such model", "GET", "/api/v1/catalogue/models/999999", "", "ssc", 404, "not found"},
				{"bad status date", "GET", "/api/v1/catalogue/models/" + green + "?date=yesterday", "", "ssc", 422, "YYYY-MM-DD"},
				{"bad type", "GET", "/api/v1/catalogue/models?type=toaster", "", "ssc", 422, "type"},
				{"bad generation", "GET", "/api/v1/catalogue/models?generation=SMETS9", "", "ssc", 422, "generation"},
				{"bad sort", "GET", "/api/v1/catalogue/models?sort=colour", "", "ssc", 422, "sort"},
				{"edit another manufacturer's model", "PATCH", "/api/v1/catalogue/models/" + greenB, `{"name": "mine"}`, "manufacturer", 403, "changes only its own models"},
				{"type change with Devices installed", "PATCH", "/api/v1/catalogue/models/" + green, `{"device_type": "GSME"}`, "manufacturer", 409, "can no longer change"},
				{"bad firmware version", "POST", "/api/v1/catalogue/models/" + green + "/firmware", `{"version": "1..2"}`, "manufacturer", 422, "must be followed by a digit"},
				{"ambiguous hex firmware", "POST", "/api/v1/catalogue/models/" + green + "/firmware", `{"version": "1A2"}`, "manufacturer", 422, "looks like hex"},
				{"duplicate firmware", "POST", "/api/v1/catalogue/models/" + green + "/firmware", `{"version": "7.7.7"}`, "manufacturer", 422, "already has firmware"},
				{"bad image hash", "POST", "/api/v1/catalogue/models/" + green + "/firmware", `{"version": "8.0", "image_hash": "abc"}`, "manufacturer", 422, "64 hex digits"},
				{"expiring without expiry", "POST", "/api/v1/catalogue/models/" + green + "/certificates", `{"kind": "expiring", ` + okCert + `}`, "manufacturer", 422, "needs its expiry date"},
				{"lifetime without renewal", "POST", "/api/v1/catalogue/models/" + green + "/certificates", `{"kind": "lifetime", ` + okCert + `}`, "manufacturer", 422, "needs its renewal date"},
				{"dates in the wrong order", "POST", "/api/v1/catalogue/models/" + green + "/certificates", `{"kind": "expiring", "expiry": "2020-01-01", ` + okCert + `}`, "manufacturer", 422, "must be after the issue date"},
				{"conditional without conditions", "POST", "/api/v1/catalogue/models/" + green + "/certificates", `{"kind": "lifetime", "renewal": "2030-01-01", "conditional": true, ` + okCert + `}`, "manufacturer", 422, "needs its conditions"},
				{"firmware of another model", "POST", "/api/v1/catalogue/models/" + green + "/certificates", `{"kind": "lifetime", "renewal": "2030-01-01", "reference": "CPA-Y", "issued": "2021-01-01", "firmware": ["0x5EED0006"]}`, "manufacturer", 422, "no firmware version"},
				{"withdrawn before issue", "POST", "/api/v1/catalogue/certificates/" + cert + "/withdraw", `{"date": "2000-01-01", "reason": "r"}`, "manufacturer", 422, "on or after the issue date"},
				{"withdrawn without a reason", "POST", "/api/v1/catalogue/certificates/" + cert + "/withdraw", `{"date": "2024-01-01"}`, "manufacturer", 422, "reason"},
				{"a Supplier withdrawing", "POST", "/api/v1/catalogue/certificates/" + cert + "/withdraw", `{"reason": "r"}`, "supplierA", 403, "manufacturers"},
				{"import with bad rows", "POST", "/api/v1/catalogue/import", strings.Join([]string{
					"manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,cpa_conditions_due,cpa_withdrawn",
					"MANA,Z1,ESME,SMETS2+,1,1.0,,,,,,,,,,,",
					"MANA,Z1,GSME,SMETS2+,1,1.1,,,,,,,,,,,"}, "\n"), "manufacturer", 422, `"line":3`},
				{"import of another manufacturer's models", "POST", "/api/v1/catalogue/import",
					"manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,cpa_conditions_due,cpa_withdrawn\nMANB,Z1,ESME,SMETS2+,1,1.0,,,,,,,,,,,\n",
					"manufacturer", 422, "imports only its own models"},
				{"import by a Supplier", "POST", "/api/v1/catalogue/import", "manufacturer\n", "supplierA", 403, "manufacturers"},
				{"import with a bad classification", "POST", "/api/v1/catalogue/import?classification=purple", "x", "ssc", 422, "classification"},
				{"report for a bad date", "GET", "/api/v1/catalogue/cert-report?date=2024-13-01", "", "ssc", 422, "YYYY-MM-DD"},
				{"report for a MAP", "GET", "/api/v1/catalogue/cert-report", "", "map", 403, "Suppliers, manufacturers"},
			} {
				before := catalogueCounts(t, w)
				status, body := w.do(w.byRole[tc.as], tc.method, tc.url, tc.body)
				if status != tc.status || !strings.Contains(body, tc.content) {
					t.Errorf("%s: %s %s as %s: status %d, want %d with %q:\n%.600s", tc.name, tc.method, tc.url, tc.as, status, tc.status, tc.content, body)
				}
				if !strings.Contains(body, `"type": "https://metersec.example/problems/`) && !strings.Contains(body, `"type":"https://metersec.example/problems/`) {
					t.Errorf("%s: not a problem document: %.300s", tc.name, body)
				}
				if after := catalogueCounts(t, w); after != before {
					t.Errorf("%s: wrote something: %s → %s", tc.name, before, after)
				}
			}
		})
	}
}

// TestCatalogueAPIFlow walks the API as a manufacturer: add a model,
// firmware and a certificate, read it back in version order, export it,
// import it gzipped, and read the certificate report.
func TestCatalogueAPIFlow(t *testing.T) {
	w := newWorld(t, storetest.Engines()[0])
	mfr := w.byRole["manufacturer"]
	status, body := w.do(mfr, "POST", "/api/v1/catalogue/models", `{"code": "F1", "name": "Flow meter", "device_type": "ESME", "generation": "SMETS2+", "hardware_version": "2", "classification": "AMBER"}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	var m struct {
		ID           int64  `json:"id"`
		Manufacturer string `json:"manufacturer"`
	}
	json.Unmarshal([]byte(body), &m)
	base := fmt.Sprintf("/api/v1/catalogue/models/%d", m.ID)
	for _, v := range []string{"1.10", "1.2", "1.9"} {
		if status, body := w.do(mfr, "POST", base+"/firmware", `{"version": "`+v+`"}`); status != 201 {
			t.Fatalf("firmware %s: %d %s", v, status, body)
		}
	}
	if status, body := w.do(mfr, "POST", base+"/certificates", `{"reference": "CPA/2020/7", "issued": "2020-01-01", "kind": "expiring", "expiry": "2023-01-01", "firmware": ["1.2", "1.9"]}`); status != 201 {
		t.Fatalf("certificate: %d %s", status, body)
	}
	status, body = w.do(mfr, "GET", base+"/firmware?date=2024-01-01", "")
	var fws struct {
		Items []struct {
			Version string `json:"version"`
			Status  struct {
				State string `json:"state"`
			} `json:"status"`
		} `json:"items"`
	}
	json.Unmarshal([]byte(body), &fws)
	var got []string
	for _, f := range fws.Items {
		got = append(got, f.Version+":"+f.Status.State)
	}
	if want := "1.2:expired 1.9:expired 1.10:uncertified"; strings.Join(got, " ") != want {
		t.Errorf("firmware %v, want %s (%d %s)", got, want, status, body)
	}
	if status, _ := w.do(w.byRole["supplierA"], "GET", base, ""); status != 404 {
		t.Errorf("a Supplier reads an AMBER model: %d", status)
	}

	// Export as CSV, then import it back gzipped through the API: nothing
	// changes.
	req, _ := http.NewRequest("GET", w.ts.URL+"/api/v1/catalogue/export?manufacturer=MANA", nil)
	resp, err := mfr.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csvBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !bytes.Contains(csvBytes, []byte("MANA,F1,ESME,SMETS2+,2,1.2,,,CPA/2020/7,2020-01-01,expiring,2023-01-01,,no,,,")) {
		t.Fatalf("export %s:\n%s", ct, csvBytes)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csvBytes)
	zw.Close()
	req, _ = http.NewRequest("POST", w.ts.URL+"/api/v1/catalogue/import", bytes.NewReader(gz.Bytes()))
	req.Header.Set("Content-Type", "application/gzip")
	req.Header.Set("X-CSRF-Token", mfr.csrf)
	resp, err = mfr.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var res struct {
		Rows      int `json:"rows"`
		Unchanged int `json:"unchanged_rows"`
	}
	json.Unmarshal(b, &res)
	if resp.StatusCode != 200 || res.Rows == 0 || res.Rows != res.Unchanged {
		t.Errorf("re-import of the export: %d %s", resp.StatusCode, b)
	}

	// The UI import form: a multipart upload streamed to the importer.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("classification", "AMBER")
	fw, _ := mw.CreateFormFile("file", "catalogue.csv")
	fw.Write([]byte(strings.Replace(string(csvBytes), "MANA,F1,", "MANA,F2,", -1)))
	mw.Close()
	req, _ = http.NewRequest("POST", w.ts.URL+"/catalogue/import?csrf="+mfr.csrf, &mp)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err = mfr.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "1 models added") {
		t.Errorf("UI import: %d %.2000s", resp.StatusCode, b)
	}
	status, body = w.do(w.byRole["manufacturerB"], "GET", "/api/v1/catalogue/models?q=F2", "")
	if status != 200 || strings.Contains(body, `"F2"`) {
		t.Errorf("a model imported AMBER is seen by another manufacturer: %s", body)
	}

	status, body = w.do(w.byRole["supplierA"], "GET", "/api/v1/catalogue/cert-report?date=2024-06-01", "")
	if status != 200 || !strings.Contains(body, `"supplier": "SUPA"`) || strings.Contains(body, `"supplier": "SUPB"`) {
		t.Errorf("supplierA's report: %d %s", status, body)
	}
	status, body = w.do(w.byRole["ssc"], "GET", "/catalogue/cert-report?date=2024-06-01", "")
	if status != 200 || !strings.Contains(body, "SUPA") || !strings.Contains(body, "SUPB") || !strings.Contains(body, "Conditional") {
		t.Errorf("the SSC's report page: %d", status)
	}
}
