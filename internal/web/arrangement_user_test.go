package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestArrangementNetworkPartyUserSystem: through the API, a Network Party
// records its own arrangement with a manufacturer (G3.20(a) binds it for its
// User Systems), links it to its User System and sees the manufacturer
// Covered, or under Reasonable steps with a Letter of Intent only it has
// signed; an organisation with no User role is refused on the user side.
func TestArrangementNetworkPartyUserSystem(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			np := w.byRole["network"]
			for _, body := range []string{
				`{"reference": "NP-C1", "kind": "supplier_manufacturer", "supplier": "NETA", "manufacturer": "MANB", "all_models": true,
					"materiality": "CVSS 7", "signed": "2025-01-01", "effective": "2025-01-01"}`,
				`{"reference": "NP-L1", "kind": "letter_of_intent", "supplier": "NETA", "manufacturer": "MANA", "all_models": true,
					"materiality": "CVSS 7", "signed": "2025-01-01", "effective": "2025-01-01", "signatures": [{"party": "NETA", "signed": "2025-01-01"}]}`,
			} {
				if status, got := w.do(np, "POST", "/api/v1/arrangements", body); status != 201 {
					t.Fatalf("recording %s: %d %s", body, status, got)
				}
			}
			status, got := w.do(np, "POST", "/api/v1/user-systems", `{"name": "NP control system", "in_service_from": "2025-02-01",
				"components": [{"manufacturer": "MANB", "supplies": "software", "arrangement": "NP-C1"}, {"manufacturer": "MANA", "supplies": "hardware"}]}`)
			if status != 201 {
				t.Fatalf("registering: %d %s", status, got)
			}
			var s struct {
				ID         int64  `json:"id"`
				User       string `json:"user"`
				Status     string `json:"status"`
				Components []struct {
					Manufacturer, Status, Arrangement string
				} `json:"components"`
			}
			if err := json.Unmarshal([]byte(got), &s); err != nil {
				t.Fatal(err)
			}
			statuses := func() string {
				var parts []string
				for _, c := range s.Components {
					parts = append(parts, c.Manufacturer+"="+c.Status)
				}
				return strings.Join(parts, " ")
			}
			if s.User != "NETA" || statuses() != "MANA=gap MANB=covered" {
				t.Fatalf("registered: %s, %s", s.User, got)
			}
			status, got = w.do(np, "PUT", fmt.Sprintf("/api/v1/user-systems/%d/components/MANA/arrangement", s.ID), `{"arrangement": "NP-L1"}`)
			if status != 200 {
				t.Fatalf("linking: %d %s", status, got)
			}
			if err := json.Unmarshal([]byte(got), &s); err != nil {
				t.Fatal(err)
			}
			if statuses() != "MANA=steps MANB=covered" || s.Status != "steps" {
				t.Errorf("linked: %s", got)
			}
			// No User role, no user side.
			status, got = w.do(w.byRole["ssc"], "POST", "/api/v1/arrangements", `{"reference": "TR-C1", "kind": "supplier_manufacturer",
				"supplier": "TRIA", "manufacturer": "MANB", "all_models": true, "materiality": "CVSS 7", "signed": "2025-01-01", "effective": "2025-01-01"}`)
			if status != 422 || !strings.Contains(got, "TRIA must be a User (an Energy Supplier, Network Party or Other User)") {
				t.Errorf("a Triage Facility Provider on the user side: %d %s", status, got)
			}
		})
	}
}
