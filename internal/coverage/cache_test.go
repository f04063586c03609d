package coverage

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestCacheFollowsEveryChange: the cached national coverage is the fresh
// answer after each kind of change (a new arrangement, a change of supplier,
// a certificate, a model's list, an impracticability's audience), on two
// servers' services over one database, and a change that cannot move
// coverage (a title, a firmware upgrade) keeps it.
func TestCacheFollowsEveryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		one, two := f.cov, NewService(db) // two servers, one database
		two.Today = f.cov.Today
		fresh := &Service{DB: db, Today: f.cov.Today} // no cache
		est := estate.NewService(db)
		est.Today = f.cov.Today
		version := func() int64 {
			t.Helper()
			var v int64
			if err := db.QueryRowContext(f.ctx, "SELECT version FROM coverage_version WHERE id = 1").Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		// check computes on both servers (twice each, the second from the
		// cache) and compares with the fresh answer.
		check := func(what string) Report {
			t.Helper()
			want, err := fresh.Compute(f.ctx, f.sys, Query{Date: day})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []*Service{one, two, one, two} {
				got, err := s.Compute(f.ctx, f.sys, Query{Date: day})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: the cached coverage is not the fresh one", what)
				}
			}
			return want
		}
		before := check("at first")
		hits, _ := one.CacheStats()
		if hits == 0 {
			t.Fatal("the second computation did not come from the cache")
		}

		// Changes that move coverage bump the version and are seen.
		changes := []struct {
			name  string
			apply func()
		}{
			{"a new arrangement", func() {
				f.arrange(arrangement.Input{Reference: "A9", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MFC",
					AllModels: true, Materiality: "Any", Signed: "2025-06-01", Effective: "2025-06-01"})
			}},
			{"a change of supplier", func() {
				var id int64
				if err := db.QueryRowContext(f.ctx, `SELECT MIN(id) FROM devices WHERE supplier_id = $1 AND status = 'installed'`, f.orgs["SUPA"]).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if _, err := est.ChangeSupplier(f.ctx, f.sys, estate.Change{DeviceID: estate.DeviceIDFromInt64(id), NewSupplier: "SUPB",
					Effective: day}); err != nil {
					t.Fatal(err)
				}
			}},
			{"a certificate", func() {
				f.exec(`INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, created_at, updated_at)
					VALUES ($1, 'CPA-E2-early', '2019-01-01', 'expiring', '2035-01-01', $2, $2)`, f.models["MFA/E2"], time.Now().UTC())
			}},
			{"an arrangement's models", func() {
				models := []string{"E1", "E2"}
				if _, err := f.arr.Update(f.ctx, f.sys, "A1", arrangement.Update{Models: &models}); err != nil {
					t.Fatal(err)
				}
			}},
			{"an arrangement's end", func() {
				if _, err := f.arr.Terminate(f.ctx, f.sys, "A3", day); err != nil {
					t.Fatal(err)
				}
			}},
		}
		prev := before
		for _, ch := range changes {
			v := version()
			ch.apply()
			if version() == v {
				t.Errorf("%s did not bump the coverage version", ch.name)
			}
			now := check(ch.name)
			if reflect.DeepEqual(now, prev) {
				t.Errorf("%s did not change coverage: the test changes nothing", ch.name)
			}
			prev = now
		}

		// Changes that cannot move coverage keep the cached report.
		quiet := []struct {
			name  string
			apply func()
		}{
			{"a new title", func() {
				title := "Renamed"
				if _, err := f.arr.Update(f.ctx, f.sys, "A1", arrangement.Update{Title: &title}); err != nil {
					t.Fatal(err)
				}
			}},
			{"a firmware upgrade", func() {
				var id int64
				if err := db.QueryRowContext(f.ctx, `SELECT MIN(d.id) FROM devices d JOIN firmware_versions fv ON fv.id = d.firmware_id
					WHERE d.status = 'installed' AND fv.version = '1.0'`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if _, err := est.UpgradeFirmware(f.ctx, f.sys, estate.DeviceIDFromInt64(id), "1.1", day); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, ch := range quiet {
			v := version()
			ch.apply()
			if version() != v {
				t.Errorf("%s bumped the coverage version", ch.name)
			}
			check(ch.name)
		}
		// A setting changed on the service (as a release table read at
		// start does) is a different question.
		one.Settings = sec.DefaultSettings()
		one.Settings.ChurnWindowMonths = 3
		fresh.Settings = one.Settings
		two.Settings = one.Settings
		if reflect.DeepEqual(check("a shorter churn window"), prev) {
			t.Error("a shorter churn window changed nothing: the test changes nothing")
		}
		var n int
		if err := db.QueryRowContext(f.ctx, "SELECT COUNT(*) FROM coverage_quiet").Scan(&n); err != nil || n != 0 {
			t.Errorf("coverage_quiet holds %d rows (%v), want none outside a firmware move", n, err)
		}
	})
}

// TestArrangementColumnsWatched: every column of arrangements either moves
// coverage (migration 1300's UPDATE triggers watch it) or is named here as
// words coverage never reads. A new column must be put in one or the other.
func TestArrangementColumnsWatched(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		watched := []string{"reference", "kind", "supplier_id", "map_id", "manufacturer_id", "all_models", "legacy", "effective",
			"expires", "ended", "status", "classification", "first_signed", "second_signed", "id"}
		ignored := []string{"title", "materiality", "sec_version", "signed", "confirmed_at", "confirmed_by", "created_at",
			"updated_at", "first_signatory", "second_signatory"}
		rows, err := db.QueryContext(t.Context(), "SELECT * FROM arrangements WHERE 1 = 0")
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if !slices.Contains(watched, c) && !slices.Contains(ignored, c) {
				t.Errorf("arrangements.%s: does coverage read it? Watch it in a migration's coverage triggers or list it as ignored", c)
			}
		}
	})
}

