package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// doRaw sends a body with the given content type as the viewer.
func (w *world) doRaw(v *viewer, method, path, contentType string, body []byte) (int, http.Header, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if v.csrf != "" {
		req.Header.Set("X-CSRF-Token", v.csrf)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func multipartFile(t *testing.T, field, name string, content []byte) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRowContext(w.t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

// TestArrangementBadInput: every bad request is a clear 4xx problem and
// writes nothing.
func TestArrangementBadInput(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			tables := []string{"arrangements", "arrangement_models", "arrangement_evidence", "arrangement_alerts", "coverage_snapshots", "audit_log"}
			before := map[string]int{}
			for _, tb := range tables {
				before[tb] = w.count(tb)
			}
			contract := func(extra string) string {
				return `{"kind": "supplier_manufacturer", "supplier": "SUPA", "manufacturer": "MANB", "models": ["N1"], "materiality": "CVSS 7",
					"signed": "2024-01-01", "effective": "2025-01-01"` + extra + `}`
			}
			for _, c := range []struct {
				name, method, url, body, as string
				status                      int
				says                        string
			}{
				{"backwards dates", "POST", "/api/v1/arrangements", contract(`, "expires": "2024-12-31"`), "supplierA", 422, "backwards"},
				{"overlapping dates", "POST", "/api/v1/arrangements", strings.Replace(strings.Replace(contract(""), "MANB", "MANA", 1), "N1", "M1", 1), "supplierA", 409, "overlap arrangement AW"},
				{"overlapping one you cannot see", "POST", "/api/v1/arrangements", contract(""), "supplierA", 409, "which you may not see"},
				{"no such model", "POST", "/api/v1/arrangements", strings.Replace(contract(""), `"N1"`, `"ZZ9"`, 1), "supplierA", 422, "no model MANB/ZZ9"},
				{"model of another manufacturer", "POST", "/api/v1/arrangements", strings.Replace(contract(""), `"N1"`, `"MANA/M1"`, 1), "supplierA", 422, "made by MANA"},
				{"party without the role", "POST", "/api/v1/arrangements", strings.Replace(contract(""), `"SUPA"`, `"MAPA"`, 1), "ssc", 422, "Energy Supplier"},
				{"manufacturer that is a MAP", "POST", "/api/v1/arrangements", strings.Replace(contract(""), `"MANB"`, `"MAPA"`, 1), "ssc", 422, "must be a manufacturer"},
				{"wrong sides", "POST", "/api/v1/arrangements", strings.Replace(contract(""), "supplier_manufacturer", "map_manufacturer", 1), "ssc", 422, "names map and manufacturer"},
				{"unknown SEC version", "POST", "/api/v1/arrangements", contract(`, "sec_version": "5.99"`), "supplierA", 422, "unknown SEC version"},
				{"RED", "POST", "/api/v1/arrangements", contract(`, "classification": "RED"`), "supplierA", 422, "RED names people"},
				{"unknown field", "POST", "/api/v1/arrangements", contract(`, "price": 3`), "supplierA", 422, "price"},
				{"not JSON", "POST", "/api/v1/arrangements", `kind=x`, "supplierA", 415, "application/json"},
				{"not a party", "POST", "/api/v1/arrangements", contract(""), "supplierB", 403, "parties"},
				{"update backwards", "PATCH", "/api/v1/arrangements/AA1", `{"expires": "2023-01-01"}`, "supplierA", 422, "backwards"},
				{"update by a stranger", "PATCH", "/api/v1/arrangements/AA1", `{"title": "x"}`, "supplierB", 404, "not found"},
				{"end before it began", "POST", "/api/v1/arrangements/AA1/end", `{"date": "2020-01-01"}`, "map", 422, "backwards"},
				{"end with a bad date", "POST", "/api/v1/arrangements/AA1/end", `{"date": "01/02/2025"}`, "map", 422, "YYYY-MM-DD"},
				{"confirm a contract", "POST", "/api/v1/arrangements/AA1/confirm", "", "ssc", 409, "only SSC scheme enrolments"},
				{"confirm by the manufacturer", "POST", "/api/v1/arrangements/AS/confirm", "", "manufacturerB", 403, "SSC"},
				{"import with a bad header", "POST", "/api/v1/arrangements/import", "ref,kind\nX,loi\n", "ssc", 400, "header"},
				{"import with bad rows", "POST", "/api/v1/arrangements/import", "reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification\n" +
					"I-1,supplier_manufacturer,SUPA,,MANB,N1,x,2024-01-01,2024-02-01,2023-01-01,,,\nI-2,supplier_manufacturer,SUPB,,MANB,N1,x,2024-01-01,2024-02-01,,,,\n", "ssc", 422, "backwards"},
				{"coverage on a bad day", "GET", "/api/v1/coverage?date=2025-13-01", "", "ssc", 422, "date"},
				{"coverage before any release", "GET", "/api/v1/coverage?date=2001-01-01", "", "ssc", 422, "no SEC release"},
				{"another Supplier's coverage", "GET", "/api/v1/coverage?supplier=SUPB", "", "supplierA", 404, "not found"},
				{"history of another Supplier", "GET", "/api/v1/coverage/SUPB/history", "", "supplierA", 404, "not found"},
				{"alerts by a Supplier", "POST", "/api/v1/coverage/alerts", "", "supplierA", 403, "SSC"},
				{"alerts with silly settings", "POST", "/api/v1/coverage/alerts", `{"expiry_days": 5000}`, "ssc", 422, "expiry_days"},
				{"obligations of a bad ID", "GET", "/api/v1/obligations?device=12-34", "", "ssc", 422, "device_id"},
				{"obligations with no ID", "GET", "/api/v1/obligations", "", "ssc", 422, "device id is empty"},
				{"obligations under an unknown version", "GET", "/api/v1/obligations?device=0A-1B-2C-3D-4E-5F-60-71&sec_version=5.99", "", "ssc", 422, "unknown SEC version"},
				{"obligations of an unknown Device", "GET", "/api/v1/obligations?device=0A-1B-2C-3D-4E-5F-60-79", "", "ssc", 404, "no Device"},
			} {
				status, body := w.do(w.byRole[c.as], c.method, c.url, c.body)
				if status != c.status || !strings.Contains(body, c.says) || !strings.Contains(body, `"type"`) {
					t.Errorf("%s: status %d, want %d saying %q: %.400s", c.name, status, c.status, c.says, body)
				}
			}
			// Evidence: disguised, unknown type, oversized, nameless.
			for _, c := range []struct {
				name, url string
				body      []byte
				status    int
				says      string
			}{
				{"disguised", "/api/v1/arrangements/AA1/evidence?name=contract.pdf", pngBytes, 422, "disguised"},
				{"a program", "/api/v1/arrangements/AA1/evidence?name=contract.pdf", []byte("MZ\x90\x00"), 422, "Windows program"},
				{"HTML as text", "/api/v1/arrangements/AA1/evidence?name=page.txt", []byte("<html><script>x</script></html>"), 422, "HTML"},
				{"oversized", "/api/v1/arrangements/AA1/evidence?name=big.txt", bytes.Repeat([]byte("a"), 10<<20+1), 413, "larger"},
				{"no name", "/api/v1/arrangements/AA1/evidence", []byte("text"), 422, "needs a name"},
				{"someone else's", "/api/v1/arrangements/AA2/evidence?name=a.txt", []byte("text"), 404, "not found"},
			} {
				status, _, body := w.doRaw(w.byRole["supplierA"], "POST", c.url, "application/octet-stream", c.body)
				if status != c.status || !strings.Contains(body, c.says) {
					t.Errorf("evidence %s: status %d, want %d saying %q: %.300s", c.name, status, c.status, c.says, body)
				}
			}
			// The same through the UI form.
			ct, mp := multipartFile(t, "file", "contract.pdf", pngBytes)
			status, _, body := w.doRaw(w.byRole["supplierA"], "POST", "/arrangements/AA1/evidence", ct, mp)
			if status != 422 || !strings.Contains(body, "disguised") {
				t.Errorf("UI disguised upload: %d %.300s", status, body)
			}
			for _, tb := range tables {
				if n := w.count(tb); n != before[tb] {
					t.Errorf("bad input wrote %d rows to %s", n-before[tb], tb)
				}
			}
		})
	}
}

