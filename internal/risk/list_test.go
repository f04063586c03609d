package risk_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the register pages on the shared core, stable in every order
// while risks are added; its filters narrow the page, the total and the
// heat map's counts alike; the export has the rows they match.
func TestRegisterListPagesStably(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, engine)
			svc := &risk.Service{DB: db}
			ssc := access.Caller{UserID: 1, OrgID: 1, Name: "chair", Roles: []sec.Role{sec.RoleSSCMember}, Via: "session"}
			sup := access.Caller{UserID: 2, OrgID: 2, Name: "sup", Roles: []sec.Role{sec.RoleSupplier}, Via: "session"}
			n := 0
			add := func() {
				// Reviews spread either side of today, so review_due splits them.
				review := sec.DateOf(db.Now()).AddDays(n*37 - 200).String()
				if _, err := svc.Create(ctx, ssc, risk.Input{Title: fmt.Sprintf("Risk %02d", n), Owner: []string{"DCC", "SECAS", "CESG"}[n%3],
					Likelihood: 1 + n%5, Impact: 1 + (n*3)%5, ReviewDate: review, Description: map[bool]string{true: "firmware signing"}[n%4 == 0]}); err != nil {
					t.Fatal(err)
				}
				n++
			}
			for range 8 {
				add()
			}
			insert := func() {
				if n < 30 {
					add()
				}
			}
			fetch := func(r listing.Request) (listing.Page[risk.Risk], error) {
				p, err := svc.ListPage(ctx, ssc, r)
				return p.Page, err
			}
			listingtest.Stable(t, risk.ListSpec, nil, 3, fetch, func(k risk.Risk) int64 { return k.ID }, insert)

			page := func(c access.Caller, q string) risk.Page {
				t.Helper()
				v, _ := url.ParseQuery(q)
				r, err := risk.ListSpec.Parse(v)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				p, err := svc.ListPage(ctx, c, r)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				cells := 0
				for _, c := range p.Cells {
					cells += c.Risks
				}
				if int64(cells) != p.Total {
					t.Errorf("%s: the heat map counts %d risks, the list %d", q, cells, p.Total)
				}
				return p
			}
			all := page(ssc, "limit=500")
			if all.Total != int64(n) || len(all.Bands) == 0 || len(all.Likelihoods) != 5 {
				t.Fatalf("all: %d of %d risks, %d bands", all.Total, n, len(all.Bands))
			}
			for i := 1; i < len(all.Items); i++ {
				if all.Items[i].Score > all.Items[i-1].Score {
					t.Fatalf("not highest score first: %+v", all.Items)
				}
			}
			due, notDue := page(ssc, "review_due=true&limit=500"), page(ssc, "review_due=false&limit=500")
			if due.Total == 0 || notDue.Total == 0 || due.Total+notDue.Total != all.Total {
				t.Errorf("review due %d + not due %d != %d", due.Total, notDue.Total, all.Total)
			}
			today := sec.DateOf(db.Now())
			for _, k := range due.Items {
				if today.Before(k.ReviewDate) {
					t.Errorf("review_due=true gave %s, reviewed on %s", k.Title, k.ReviewDate)
				}
			}
			band := all.Items[0].Band
			for _, k := range page(ssc, "band="+url.QueryEscape(strings.ToLower(band))+"&limit=500").Items {
				if k.Band != band {
					t.Errorf("band=%s gave %s in %s", band, k.Title, k.Band)
				}
			}
			if p := page(ssc, "band=nonesuch"); p.Total != 0 {
				t.Errorf("an unknown band matches %d", p.Total)
			}
			if p := page(ssc, "q=FIRMWARE&owner=dcc&limit=500"); p.Total == 0 {
				t.Errorf("q=firmware&owner=dcc matches nothing")
			} else {
				for _, k := range p.Items {
					if k.Owner != "DCC" || !strings.Contains(k.Description, "firmware") {
						t.Errorf("q=firmware&owner=dcc gave %+v", k)
					}
				}
			}
			if p := page(ssc, "likelihood=3&impact=2"); p.Total == 0 || len(p.Cells) != 1 || p.Cells[0].Likelihood != 3 || p.Cells[0].Impact != 2 {
				t.Errorf("likelihood=3&impact=2: %+v", p.Cells)
			}
			if p := page(sup, "limit=500"); p.Total != 0 || len(p.Cells) != 0 {
				t.Errorf("a Supplier sees %d risks", p.Total)
			}
			for q, field := range map[string]string{"likelihood=6": "likelihood", "review_due=soon": "review_due", "sort=band": "sort"} {
				v, _ := url.ParseQuery(q)
				if _, err := risk.ListSpec.Parse(v); err == nil || !strings.Contains(err.Error(), field) {
					t.Errorf("%s: %v", q, err)
				}
			}
			var buf bytes.Buffer
			w, _ := listing.NewWriter(&buf, "csv", risk.CSVHeader)
			r, _ := risk.ListSpec.Parse(url.Values{"review_due": {"true"}, "format": {"csv"}})
			if err := svc.Export(ctx, ssc, r, w); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if lines := strings.Count(strings.TrimSpace(buf.String()), "\n"); int64(lines) != due.Total {
				t.Errorf("export has %d rows for %d risks due review", lines, due.Total)
			}
		})
	}
}
