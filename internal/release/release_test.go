package release

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestShippedTable(t *testing.T) {
	rows := Shipped()
	vs, err := versionsOf(rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, day, want string
		public          bool
	}{
		{"seeds/002: the day before the November 2022 SEC Release (3 Nov 2022)", "2022-11-02", "6.3", false},
		{"seeds/002: \"implemented November 2022 SEC Release (3 Nov 2022)\"", "2022-11-03", "6.6", true},
		{"an invented date is marked as not public", "2020-01-01", "5.20", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := vs.InForce(sec.MustParseDate(c.day))
			if err != nil || r.Version.String() != c.want {
				t.Fatalf("in force on %s: %v %v, want v%s", c.day, r.Version, err, c.want)
			}
			if caveat := vs.Caveat(r.Version); (caveat == "") != c.public {
				t.Errorf("caveat of v%s: %q", r.Version, caveat)
			} else if !c.public && !strings.Contains(caveat, "not from a public source") {
				t.Errorf("caveat %q", caveat)
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"no header", "", "line 1"},
		{"wrong header", "v,e\n", "header"},
		{"bad version", "version,effective,public,source,note\n5.x,2020-01-01,yes,src,\n", "line 2: version"},
		{"bad date", "version,effective,public,source,note\n5.1,2020-13-01,yes,src,\n", "line 2: effective"},
		{"public must say", "version,effective,public,source,note\n5.1,2020-01-01,maybe,src,\n", "line 2: public"},
		{"a source is required", "version,effective,public,source,note\n5.1,2020-01-01,no,,\n", "line 2: source"},
		{"out of order", "version,effective,public,source,note\n5.2,2020-01-01,no,x,\n5.1,2021-01-01,no,x,\n", "must come after"},
		{"too few fields", "version,effective,public,source,note\n5.1,2020-01-01\n", "line 2: has 2 fields"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(c.in))
			if err == nil || !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseCSV: %v, want %q", err, c.want)
			}
		})
	}
}

func TestImportAndRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sys := access.SystemCaller("test")
		tab, err := Load(ctx, db)
		if err != nil || !tab.Shipped || len(tab.Modifications) != 2 {
			t.Fatalf("empty database: %+v %v", tab, err)
		}
		if s := tab.Settings(sec.DefaultSettings()); !s.G320FixVersion.IsZero() {
			t.Errorf("DP087 is a Draft Proposal: no fix release, got %s", s.G320FixVersion)
		}
		if r, ok := tab.EffectFrom(sec.EffectTriageDuties); !ok || r.Version.String() != "6.6" || r.Effective.String() != "2022-11-03" {
			t.Errorf("MP203 triage duties from %+v %v", r, ok)
		}
		supplier := access.Caller{UserID: 9, OrgID: 9, Roles: []sec.Role{sec.RoleSupplier}}
		if _, err := Import(ctx, db, supplier, strings.NewReader(CSV(Shipped())), "x"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a Supplier's import: %v", err)
		}
		if _, err := Import(ctx, db, sys, strings.NewReader(CSV(Shipped())), ""); !errs.Is(err, errs.Invalid) {
			t.Errorf("an import without a reason: %v", err)
		}
		// The secretariat confirms 6.6's label and adds the DP087 release.
		rows := append(Shipped(), Row{Version: sec.MustParseVersion("6.9"), Effective: sec.MustParseDate("2023-06-29"), Public: true, Source: "SECAS release notes"})
		tab, err = Import(ctx, db, sys, strings.NewReader(CSV(rows)), "DP087 implemented")
		if err != nil || tab.Shipped || len(tab.Rows) != 7 {
			t.Fatalf("import: %+v %v", tab, err)
		}
		// A bad file changes nothing.
		if _, err := Import(ctx, db, sys, strings.NewReader("version,effective,public,source,note\n6.9,2023-06-29,yes,x,\n6.1,2024-01-01,yes,x,\n"), "oops"); !errs.Is(err, errs.Invalid) {
			t.Errorf("a bad import: %v", err)
		}
		h, err := History(ctx, db)
		if err != nil || len(h) != 1 || h[0].Reason != "DP087 implemented" || !strings.Contains(h[0].Previous, "6.6,2022-11-03,yes") {
			t.Fatalf("history %+v %v", h, err)
		}
		for _, ev := range []string{"raise", "refine", "report", "decide"} {
			if _, err := Move(ctx, db, sys, "DP087", MoveInput{Event: ev}); err != nil {
				t.Fatalf("%s: %v", ev, err)
			}
		}
		if _, err := Move(ctx, db, sys, "DP087", MoveInput{Event: "implement", Release: "7.0"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("implemented in an unknown release: %v", err)
		}
		if _, err := Move(ctx, db, sys, "DP087", MoveInput{Event: "raise"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("raising a decided modification: %v", err)
		}
		if _, err := Move(ctx, db, sys, "DP087", MoveInput{Event: "implement", Release: "6.9"}); err != nil {
			t.Fatal(err)
		}
		tab, _ = Load(ctx, db)
		if s := tab.Settings(sec.DefaultSettings()); s.G320FixVersion.String() != "6.9" {
			t.Errorf("the rules read G320FixVersion %s, want 6.9 from the register", s.G320FixVersion)
		}
		// A table that drops a release a modification names is refused.
		if _, err := Import(ctx, db, sys, strings.NewReader(CSV(Shipped())), "drop 6.9"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "DP087") {
			t.Errorf("dropping 6.9: %v", err)
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add(string(shippedReleases))
	f.Add("version,effective,public,source,note\n5.1,2020-01-01,yes,src,\n")
	f.Add("version,effective,public,source,note\n\"5.1,2020-01-01\n")
	f.Add("\ufeffversion,effective,public,source,note\r\n5.1,2020-01-01,no,src,x\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseCSV(strings.NewReader(in))
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		again, err := ParseCSV(strings.NewReader(CSV(rows)))
		if err != nil || len(again) != len(rows) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
