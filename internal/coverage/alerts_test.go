package coverage

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// spy is a Notifier that remembers what it was asked to send, so the test
// sees the notices as the delivery adapter would, and writes them in-app.
type spy struct{ sent []delivery.Notice }

func (s *spy) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error {
	s.sent = append(s.sent, n)
	return arrangement.InApp{}.Notify(ctx, tx, n)
}

func TestAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		sp := &spy{}
		f.cov.Notifier = sp
		settings := DefaultAlertSettings()
		run := func(d string) AlertResult {
			t.Helper()
			res, err := f.cov.RunAlerts(f.ctx, f.sys, sec.MustParseDate(d), settings)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		kinds := func() map[string]int {
			out := map[string]int{}
			for _, n := range sp.sent {
				out[n.Kind]++
			}
			return out
		}

		// August: first run, a baseline. SUPB's 30 inherited E1 leave their
		// window on 1 September, within 30 days: SUPB and the SSC are told.
		res := run("2025-08-10")
		if !res.BaselineOnly || res.NewGaps != 0 || res.ChurnClosing != 2 || res.Expiring != 0 || res.SnapshotMonth != "2025-08" {
			t.Fatalf("first run %+v", res)
		}
		var churn delivery.Notice
		for _, n := range sp.sent {
			if n.Kind == "coverage.churn_window" {
				churn = n
			}
		}
		if !strings.Contains(churn.Title, "30 inherited Devices of SUPB") || !strings.Contains(churn.Title, "2025-09-01") || churn.Link != "/coverage/SUPB" {
			t.Errorf("churn notice %+v", churn)
		}
		// Again the same day: nothing new is written.
		before := countRows(t, db, "arrangement_alerts")
		run("2025-08-10")
		if n := countRows(t, db, "arrangement_alerts"); n != before {
			t.Errorf("second run wrote %d alerts", n-before)
		}

		// September: SUPA starts operating a model with no arrangement, and
		// an arrangement nears its expiry.
		f.model("MFB", "G2", sec.GSME, sec.SMETS2, "2019-01-01")
		f.devices("SUPA", "MFB/G2", "", 7, "2025-08-20", false)
		f.rebuild()
		f.arrange(arrangement.Input{Reference: "A9", Kind: "supplier_manufacturer", Supplier: "SUPB", Manufacturer: "MFA",
			Models: []string{"E2"}, Materiality: "x", Signed: "2024-01-01", Effective: "2024-10-01", Expires: "2025-10-31"})
		sp.sent = nil
		res = run("2025-09-05")
		if res.BaselineOnly || res.ComparedWith != "2025-08" {
			t.Fatalf("second month %+v", res)
		}
		// New gap: SUPA/MFB/G2 (SUPB's E1 had a gap already in August).
		if res.NewGaps != 2 || kinds()["coverage.gap"] != 2 {
			t.Errorf("new gaps %+v %v", res, kinds())
		}
		for _, n := range sp.sent {
			if n.Kind == "coverage.gap" && !strings.Contains(n.Title, "7 Devices of MFB/G2") {
				t.Errorf("gap notice %+v", n)
			}
		}
		// Expiring: A9 to SUPB, MFA and the SSC.
		if res.Expiring != 3 {
			t.Errorf("expiring notices %d", res.Expiring)
		}

		// Who sees which alert: the SSC all, each party its own.
		alerts := func(org string, role sec.Role) []arrangement.Alert {
			c := access.Caller{UserID: 999, OrgID: f.orgs[org], OrgCode: org, Name: org, Roles: []sec.Role{role}, Via: "session"}
			al, err := f.arr.Alerts(f.ctx, c, 0)
			if err != nil {
				t.Fatal(err)
			}
			return al
		}
		if n := len(alerts("SUPA", sec.RoleSupplier)); n != 1 {
			t.Errorf("SUPA sees %d alerts, want 1 (its new gap)", n)
		}
		if n := len(alerts("SUPB", sec.RoleSupplier)); n != 2 {
			t.Errorf("SUPB sees %d alerts, want 2 (churn window, expiry)", n)
		}
		if n := len(alerts("MFB", sec.RoleManufacturer)); n != 0 {
			t.Errorf("MFB sees %d alerts, want 0", n)
		}
		if n := len(alerts("SSC", sec.RoleSSCMember)); n != countRows(t, db, "arrangement_alerts") {
			t.Errorf("the SSC sees %d alerts", n)
		}

		// History: SUPA's two months, and the change between them.
		org, months, err := f.cov.History(f.ctx, f.sys, "SUPA")
		if err != nil {
			t.Fatal(err)
		}
		if org.Code != "SUPA" || len(months) != 2 || months[0].Month != "2025-08" {
			t.Fatalf("history %+v", months)
		}
		if ch := months[1].Changes; len(ch) != 1 || ch[0].Model != "G2" || ch[0].From != "" || ch[0].To != Gap || ch[0].Devices != 7 {
			t.Errorf("changes %+v", months[1].Changes)
		}
		if months[1].Totals.Devices != months[0].Totals.Devices+7 {
			t.Errorf("totals %+v → %+v", months[0].Totals, months[1].Totals)
		}
		supB := access.Caller{UserID: 998, OrgID: f.orgs["SUPB"], OrgCode: "SUPB", Roles: []sec.Role{sec.RoleSupplier}, Via: "session"}
		if _, _, err := f.cov.History(f.ctx, supB, "SUPA"); !errs.Is(err, errs.NotFound) {
			t.Errorf("SUPB reading SUPA's history: %v", err)
		}
		if _, err := f.cov.RunAlerts(f.ctx, supB, day, settings); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a Supplier running alerts: %v", err)
		}
		if _, err := f.cov.RunAlerts(f.ctx, f.sys, day, AlertSettings{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("zero settings: %v", err)
		}
	})
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
