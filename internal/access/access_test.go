package access_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestVisibleAgreesWithCanSee checks the SQL condition against the pure rule
// for every classification, audience shape and kind of caller, on both
// engines.
func TestVisibleAgreesWithCanSee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Writer().Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		// Organisations 1..3, users 1..3 (user n in org n).
		for i := 1; i <= 3; i++ {
			exec("INSERT INTO organisations (id, code, name, created_at, updated_at) VALUES ($1, $2, $2, '2026-01-01', '2026-01-01')", i, fmt.Sprintf("O%d", i))
			exec("INSERT INTO users (id, org_id, email, name, password_hash, created_at, password_changed_at) VALUES ($1, $1, $2, $2, 'x', '2026-01-01', '2026-01-01')", i, fmt.Sprintf("u%d@example.org", i))
		}
		// Records: one per classification × audience shape; the record's
		// own org column names org 3.
		type rec struct {
			id    int64
			class sec.Classification
			aud   sec.Audience
		}
		var recs []rec
		exec("CREATE TABLE things (id BIGINT PRIMARY KEY, classification TEXT NOT NULL, owner BIGINT NOT NULL)")
		id := int64(0)
		for _, class := range sec.Classifications {
			for _, shape := range []sec.Audience{{}, {Orgs: []int64{1}}, {Users: []int64{1}}, {Orgs: []int64{2}, Users: []int64{2}}} {
				id++
				exec("INSERT INTO things (id, classification, owner) VALUES ($1, $2, 3)", id, class)
				for _, o := range shape.Orgs {
					exec("INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ('thing', $1, $2)", id, o)
				}
				for _, u := range shape.Users {
					exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('thing', $1, $2)", id, u)
				}
				shape.Orgs = append(shape.Orgs, 3)
				recs = append(recs, rec{id, class, shape})
			}
		}
		callers := map[string]access.Caller{
			"public": access.Public(),
			"user1":  {UserID: 1, OrgID: 1, Roles: []sec.Role{sec.RoleSupplier}},
			"user2":  {UserID: 2, OrgID: 2, Roles: []sec.Role{sec.RoleManufacturer}},
			"user3":  {UserID: 3, OrgID: 3, Roles: []sec.Role{sec.RoleMAP}},
			"ssc1":   {UserID: 1, OrgID: 1, Roles: []sec.Role{sec.RoleSSCMember}},
			"ssc2":   {UserID: 2, OrgID: 2, Roles: []sec.Role{sec.RoleSecretariat}},
			"admin":  {UserID: 3, OrgID: 3, Roles: []sec.Role{sec.RoleAdmin}},
			"system": access.SystemCaller("test"),
		}
		for name, c := range callers {
			var args access.Args
			rows, err := db.QueryContext(ctx, "SELECT t.id FROM things t WHERE "+c.Visible(&args, "thing", "t", "t.owner"), args...)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				got[id] = true
			}
			rows.Close()
			for _, r := range recs {
				want := c.System || sec.CanSee(c.Viewer(), r.class, r.aud)
				if got[r.id] != want {
					t.Errorf("%s on %s with audience %+v: SQL says %v, CanSee says %v", name, r.class, r.aud, got[r.id], want)
				}
			}
		}
	})
}
