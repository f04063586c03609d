package estate

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestClaimsTellTheLosingSupplier: a Supplier could claim any Device by its
// ID and the losing Supplier was not told. The gaining-Supplier model stays,
// but the loser now gets one notice per churn file and one per day of
// single claims (never one per Device, never naming the gainer), a Supplier
// claims at most Limits.ClaimsPerDay of other Suppliers' Devices a day one by
// one, and every claim is audited with who lost what.
func TestClaimsTellTheLosingSupplier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		supA := f.callers["SUPA"]
		notices := func(org string) []string {
			t.Helper()
			rs, err := db.QueryContext(context.Background(), `SELECT title || ' | ' || body FROM notices WHERE org_id = $1 AND kind = $2 ORDER BY id`, f.orgs[org], NoticeLost)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			var out []string
			for rs.Next() {
				var s string
				rs.Scan(&s)
				out = append(out, s)
			}
			return out
		}
		f.svc.Limits = Limits{Earliest: sec.NewDate(2011, 1, 1), DaysAhead: 366, ClaimsPerDay: 2}

		// SUPA claims two of SUPB's Devices (d2, d3) one by one: nobody is
		// told yet; the next day SUPB is told once, of both.
		for _, id := range []DeviceID{d2, d3} {
			if res, err := f.svc.ChangeSupplier(f.ctx, supA, Change{DeviceID: id, NewSupplier: "SUPA", Effective: sec.MustParseDate("2025-06-01")}); err != nil || res.Changed != 1 {
				t.Fatalf("claim %s: %+v %v", id, res, err)
			}
		}
		if n := notices("SUPB"); len(n) != 0 {
			t.Errorf("told before the day ended: %q", n)
		}
		// The third claim of the day is refused, for any Device that is not
		// the caller's, existing or not, with the same answer.
		_, errOther := f.svc.ChangeSupplier(f.ctx, supA, Change{DeviceID: d1, NewSupplier: "SUPA", Effective: sec.MustParseDate("2025-06-10")})
		_, errMissing := f.svc.ChangeSupplier(f.ctx, supA, Change{DeviceID: DeviceID(0x00BB000000000009), NewSupplier: "SUPA", Effective: sec.MustParseDate("2025-06-10")})
		if !errs.Is(errMissing, errs.RateLimited) || !strings.Contains(errMissing.Error(), "churn file") {
			t.Errorf("a claim over the limit: %v", errMissing)
		}
		// d1 is SUPA's own: changing it is no claim (and fails for its own reasons).
		if errs.Is(errOther, errs.RateLimited) {
			t.Errorf("a change to the caller's own Device counted as a claim: %v", errOther)
		}
		sys := access.SystemCaller("test")
		if _, err := f.svc.NotifyClaims(f.ctx, supA, sec.MustParseDate("2025-06-16")); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a Supplier sending the notices: %v", err)
		}
		if told, err := f.svc.NotifyClaims(f.ctx, sys, sec.MustParseDate("2025-06-15")); err != nil || told != 0 {
			t.Errorf("notices on the day itself: %d %v", told, err)
		}
		if told, err := f.svc.NotifyClaims(f.ctx, sys, sec.MustParseDate("2025-06-16")); err != nil || told != 1 {
			t.Errorf("the day's notices: %d %v", told, err)
		}
		n := notices("SUPB")
		if len(n) != 1 || !strings.Contains(n[0], "2 Devices of yours changed Supplier") || !strings.Contains(n[0], d2.String()) ||
			!strings.Contains(n[0], d3.String()) || strings.Contains(n[0], "SUPA") {
			t.Errorf("SUPB's notices: %q", n)
		}
		if told, err := f.svc.NotifyClaims(f.ctx, sys, sec.MustParseDate("2025-06-17")); err != nil || told != 0 || len(notices("SUPB")) != 1 {
			t.Errorf("notices again: %d %v", told, err)
		}
		if n := rows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'estate.change_supplier' AND object_id IN ('`+d2.String()+`', '`+d3.String()+`')`); n != 2 {
			t.Errorf("%d audited claims, want 2", n)
		}
		if n := rows(t, db, `SELECT COUNT(*) FROM estate_claims WHERE claimant_id = `+itoa(f.orgs["SUPA"])+` AND loser_id = `+itoa(f.orgs["SUPB"])+` AND notified`); n != 2 {
			t.Errorf("%d claims recorded and told, want 2", n)
		}

		// SUPB takes both back by one churn file: SUPA is told once, for the
		// file, at once; the limit does not apply to files.
		file := "device_id,new_supplier,effective_date\n" + d2.String() + ",SUPB,2025-06-10\n" + d3.String() + ",SUPB,2025-06-11\n"
		if res, err := f.svc.ImportChurn(f.ctx, f.callers["SUPB"], strings.NewReader(file), ImportOptions{}); err != nil || res.Changed != 2 {
			t.Fatalf("churn: %+v %v", res, err)
		}
		n = notices("SUPA")
		if len(n) != 1 || !strings.Contains(n[0], "2 Devices of yours changed Supplier") || !strings.Contains(n[0], "from 2025-06-10 to 2025-06-11") || strings.Contains(n[0], "SUPB") {
			t.Errorf("SUPA's notices: %q", n)
		}
		if n := rows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'estate.import_churn'`); n != 1 {
			t.Errorf("%d audited files, want 1", n)
		}
		f.verifyOK()
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
