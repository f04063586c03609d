package arrangement_test

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// addArrangement inserts the n-th arrangement of a spread of kinds, parties,
// dates and states around the env's today (2025-06-15).
func (e *env) addArrangement(n int) {
	e.t.Helper()
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n%7) * time.Hour)
	supplier := []string{"SUPA", "SUPB"}[n%2]
	effective := sec.MustParseDate("2025-01-01").AddDays((n % 9) * 40)
	var expires, ended any
	if n%3 != 0 {
		expires = effective.AddDays(120 + (n%4)*20)
	}
	status := "active"
	switch n % 11 {
	case 5:
		status, ended = "ended", effective.AddDays(10)
	}
	kind, mfr, mapID := "supplier_manufacturer", any(e.orgs[[]string{"MFA", "MFB"}[n%2]]), any(nil)
	if n%4 == 1 {
		kind, mfr, mapID = "supplier_map", nil, e.orgs["MAPA"]
	}
	e.exec(`INSERT INTO arrangements (reference, kind, title, supplier_id, map_id, manufacturer_id, all_models, materiality, signed, effective,
		expires, ended, status, classification, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $8, $9, $10, $11, 'AMBER', $12, $12)`,
		fmt.Sprintf("R-%c%02d", 'A'+rune(n%5), n), kind, fmt.Sprintf("Title %d", n%3), e.orgs[supplier], mapID, mfr,
		[]string{"remote disconnection", "loss of supply"}[n%2], effective, expires, ended, status, now)
}

// Issue 15: arrangements page by keyset in every order, with arrangements
// recorded between two fetches neither repeated nor skipped.
func TestArrangementListPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		n := 0
		for ; n < 14; n++ {
			e.addArrangement(n)
		}
		fetch := func(r listing.Request) (listing.Page[arrangement.Arrangement], error) {
			return e.svc.ListPage(e.ctx, e.as["SSC"], r)
		}
		insert := func() {
			if n < 40 {
				e.addArrangement(n)
				n++
			}
		}
		listingtest.Stable(t, arrangement.ListSpec, nil, 4, fetch, func(a arrangement.Arrangement) int64 { return a.ID }, insert)
	})
}

