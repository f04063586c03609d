package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestEstateBulkOverTheAPI is a Supplier's system loading its Devices and
// its gains by the streamed upload routes, and the SSC moving a failed
// Supplier's Devices: through HTTP onto the real importers.
func TestEstateBulkOverTheAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			supA, supB, ssc := w.byRole["supplierA"], w.byRole["supplierB"], w.byRole["ssc"]
			const header = "device_id,device_type,generation,manufacturer,model,firmware,supplier,supply_start,map,premises\n"
			file := header +
				"AA-00-00-00-00-00-00-01,ESME,SMETS2+,MANA,EST-MOD-1,4.0.1,SUPA,2024-05-01,MAPA,domestic\n" +
				"aa:00:00:00:00:00:00:02,ESME,SMETS2+,MANA,EST-MOD-1,4.0.1,SUPA,2024-06-01,,non_domestic\n"

			status, body := w.do(supA, "POST", "/api/v1/estate/devices", file)
			var res estate.ImportResult
			if status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Created != 2 || res.Rows != 2 {
				t.Fatalf("import: %d %s", status, body)
			}
			status, body = w.do(supA, "POST", "/api/v1/estate/devices", file)
			if json.Unmarshal([]byte(body), &res); status != http.StatusOK || res.Created != 0 || res.Unchanged != 2 {
				t.Errorf("the same file again: %d %s", status, body)
			}
			if status, body := w.do(supA, "GET", "/api/v1/devices/AA00000000000002", ""); status != http.StatusOK || !strings.Contains(body, `"premises": "non_domestic"`) {
				t.Errorf("an imported Device: %d %s", status, body)
			}

			// A Supplier loads only its own Devices; bad rows name their line
			// and field, and nothing of the file is written.
			bad := header +
				"AA-00-00-00-00-00-00-03,ESME,SMETS2+,MANA,EST-MOD-1,4.0.1,SUPA,2024-05-01,,domestic\n" +
				"AA-00-00-00-00-00-00-04,ESME,SMETS2+,MANA,EST-MOD-1,4.0.1,SUPB,2024-05-01,,domestic\n" +
				"AA-00-00-00-00-00-00-0Z,ESME,SMETS2+,MANA,EST-MOD-1,9.9.9,SUPA,2024-02-30,,domestic\n"
			status, body = w.do(supA, "POST", "/api/v1/estate/devices", bad)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"line":3`) || !strings.Contains(body, `"line":4`) ||
				!strings.Contains(body, `"field":"supplier"`) || !strings.Contains(body, `"field":"device_id"`) {
				t.Errorf("a bad file: %d %s", status, body)
			}
			if status, _ := w.do(ssc, "GET", "/api/v1/devices/AA00000000000003", ""); status != http.StatusNotFound {
				t.Errorf("a rejected file's good row was written: %d", status)
			}

			// SUPB gains Device 1 by a churn file; SUPA no longer sees it.
			status, body = w.do(supB, "POST", "/api/v1/estate/churn", "device_id,new_supplier,effective_date\nAA00000000000001,SUPB,2025-03-01\n")
			var ch estate.ChurnResult
			if status != http.StatusOK || json.Unmarshal([]byte(body), &ch) != nil || ch.Changed != 1 {
				t.Fatalf("churn: %d %s", status, body)
			}
			if status, _ := w.do(supA, "GET", "/api/v1/devices/AA00000000000001", ""); status != http.StatusNotFound {
				t.Errorf("the losing Supplier still sees the Device: %d", status)
			}
			if status, body := w.do(supB, "POST", "/api/v1/estate/churn", "device_id,new_supplier,effective_date\nAA00000000000001,SUPB,2025-04-01\n"); status != http.StatusUnprocessableEntity ||
				!strings.Contains(body, "already the Device's Responsible Supplier") {
				t.Errorf("churn to itself: %d %s", status, body)
			}

			// The SSC moves SUPB's Devices to SUPA; a Supplier may not.
			if status, body := w.do(supA, "POST", "/api/v1/estate/transfers", `{"from": "SUPB", "to": "SUPA", "effective_date": "2025-06-01"}`); status != http.StatusForbidden {
				t.Errorf("a Supplier's transfer: %d %s", status, body)
			}
			status, body = w.do(ssc, "POST", "/api/v1/estate/transfers", `{"from": "SUPB", "to": "SUPA", "effective_date": "2025-06-01"}`)
			var tr estate.TransferResult
			if status != http.StatusOK || json.Unmarshal([]byte(body), &tr) != nil || tr.Devices < 2 {
				t.Fatalf("transfer: %d %s", status, body)
			}
			if status, body := w.do(supA, "GET", "/api/v1/devices/AA00000000000001", ""); status != http.StatusOK || !strings.Contains(body, `"inherited": true`) {
				t.Errorf("after the transfer: %d %s", status, body)
			}
		})
	}
}
