package web_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestAuditCheckpointEndpoint: the newest checkpoint is published to those
// who may read the trail, byte for byte what `audit verify --checkpoint`
// reads, and refused to everyone else.
func TestAuditCheckpointEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		runAPICases(t, w, []apiCase{
			{Name: "none yet", As: "ssc", Method: "GET", URL: "/api/v1/audit/checkpoint", Status: 404, Contains: []string{"no audit checkpoint"}},
			{Name: "page before the first", As: "ssc", Method: "GET", URL: "/audit", Status: 200, Contains: []string{"No checkpoint has been signed yet"}},
		})
		dir := t.TempDir()
		if _, err := audit.GenerateKey(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")); err != nil {
			t.Fatal(err)
		}
		key, err := audit.LoadKey(filepath.Join(dir, "k"))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := audit.WriteCheckpoint(context.Background(), db, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		runAPICases(t, w, []apiCase{
			{Name: "the page shows it", As: "secretariat", Method: "GET", URL: "/audit", Status: 200,
				Contains: []string{"up to entry <strong>#" + strconv.FormatInt(cp.Seq, 10) + "</strong>", cp.KeyID, cp.Hash[:12]}},
			{Name: "supplier refused", As: "supplierA", Method: "GET", URL: "/api/v1/audit/checkpoint", Status: 403},
			{Name: "manufacturer refused", As: "manufacturer", Method: "GET", URL: "/api/v1/audit/checkpoint", Status: 403},
			{Name: "user CIO refused", As: "cio", Method: "GET", URL: "/api/v1/audit/checkpoint", Status: 403},
			{Name: "public refused", Method: "GET", URL: "/api/v1/audit/checkpoint", Status: 401},
		})
		for _, who := range []string{"ssc", "secretariat", "admin"} {
			status, body := w.do(w.byRole[who], "GET", "/api/v1/audit/checkpoint", "")
			if status != 200 {
				t.Fatalf("%s: status %d: %s", who, status, body)
			}
			got, err := audit.ParseCheckpoint([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v: %s", who, err, body)
			}
			if got != cp {
				want, _ := json.Marshal(cp)
				t.Fatalf("%s: published %s, want %s", who, body, want)
			}
			if err := got.CheckSignature(key.Public()); err != nil {
				t.Fatal(err)
			}
		}
	})
}
