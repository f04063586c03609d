package party_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the directory pages by keyset in every order, with
// organisations registered between two fetches neither repeated nor
// skipped; its roles come with each row.
func TestDirectoryPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &party.Service{DB: db}
		n := 0
		add := func() {
			t.Helper()
			roles := [][]string{{"manufacturer"}, {"map", "manufacturer"}, {"large_supplier"}, {"dcc"}}[n%4]
			// Names repeat, so that the id breaks ties.
			if _, err := s.Create(ctx, sys, party.NewParty{Code: fmt.Sprintf("P%02d", n), Name: fmt.Sprintf("Org %c", 'A'+rune(n%5)), Roles: roles}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for range 11 {
			add()
		}
		fetch := func(r listing.Request) (listing.Page[party.Party], error) { return s.ListPage(ctx, sys, r) }
		insert := func() {
			if n < 30 {
				add()
			}
		}
		listingtest.Stable(t, party.ListSpec, nil, 4, fetch, func(p party.Party) int64 { return p.ID }, insert)

		list := func(q url.Values) []party.Party {
			t.Helper()
			q.Set("limit", "500")
			r, err := party.ParseList(q)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.ListPage(ctx, sys, r)
			if err != nil || p.Total != int64(len(p.Items)) {
				t.Fatalf("%s: %d of %d, %v", q.Encode(), len(p.Items), p.Total, err)
			}
			return p.Items
		}
		// role takes the code or, as it always has, the label.
		for _, role := range []string{"map", "Meter Asset Provider"} {
			ps := list(url.Values{"role": {role}})
			if len(ps) == 0 {
				t.Errorf("role=%s: nothing", role)
			}
			for _, p := range ps {
				if !slices.Equal(p.Roles, []sec.OrgRole{sec.MAP, sec.Manufacturer}) {
					t.Errorf("role=%s lists %s with %v", role, p.Code, p.Roles)
				}
			}
		}
		if ps := list(url.Values{"q": {"p0"}}); len(ps) != 10 {
			t.Errorf("q=p0: %d", len(ps))
		}
		for _, p := range list(url.Values{"classification": {"AMBER"}}) {
			if !p.IsSupplier() {
				t.Errorf("AMBER lists %s", p.Code)
			}
		}
		for q, field := range map[string]string{"role": "role", "classification": "classification", "sort": "sort"} {
			if _, err := party.ParseList(url.Values{q: {"wizard"}}); len(errs.As(err).Fields) != 1 || errs.As(err).Fields[0].Field != field {
				t.Errorf("%s=wizard: %v", q, err)
			}
		}
		all, err := s.List(ctx, sys, party.Filter{Role: sec.Manufacturer})
		if err != nil || len(all) == 0 || !slices.IsSortedFunc(all, func(a, b party.Party) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("List: %d, %v", len(all), err)
		}
	})
}

func TestDirectoryExport(t *testing.T) {
	ctx := context.Background()
	s := &party.Service{DB: storetest.Open(t, store.SQLite)}
	if _, err := s.Create(ctx, sys, party.NewParty{Code: "ARDM", Name: "Ardent, Metering", Roles: []string{"map", "manufacturer"}}); err != nil {
		t.Fatal(err)
	}
	r, _ := party.ParseList(url.Values{"format": {"csv"}})
	var buf bytes.Buffer
	w, _ := listing.NewWriter(&buf, "csv", party.ExportHeader)
	if err := s.Export(ctx, sys, r, w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !strings.HasPrefix(buf.String(), "code,name,roles,classification,created_at,updated_at\nARDM,\"Ardent, Metering\",map;manufacturer,GREEN,20") {
		t.Errorf("export:\n%s", buf.String())
	}
}