// TestCacheKeepsEachCallersView: SSC members share a cached report only when
// they are named on the same RED records; one named on a RED party
// sees a RED organisation's name, another is never served that report; a Supplier sees
// its own coverage only.
func TestCacheKeepsEachCallersView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		fresh := &Service{DB: db, Today: f.cov.Today}
		user := func(email, org, role string) access.Caller {
			var id int64
			if err := db.Writer().QueryRowContext(f.ctx, `INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at)
				VALUES ($1, $2, 'U', 'x', $3, $3) RETURNING id`, f.orgs[org], email, time.Now().UTC()).Scan(&id); err != nil {
				t.Fatal(err)
			}
			f.exec("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", id, role)
			return access.Caller{UserID: id, OrgID: f.orgs[org], OrgCode: org, Name: email, Roles: []sec.Role{sec.Role(role)}, Via: "session"}
		}
		named, other, third := user("a@ssc.example", "SSC", "ssc_member"), user("b@ssc.example", "SSC", "ssc_member"), user("c@ssc.example", "SSC", "ssc_member")
		supa := user("s@supa.example", "SUPA", "supplier")
		// MFC's entry in the directory is RED, naming one SSC member.
		f.exec("UPDATE organisations SET classification = 'RED' WHERE id = $1", f.orgs["MFC"])
		f.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('party', $1, $2)", f.orgs["MFC"], named.UserID)
		sees := func(rep Report) bool {
			for _, o := range MatrixOf(rep).Manufacturers {
				if o.Code == "MFC" && o.Name != "" {
					return true
				}
			}
			return false
		}
		for _, c := range []access.Caller{named, other, third, supa, named, other, third, supa} {
			got, err := f.cov.Compute(f.ctx, c, Query{Date: day})
			if err != nil {
				t.Fatal(err)
			}
			want, err := fresh.Compute(f.ctx, c, Query{Date: day})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s was served another caller's coverage", c.Name)
			}
			if sees(got) != (c.UserID == named.UserID) {
				t.Errorf("%s sees the RED party MFC's name: %v", c.Name, sees(got))
			}
			if c.UserID == supa.UserID && len(got.Suppliers) != 1 {
				t.Errorf("SUPA sees %d Suppliers' coverage", len(got.Suppliers))
			}
		}
		// other and third, named on nothing, shared one report: 8 asked,
		// 4 computed (named, other, SUPA; third from other's).
		if hits, misses := f.cov.CacheStats(); misses != 3 || hits != 5 {
			t.Errorf("cache hits %d, misses %d; want 5 and 3", hits, misses)
		}
	})
}
