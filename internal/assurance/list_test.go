package assurance_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the assessment list pages on the shared core, stable under new
// assessments in every order; the former after cursor still works; a party
// sees only its own; the export has the rows the filters match.
func TestAssessmentListPagesStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		n := 0
		plan := func() {
			party := []string{"SUPA", "SUPB"}[n%2]
			role := map[string]string{"SUPA": "large_supplier", "SUPB": "small_supplier"}[party]
			typ := []string{"FUSA", "SSA"}[n%2]
			if _, err := e.svc.Create(e.ctx, e.as["SSC"], assurance.Input{Party: party, Role: role, Type: typ, Year: 2026 + n%3, YearInCycle: 1 + n%2}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for range 7 {
			plan()
		}
		fetch := func(r listing.Request) (listing.Page[assurance.Assessment], error) {
			return e.svc.ListPage(e.ctx, e.as["SSC"], r)
		}
		insert := func() {
			if n < 25 {
				plan()
			}
		}
		listingtest.Stable(t, assurance.ListSpec, nil, 3, fetch, func(a assurance.Assessment) int64 { return a.ID }, insert)

		old, err := e.svc.List(e.ctx, e.as["SSC"], assurance.Filter{Limit: 2})
		if err != nil || len(old.Assessments) != 2 || old.Next == 0 {
			t.Fatalf("first page: %+v %v", old, err)
		}
		next, err := e.svc.List(e.ctx, e.as["SSC"], assurance.Filter{Limit: 2, After: old.Next})
		if err != nil || len(next.Assessments) != 2 || next.Assessments[0].ID >= old.Next {
			t.Fatalf("after=%d: %+v %v", old.Next, next, err)
		}

		r, _ := assurance.ListSpec.Parse(url.Values{"party": {"supb"}, "limit": {"500"}})
		p, err := e.svc.ListPage(e.ctx, e.as["SSC"], r)
		if err != nil || p.Total == 0 || p.Total != int64(len(p.Items)) {
			t.Fatalf("party=supb: %d of %d, %v", len(p.Items), p.Total, err)
		}
		own, err := e.svc.ListPage(e.ctx, e.as["SUPA"], r)
		if err != nil || own.Total != 0 {
			t.Fatalf("SUPA sees SUPB's: %d, %v", own.Total, err)
		}
		var buf bytes.Buffer
		lw, _ := listing.NewWriter(&buf, "csv", assurance.CSVHeader)
		if err := e.svc.Export(e.ctx, e.as["SSC"], r, lw); err != nil {
			t.Fatal(err)
		}
		lw.Close()
		if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); int64(len(lines)-1) != p.Total {
			t.Fatalf("export: %d rows, want %d", len(lines)-1, p.Total)
		}
	})
}