// TestArrangementFlows: the happy paths through the API and the UI.
func TestArrangementFlows(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			supA := w.byRole["supplierA"]
			status, body := w.do(supA, "POST", "/api/v1/arrangements", `{"kind": "loi", "supplier": "SUPA", "manufacturer": "MANB",
				"models": ["N1"], "materiality": "CVSS 7", "signed": "2025-01-01", "effective": "2025-01-01", "expires": "2027-12-31"}`)
			if status != 201 || !strings.Contains(body, `"reference": "ARR-`) || !strings.Contains(body, `"state": "in force"`) {
				t.Fatalf("create: %d %s", status, body)
			}
			// Evidence through the API, then downloaded as an attachment.
			status, _, body = w.doRaw(supA, "POST", "/api/v1/arrangements/AA1/evidence?name=signed.txt", "text/plain", []byte("We both agree.\n"))
			if status != 201 || !strings.Contains(body, `"media_type": "text/plain; charset=utf-8"`) {
				t.Fatalf("evidence: %d %s", status, body)
			}
			var id string
			if err := w.db.QueryRowContext(t.Context(), "SELECT CAST(MAX(id) AS TEXT) FROM arrangement_evidence").Scan(&id); err != nil {
				t.Fatal(err)
			}
			status, h, body := w.doRaw(w.byRole["map"], "GET", "/arrangements/AA1/evidence/"+id, "", nil)
			if status != 200 || body != "We both agree.\n" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
				h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
				t.Errorf("download: %d %v %q", status, h, body)
			}
			// Evidence through the UI form.
			ct, mp := multipartFile(t, "file", "scan.png", pngBytes)
			status, h, _ = w.doRaw(supA, "POST", "/arrangements/AA1/evidence", ct, mp)
			if status != 303 || h.Get("Location") != "/arrangements/AA1" {
				t.Errorf("UI upload: %d %v", status, h)
			}
			status, body = w.do(supA, "GET", "/arrangements/AA1", "")
			if status != 200 || !strings.Contains(body, "scan.png") || !strings.Contains(body, "signed.txt") {
				t.Errorf("arrangement page: %d", status)
			}
			// A CSV import through the UI form.
			ct, mp = multipartFile(t, "file", "a.csv", []byte("reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification\n"+
				"I-9,churn,SUPA,MAPA,,*,as suggested,2025-03-01,2025-03-01,,,,\n"))
			status, h, _ = w.doRaw(supA, "POST", "/arrangements/import", ct, mp)
			if status != 303 {
				t.Errorf("UI import: %d %v", status, h)
			}
			// Create through the form.
			status, body = w.do(supA, "POST", "/arrangements", "kind=loi&supplier=SUPA&map=MAPA&models=MANA/M1+MANB/N1&materiality=x&signed=2025-02-01&effective=2025-02-01")
			if status != 303 {
				t.Errorf("UI create: %d %.500s", status, body)
			}
			status, body = w.do(supA, "POST", "/arrangements", "kind=loi&supplier=SUPA&map=MAPA&models=MANA/M1&materiality=x&signed=2025-02-01&effective=2025-02-01&expires=2025-01-01")
			if status != 422 || !strings.Contains(body, "backwards") {
				t.Errorf("UI create backwards: %d", status)
			}

			// Coverage pages: the SSC's heat map, a Supplier's own page.
			status, body = w.do(w.byRole["ssc"], "GET", "/coverage?date=2025-06-15", "")
			if status != 200 || !strings.Contains(body, `class="heatmap"`) || !strings.Contains(body, "SUPA × MANA") || !strings.Contains(body, "<title id=\"hm-title\">") {
				t.Errorf("matrix: %d", status)
			}
			status, body = w.do(supA, "GET", "/coverage?date=2025-06-15", "")
			if status != 303 {
				t.Errorf("a Supplier's /coverage: %d", status)
			}
			status, body = w.do(supA, "GET", "/coverage/SUPA?date=2025-06-15", "")
			if status != 200 || !strings.Contains(body, "G3.20 coverage of") || !strings.Contains(body, "The DCC") || !strings.Contains(body, "role=\"img\"") {
				t.Errorf("supplier page: %d", status)
			}
			status, body = w.do(w.byRole["manufacturer"], "GET", "/coverage", "")
			if status != 200 || !strings.Contains(body, "not shown") {
				t.Errorf("a manufacturer's /coverage: %d", status)
			}
			// Obligations page for a Device.
			status, body = w.do(supA, "GET", "/obligations?device=0A1B2C3D4E5F6071&date=2025-06-15", "")
			if status != 200 || !strings.Contains(body, "G3.20(b)") || !strings.Contains(body, "0A-1B-2C-3D-4E-5F-60-71") {
				t.Errorf("obligations page: %d %.300s", status, body)
			}
			status, body = w.do(w.viewers[0], "GET", "/obligations?device=0A1B2C3D4E5F6071", "")
			if status != 401 || strings.Contains(body, "0A-1B") {
				t.Errorf("obligations for the public: %d", status)
			}
			// The alert job as the SSC, then the alerts page.
			status, body = w.do(w.byRole["ssc"], "POST", "/api/v1/coverage/alerts", `{"date": "2025-06-15"}`)
			if status != 200 || !strings.Contains(body, `"snapshot_month": "2025-06"`) {
				t.Errorf("alerts: %d %s", status, body)
			}
		})
	}
}
