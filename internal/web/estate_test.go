package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestEstateAPIAndPages walks the estate routes as the parties of the
// seeded Devices: look-ups, a firmware and a status change that keep the
// aggregates exact, the portfolio and its CSV, and the pages.
func TestEstateAPIAndPages(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			supA, supB, ssc, mfr, dcc := w.byRole["supplierA"], w.byRole["supplierB"], w.byRole["ssc"], w.byRole["manufacturer"], w.byRole["dcc"]
			const d1, d3, d5 = "5E-ED-00-00-00-00-00-01", "5E-ED-00-00-00-00-00-03", "5E-ED-00-00-00-00-00-05"
			w.exec(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at)
				SELECT id, '4.0.2', created_at, created_at FROM device_models WHERE code = 'EST-MOD-1'`)

			status, body := w.do(supA, "GET", "/api/v1/devices/5eed000000000001", "")
			var d estate.Device
			if status != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil || d.ID.String() != d1 || d.Model != "EST-MOD-1" || d.MAP != "MAPA" {
				t.Fatalf("get device: %d %s", status, body)
			}
			if status, body := w.do(dcc, "GET", "/api/v1/devices/"+d3, ""); status != http.StatusOK || !strings.Contains(body, `"device_type": "CHF"`) {
				t.Errorf("the DCC's hub: %d %s", status, body)
			}
			if status, body := w.do(supA, "GET", "/api/v1/devices/zz", ""); status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"device_id"`) ||
				!strings.Contains(body, "has 2 characters") {
				t.Errorf("bad id: %d %s", status, body)
			}
			// A Supplier learns when it inherited d5, not from whom.
			status, body = w.do(supB, "GET", "/api/v1/devices/"+d5+"/responsible?date=2023-01-01", "")
			if status != http.StatusOK || !strings.Contains(body, estate.AnotherSupplier) || strings.Contains(body, "SUPA") {
				t.Errorf("responsible as SUPB: %d %s", status, body)
			}
			if status, body := w.do(ssc, "GET", "/api/v1/devices/"+d5+"/responsible?date=2023-01-01", ""); status != http.StatusOK || !strings.Contains(body, `"supplier": "SUPA"`) {
				t.Errorf("responsible as SSC: %d %s", status, body)
			}
			if status, body := w.do(ssc, "GET", "/api/v1/devices/"+d5+"/responsible?date=2019-12-31", ""); status != http.StatusNotFound || !strings.Contains(body, "first supply period began on 2020-01-01") {
				t.Errorf("before the first period: %d %s", status, body)
			}
			if status, body := w.do(ssc, "GET", "/api/v1/devices/"+d5+"/responsible", ""); status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"date"`) {
				t.Errorf("no date: %d %s", status, body)
			}

			// Firmware: the manufacturer may not, the Supplier may.
			if status, body := w.do(mfr, "POST", "/api/v1/devices/"+d1+"/firmware", `{"firmware": "4.0.2"}`); status != http.StatusForbidden {
				t.Errorf("manufacturer firmware: %d %s", status, body)
			}
			status, body = w.do(supA, "POST", "/api/v1/devices/"+d1+"/firmware", `{"firmware": "4.0.2", "since": "2025-02-01"}`)
			if status != http.StatusOK || !strings.Contains(body, `"firmware": "4.0.2"`) || !strings.Contains(body, `"until": "2025-02-01"`) {
				t.Errorf("firmware: %d %s", status, body)
			}
			if status, body := w.do(supA, "POST", "/api/v1/devices/"+d1+"/firmware", `{"firmware": "4.0.1", "since": "2025-01-01"}`); status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"since"`) {
				t.Errorf("firmware back in time: %d %s", status, body)
			}
			// Status: out of the portfolio and back.
			if status, body := w.do(supA, "POST", "/api/v1/devices/"+d1+"/status", `{"status": "disposed"}`); status != http.StatusConflict || !strings.Contains(body, "possible from") {
				t.Errorf("dispose installed: %d %s", status, body)
			}
			if status, body := w.do(supA, "POST", "/api/v1/devices/"+d1+"/status", `{"status": "in_triage"}`); status != http.StatusOK || !strings.Contains(body, `"status": "in_triage"`) {
				t.Errorf("triage: %d %s", status, body)
			}
			if _, body := w.do(supA, "GET", "/api/v1/portfolio", ""); strings.Contains(body, "EST-MOD-1") {
				t.Errorf("a Device in triage still in the portfolio: %s", body)
			}
			if status, body := w.do(supA, "POST", "/api/v1/devices/"+d1+"/status", `{"status": "installed"}`); status != http.StatusOK {
				t.Errorf("reinstall: %d %s", status, body)
			}
			if _, body := w.do(supA, "GET", "/api/v1/portfolio?manufacturer=mana", ""); !strings.Contains(body, `"model": "EST-MOD-1",
      "firmware": "4.0.2"`) {
				t.Errorf("portfolio after the changes: %s", body)
			}

			// Verify: the SSC only. The other areas' seeds put portfolio rows
			// with no Devices behind them, so there is drift; none of it is
			// in the estate seed's groups.
			if status, _ := w.do(supA, "GET", "/api/v1/estate/verify", ""); status != http.StatusForbidden {
				t.Errorf("verify as a Supplier: %d", status)
			}
			status, body = w.do(ssc, "GET", "/api/v1/estate/verify", "")
			var rep estate.VerifyReport
			if status != http.StatusOK || json.Unmarshal([]byte(body), &rep) != nil || rep.OK() {
				t.Fatalf("verify: %d %s", status, body)
			}
			var ids []int64
			rows, err := w.db.QueryContext(t.Context(), "SELECT id FROM device_models WHERE code LIKE 'EST-MOD-%'")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			for _, dr := range append(rep.Drift, rep.Inherited...) {
				for _, id := range ids {
					if dr.ModelID == id {
						t.Errorf("drift in the estate seed's groups: %+v", dr)
					}
				}
			}

			// The supplier change and the uploads reach the churn half.
			if status, body := w.do(ssc, "POST", "/api/v1/devices/"+d1+"/supplier", `{"new_supplier": "", "effective_date": "2025-13-01"}`); status != http.StatusUnprocessableEntity ||
				!strings.Contains(body, `"field":"new_supplier"`) || !strings.Contains(body, `"field":"effective_date"`) {
				t.Errorf("bad supplier change: %d %s", status, body)
			}
			if status, body := w.do(ssc, "POST", "/api/v1/estate/devices", ""); status != http.StatusBadRequest || !strings.Contains(body, "devices CSV file") {
				t.Errorf("empty upload: %d %s", status, body)
			}

			// Pages.
			for _, tc := range []struct {
				v        *viewer
				path     string
				status   int
				has, not []string
			}{
				{supA, "/estate", 200, []string{"<svg", "Installed Devices by type and generation", "SUPA"}, []string{"SUPB"}},
				{ssc, "/estate", 200, []string{"SUPA", "SUPB", "CHF"}, nil},
				{supA, "/estate?device=5eed000000000001", 303, nil, nil},
				{supA, "/estate?device=12-34", 422, []string{"has 5 characters"}, nil},
				{supA, "/devices/" + d1 + "?date=2023-05-01", 200, []string{"Record a firmware change", "Change status", "4.0.2", "SUPA</strong>"}, nil},
				{mfr, "/devices/" + d1, 200, []string{"EST-MOD-1"}, []string{"Record a firmware change", "Change status"}},
				{supB, "/devices/" + d1, 404, nil, []string{"EST-MOD-1"}},
				{supB, "/devices/" + d5 + "?date=2019-01-01", 200, []string{"first supply period began on 2020-01-01", estate.AnotherSupplier}, []string{">SUPA<"}},
				{supA, "/portfolio?manufacturer=MANA", 200, []string{"EST-MOD-1", "/portfolio?format=csv&amp;manufacturer=MANA"}, []string{"EST-MOD-5"}},
				{supA, "/portfolio.csv?manufacturer=MANB", 200, []string{"supplier,manufacturer,model,firmware,generation,device_type,map,devices\n"}, []string{"MANA"}},
				{supA, "/portfolio?type=toaster", 422, []string{"type"}, nil},
				{supA, "/portfolio.csv", 200, []string{"supplier,manufacturer,model,firmware,generation,device_type,map,devices\n", "SUPA,MANA,EST-MOD-1,4.0.2,SMETS2+,ESME,MAPA,1\n"}, []string{"SUPB"}},
				{ssc, "/estate/import", 200, []string{"device_id", "new_supplier,effective_date"}, nil},
			} {
				status, body := w.do(tc.v, "GET", tc.path, "")
				if status != tc.status {
					t.Errorf("%s as %s: status %d, want %d", tc.path, tc.v.Name, status, tc.status)
				}
				for _, s := range tc.has {
					if !strings.Contains(body, s) {
						t.Errorf("%s as %s lacks %q", tc.path, tc.v.Name, s)
					}
				}
				for _, s := range tc.not {
					if strings.Contains(body, s) {
						t.Errorf("%s as %s shows %q", tc.path, tc.v.Name, s)
					}
				}
			}
			// A form error shows the page again with the problem.
			status, body = w.do(supA, "POST", "/devices/"+d1+"/firmware", "firmware=9.9.9")
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, "is not a firmware version of model MANA/EST-MOD-1") || !strings.Contains(body, `value="9.9.9"`) {
				t.Errorf("firmware form error: %d %.400s", status, body)
			}
			if status, _ := w.do(supA, "POST", "/devices/"+d1+"/status", "status=removed"); status != http.StatusSeeOther {
				t.Errorf("status form: %d", status)
			}
		})
	}
}
