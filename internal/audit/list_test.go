package audit_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15 (7): the trail pages stably while it grows, filters by who, what,
// object and day, counts what it shows and exports the same rows; only its
// readers may list it.
func TestListFiltersPagesAndExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := 0
		write := func(actor, action string) {
			n++
			c := access.Caller{UserID: 7, Name: actor, Via: "session"}
			if actor == "cli:root" {
				c = access.SystemCaller("cli:root")
			}
			if err := db.Write(ctx, c, func(tx *store.Tx) error {
				return audit.Record(ctx, tx, action, "thing", n%4, map[string]int{"n": n})
			}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 9 {
			write([]string{"ana@x.example", "cli:root"}[i%2], []string{"thing.make", "thing.break", "user.add"}[i%3])
		}
		reader := access.Caller{UserID: 1, Name: "admin", Roles: []sec.Role{sec.RoleAdmin}}
		fetch := func(r listing.Request) (listing.Page[audit.Entry], error) {
			return audit.Page(ctx, db, reader, audit.ListQuery{Req: r})
		}
		insert := func() {
			if n < 25 {
				write("ana@x.example", "thing.make")
			}
		}
		listingtest.Stable(t, audit.ListSpec, nil, 4, fetch, func(e audit.Entry) int64 { return e.Seq }, insert)

		page := func(q url.Values, actorID int64) listing.Page[audit.Entry] {
			t.Helper()
			q.Set("limit", "500")
			r, err := audit.ListSpec.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			p, err := audit.Page(ctx, db, reader, audit.ListQuery{Req: r, ActorUserID: actorID})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != int64(len(p.Items)) {
				t.Fatalf("%v: total %d, %d rows", q, p.Total, len(p.Items))
			}
			return p
		}
		for _, e := range page(url.Values{"actor": {"ana@x.example"}, "action": {"thing."}}, 0).Items {
			if e.Actor != "session:ana@x.example" || !strings.HasPrefix(e.Action, "thing.") {
				t.Errorf("actor and action prefix: %+v", e)
			}
		}
		byID := page(url.Values{"actor": {"ana@x.example"}}, 7)
		byName := page(url.Values{"actor": {"ana@x.example"}}, 0)
		if byID.Total == 0 || byID.Total != byName.Total {
			t.Errorf("by user id %d, by name %d", byID.Total, byName.Total)
		}
		if p := page(url.Values{"action": {"user.add"}, "object_type": {"thing"}, "object_id": {"1"}}, 0); p.Total == 0 {
			t.Error("object filter found nothing")
		}
		today := sec.DateOf(db.Now()).String()
		if p := page(url.Values{"from": {today}, "to": {today}}, 0); p.Total != int64(n) {
			t.Errorf("today: %d of %d", p.Total, n)
		}
		if p := page(url.Values{"to": {sec.DateOf(db.Now()).AddDays(-1).String()}}, 0); p.Total != 0 {
			t.Errorf("before today: %d", p.Total)
		}
		if _, err := audit.ListSpec.Parse(url.Values{"before": {"x"}}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("before=x: %v", err)
		}

		r, _ := audit.ListSpec.Parse(url.Values{"action": {"user.add"}, "format": {"csv"}})
		var buf bytes.Buffer
		lw, _ := listing.NewWriter(&buf, "csv", audit.CSVHeader)
		if err := audit.Export(ctx, db, reader, audit.ListQuery{Req: r}, lw); err != nil {
			t.Fatal(err)
		}
		lw.Close()
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if want := page(url.Values{"action": {"user.add"}}, 0).Total; int64(len(lines)-1) != want || lines[0] != strings.Join(audit.CSVHeader, ",") {
			t.Errorf("export: %d rows, want %d:\n%s", len(lines)-1, want, buf.String())
		}

		supplier := access.Caller{UserID: 2, Name: "s", Roles: []sec.Role{sec.RoleSupplier}}
		if _, err := audit.Page(ctx, db, supplier, audit.ListQuery{Req: audit.ListSpec.First()}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a supplier listed the trail: %v", err)
		}
		if err := audit.Export(ctx, db, supplier, audit.ListQuery{Req: r}, lw); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a supplier exported the trail: %v", err)
		}
	})
}