// The facets select what they say, for the caller: state against StateOn,
// the dashboard's expiring count against the expiring_within list, a party
// on its side, and old spellings of kind still read.
func TestArrangementListFacets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for n := range 22 {
			e.addArrangement(n)
		}
		today := sec.MustParseDate("2025-06-15")
		list := func(as string, q url.Values) listing.Page[arrangement.Arrangement] {
			t.Helper()
			q.Set("limit", "500")
			r, err := arrangement.ParseList(q)
			if err != nil {
				t.Fatalf("%s: %v", q.Encode(), err)
			}
			p, err := e.svc.ListPage(e.ctx, e.as[as], r)
			if err != nil {
				t.Fatalf("%s: %v", q.Encode(), err)
			}
			if p.Total != int64(len(p.Items)) {
				t.Fatalf("%s: total %d, %d rows", q.Encode(), p.Total, len(p.Items))
			}
			return p
		}
		all := list("SSC", url.Values{}).Items
		seen := 0
		for _, st := range arrangement.States {
			p := list("SSC", url.Values{"state": {st}})
			seen += len(p.Items)
			for _, a := range p.Items {
				if a.StateOn(today) != arrangement.StateLabel(st) {
					t.Errorf("state=%s lists %s, %s", st, a.Reference, a.StateOn(today))
				}
			}
		}
		if seen != len(all) {
			t.Errorf("the states list %d arrangements of %d", seen, len(all))
		}
		for _, as := range []string{"SSC", "SUPA", "MFA"} {
			n, err := e.svc.Expiring(e.ctx, e.as[as], today, 60)
			if err != nil {
				t.Fatal(err)
			}
			link, _ := url.Parse(arrangement.ExpiringLink(60))
			p := list(as, link.Query())
			if int64(n) != p.Total || (as == "SSC" && n == 0) {
				t.Errorf("%s: Expiring counts %d, the linked list holds %d", as, n, p.Total)
			}
			for _, a := range p.Items {
				if a.Status != arrangement.Active || a.Expires.Before(today) || a.Expires.After(today.AddDays(60)) {
					t.Errorf("%s: expiring lists %s (%s, expires %s)", as, a.Reference, a.Status, a.Expires)
				}
			}
		}
		for _, a := range list("SUPA", url.Values{}).Items {
			if a.Supplier == nil || a.Supplier.Code != "SUPA" {
				t.Errorf("SUPA sees %s of %+v", a.Reference, a.Supplier)
			}
		}
		for q, ok := range map[string]func(arrangement.Arrangement) bool{
			"supplier=supb":                  func(a arrangement.Arrangement) bool { return a.Supplier.Code == "SUPB" },
			"map=MAPA":                       func(a arrangement.Arrangement) bool { return a.MAP != nil && a.MAP.Code == "MAPA" },
			"manufacturer=MFB":               func(a arrangement.Arrangement) bool { return a.Manufacturer != nil && a.Manufacturer.Code == "MFB" },
			"party=MAPA":                     func(a arrangement.Arrangement) bool { return a.MAP != nil },
			"kind=Supplier–MAP contract":     func(a arrangement.Arrangement) bool { return a.Kind == arrangement.SupplierMAP },
			"materiality_text=DISCONNECTION": func(a arrangement.Arrangement) bool { return strings.Contains(a.Materiality, "disconnection") },
			"in_force_on=2025-06-15":         func(a arrangement.Arrangement) bool { return a.InForce(today) },
			"from=2025-03-01&to=2025-05-31": func(a arrangement.Arrangement) bool {
				return !a.Effective.Before(sec.MustParseDate("2025-03-01")) && !a.Effective.After(sec.MustParseDate("2025-05-31"))
			},
			"expires_from=2025-10-01&expires_to=2025-12-31": func(a arrangement.Arrangement) bool {
				return !a.Expires.Before(sec.MustParseDate("2025-10-01")) && !a.Expires.After(sec.MustParseDate("2025-12-31"))
			},
			"q=r-b":        func(a arrangement.Arrangement) bool { return strings.HasPrefix(a.Reference, "R-B") },
			"q=org mapa":   func(a arrangement.Arrangement) bool { return a.MAP != nil },
			"q=title 2":    func(a arrangement.Arrangement) bool { return a.Title == "Title 2" },
			"sort=expires": func(a arrangement.Arrangement) bool { return true },
		} {
			v, _ := url.ParseQuery(q)
			p := list("SSC", v)
			if len(p.Items) == 0 {
				t.Errorf("%s: nothing", q)
			}
			want := 0
			for _, a := range all {
				if ok(a) {
					want++
				}
			}
			if len(p.Items) != want {
				t.Errorf("%s: %d rows, want %d", q, len(p.Items), want)
			}
			for _, a := range p.Items {
				if !ok(a) {
					t.Errorf("%s lists %s", q, a.Reference)
				}
			}
		}
		// A manufacturer sees a Supplier's arrangement with it, but not the
		// Supplier's AMBER directory entry: its name is neither shown nor
		// searchable.
		e.exec("UPDATE organisations SET classification = 'AMBER' WHERE code = 'SUPA'")
		if p := list("MFA", url.Values{"q": {"Org SUPA"}}); p.Total != 0 {
			t.Errorf("MFA finds %d arrangements by SUPA's hidden name", p.Total)
		}
		if p := list("MFA", url.Values{"q": {"supa"}}); p.Total == 0 {
			t.Error("MFA cannot find its arrangements with SUPA by code")
		}
		for q, field := range map[string]string{"state=lost": "state", "kind=barter": "kind", "in_force_on=15/06/2025": "in_force_on",
			"expiring_within=-1": "expiring_within", "expiring_within=soon": "expiring_within", "expires_to=x": "expires_to", "sort=price": "sort"} {
			v, _ := url.ParseQuery(q)
			_, err := arrangement.ParseList(v)
			if fs := errs.As(err).Fields; len(fs) != 1 || fs[0].Field != field {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
}

// The export streams every row the filters match, with its models by code,
// and List (the CLI's) agrees with the pages.
func TestArrangementListExport(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	for n := range 9 {
		e.addArrangement(n)
	}
	e.exec(`UPDATE arrangements SET all_models = FALSE WHERE reference = 'R-A00'`)
	e.exec(`INSERT INTO arrangement_models (arrangement_id, model_id) SELECT a.id, m.id FROM arrangements a, device_models m WHERE a.reference = 'R-A00' AND m.code IN ('E2', 'E1')`)
	r, _ := arrangement.ParseList(url.Values{"format": {"csv"}, "supplier": {"SUPA"}, "sort": {"reference"}})
	var buf bytes.Buffer
	w, err := listing.NewWriter(&buf, "csv", arrangement.ExportHeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Export(e.ctx, e.as["SSC"], r, w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "reference,kind,title,supplier") || !strings.Contains(lines[1], "R-A00,supplier_manufacturer,Title 0,SUPA,,MFA,false,MFA/E1 MFA/E2,") {
		t.Errorf("export:\n%s", buf.String())
	}
	as, err := e.svc.List(e.ctx, e.as["SSC"], arrangement.Filter{Party: "supa"})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, a := range as {
		refs = append(refs, a.Reference)
		if a.Reference == "R-A00" && (len(a.Models) != 2 || a.Models[0].String() != "MFA/E1") {
			t.Errorf("R-A00's models %+v", a.Models)
		}
	}
	if len(refs) != 5 || !slices.IsSortedFunc(as, func(a, b arrangement.Arrangement) int { return b.Effective.Compare(a.Effective) }) {
		t.Errorf("List: %v", refs)
	}
}
