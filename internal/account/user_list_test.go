package account_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the accounts list pages on the shared core, stable under new
// accounts in every order; its facets filter; anyone but an administrator
// sees their own organisation's accounts only; the export has the rows the
// filters match with their roles.
func TestUserListPagesStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin").Caller("session", nil)
		n := 0
		add := func() {
			org, orgRole, role := "ARDM", "manufacturer", "manufacturer"
			if n%2 == 1 {
				org, orgRole, role = "SUPA", "large_supplier", "supplier"
			}
			addUser(t, db, org, orgRole, fmt.Sprintf("%c%02d@%s.example", 'z'-n%26, n, strings.ToLower(org)), role)
			n++
		}
		for range 7 {
			add()
		}
		fetch := func(r listing.Request) (listing.Page[account.User], error) { return s.UsersPage(ctx, admin, r) }
		insert := func() {
			if n < 25 {
				add()
			}
		}
		listingtest.Stable(t, account.UserSpec, nil, 3, fetch, func(u account.User) int64 { return u.ID }, insert)

		page := func(q url.Values) listing.Page[account.User] {
			t.Helper()
			r, err := account.UserSpec.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.UsersPage(ctx, admin, r)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		sup := page(url.Values{"role": {"supplier"}, "limit": {"500"}})
		if sup.Total == 0 || sup.Total != int64(len(sup.Items)) {
			t.Fatalf("role=supplier: %d of %d", len(sup.Items), sup.Total)
		}
		for _, u := range sup.Items {
			if u.OrgCode != "SUPA" || len(u.Roles) != 1 || u.Roles[0] != "supplier" {
				t.Fatalf("role=supplier gave %+v", u)
			}
		}
		if p := page(url.Values{"org": {"ardm"}, "q": {"Z00@"}}); p.Total != 1 || p.Items[0].Email != "z00@ardm.example" {
			t.Fatalf("org=ardm q=Z00@: %+v", p)
		}
		ana := sup.Items[0]
		if err := s.Disable(ctx, admin, ana.Email); err != nil {
			t.Fatal(err)
		}
		if p := page(url.Values{"disabled": {"true"}}); p.Total != 1 || p.Items[0].Email != ana.Email {
			t.Fatalf("disabled=true: %+v", p)
		}
		if p := page(url.Values{"second_factor": {"true"}}); p.Total != 0 {
			t.Fatalf("second_factor=true: %d", p.Total)
		}
		if _, err := account.UserSpec.Parse(url.Values{"role": {"king"}}); err == nil || !strings.Contains(err.Error(), "role") {
			t.Fatalf("role=king: %v", err)
		}

		// A manufacturer sees its own organisation's accounts only.
		mfr, err := account.FindUser(ctx, db, "z00@ardm.example")
		if err != nil {
			t.Fatal(err)
		}
		all, _ := account.UserSpec.Parse(url.Values{"limit": {"500"}})
		own, err := s.UsersPage(ctx, mfr.Caller("session", nil), all)
		if err != nil || own.Total == 0 {
			t.Fatalf("own organisation: %+v %v", own, err)
		}
		for _, u := range own.Items {
			if u.OrgCode != "ARDM" {
				t.Fatalf("a manufacturer sees %s of %s", u.Email, u.OrgCode)
			}
		}

		r, _ := account.UserSpec.Parse(url.Values{"role": {"supplier"}, "format": {"csv"}})
		var buf bytes.Buffer
		w, err := listing.NewWriter(&buf, "csv", account.UserCSVHeader)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ExportUsers(ctx, admin, r, w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if int64(len(lines)-1) != sup.Total || lines[0] != strings.Join(account.UserCSVHeader, ",") || !strings.Contains(lines[1], ",supplier,") {
			t.Fatalf("export: %d lines for %d accounts:\n%s", len(lines), sup.Total, buf.String())
		}
	})
}

// Issue 15: adding a user is audited and queues the link for the user in the same transaction; the
// account signs in with no password until the link is used.
func TestAddUserSendsTheLinkAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin").Caller("session", nil)
		addUser(t, db, "ARDM", "manufacturer", "ana@ardm.example", "manufacturer")
		u, err := s.AddUser(ctx, admin, account.NewUser{Email: "Bo@ARDM.example", Name: "Bo", Org: "ardm", Roles: []string{"manufacturer"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(auditActions(t, db, u.Email), " "); got != "user.add" {
			t.Fatalf("audit of %s: %q", u.Email, got)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT count(*) FROM delivery_jobs WHERE kind = 'user.invite' AND email = $1", u.Email).Scan(&n)
		if n != 1 {
			t.Fatalf("%d invitations queued", n)
		}
		for _, pw := range []string{"", "!reset"} {
			if _, _, err := s.SignIn(ctx, u.Email, pw, "10.0.0.9", "test"); err == nil {
				t.Fatalf("signed in with %q before choosing a password", pw)
			}
		}
		if _, _, err := s.AddUserHandingLink(ctx, admin, account.NewUser{Email: "cy@ardm.example", Name: "Cy", Org: "ARDM", Roles: []string{"manufacturer"}}); err == nil {
			t.Fatal("an administrator was handed a new user's link")
		}
	})
}
