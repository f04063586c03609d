package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/account"
	_ "github.com/metersec/metersec/internal/delivery" // the outbox of the reset's email
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func auditActions(t *testing.T, db *store.DB, object string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT action FROM audit_log WHERE object_type = 'user' AND object_id = $1 ORDER BY seq", object)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		out = append(out, a)
	}
	return out
}

// Issue 15 (7): disable can be undone; an administrator cannot lock
// themselves out by disabling their own account or dropping their own
// administrator role.
func TestEnableUndoesDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin")
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		ac := admin.Caller("session", nil)
		if err := s.Enable(ctx, ana.Caller("session", nil), admin.Email); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("a manufacturer enabled an account: %v", err)
		}
		if err := s.Disable(ctx, ac, admin.Email); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("an administrator disabled themselves: %v", err)
		}
		if err := s.Disable(ctx, ac, ana.Email); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "test"); err == nil {
			t.Fatal("a disabled account signed in")
		}
		if err := s.Enable(ctx, ac, ana.Email); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "test"); err != nil {
			t.Fatalf("enabled, yet: %v", err)
		}
		if got := strings.Join(auditActions(t, db, ana.Email), " "); !strings.Contains(got, "user.disable user.enable user.signin") {
			t.Fatalf("audit: %s", got)
		}
		if _, err := s.SetRoles(ctx, ac, admin.Email, account.RolesChange{Roles: []sec.Role{"ssc_member"}}); err == nil {
			t.Fatal("an administrator dropped their own administrator role")
		}
	})
}

// Issue 15 (7): roles are edited within what the organisation may hold; a
// change that makes a second factor required ends the user's sessions.
func TestSetRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin")
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		ac := admin.Caller("session", nil)
		if _, err := s.SetRoles(ctx, ac, ana.Email, account.RolesChange{Roles: []sec.Role{"supplier"}}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("a manufacturer's user became a supplier: %v", err)
		}
		if _, err := s.SetRoles(ctx, ac, ana.Email, account.RolesChange{}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("no roles accepted: %v", err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		u, err := s.SetRoles(ctx, ac, ana.Email, account.RolesChange{Roles: []sec.Role{"manufacturer"}, RedCleared: true})
		if err != nil || !u.RedCleared || !u.MFARequired {
			t.Fatalf("%+v %v", u, err)
		}
		ss, err := s.Sessions(ctx, ac, ana.Email, "")
		if err != nil || len(ss) != 0 {
			t.Fatalf("sessions after a second factor became required: %+v %v", ss, err)
		}
	})
}

// Issue 15 (7) with issue 14 (1): a reset makes the old password and
// authenticator useless and sends the user, and only the user, a link; the
// administrator's answer carries no secret; the link works once and leads
// to setting up a new authenticator.
func TestResetCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin")
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		bo := addUser(t, db, "ARDM", "manufacturer", "bo@ardent.example.org", "manufacturer")
		ac := admin.Caller("session", nil)
		if _, err := s.SetRoles(ctx, ac, ana.Email, account.RolesChange{Roles: []sec.Role{"manufacturer"}, RedCleared: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTOTPSecret(ctx, system, ana.ID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetCredentials(ctx, bo.Caller("session", nil), ana.Email); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("a colleague reset a password: %v", err)
		}
		if _, err := s.ResetCredentials(ctx, ac, admin.Email); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("an administrator reset their own password: %v", err)
		}
		rs, err := s.ResetCredentials(ctx, ac, ana.Email)
		if err != nil || rs.SessionsEnded != 1 {
			t.Fatalf("%+v %v", rs, err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "test"); err == nil {
			t.Fatal("the old password still works")
		}
		var to, link string
		if err := db.QueryRowContext(ctx, "SELECT email, link FROM delivery_jobs WHERE kind = 'user.reset'").Scan(&to, &link); err != nil {
			t.Fatal(err)
		}
		if to != ana.Email || !strings.HasPrefix(link, "/signin/reset?code=") {
			t.Fatalf("sent %q to %s", link, to)
		}
		code := strings.TrimPrefix(link, "/signin/reset?code=")
		if email, err := s.CheckReset(ctx, code); err != nil || email != ana.Email {
			t.Fatalf("check: %s %v", email, err)
		}
		if _, _, err := s.CompleteReset(ctx, code+"x", "a new long passphrase here", "10.0.0.1", "test"); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("a wrong code: %v", err)
		}
		if _, _, err := s.CompleteReset(ctx, code, "aaaaaaaaaaaa", "10.0.0.1", "test"); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("a weak password: %v", err)
		}
		_, sess, err := s.CompleteReset(ctx, code, "a new long passphrase here", "10.0.0.1", "test")
		if err != nil || !sess.NeedsEnrolment() {
			t.Fatalf("%+v %v", sess, err)
		}
		if _, _, err := s.CompleteReset(ctx, code, "another long passphrase", "10.0.0.1", "test"); err == nil {
			t.Fatal("the link worked twice")
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "a new long passphrase here", "10.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(auditActions(t, db, ana.Email), " "); !strings.Contains(got, "user.reset user.reset.complete") {
			t.Fatalf("audit: %s", got)
		}
	})
}

// Issue 15 (7): the sessions of an account are seen and ended by their
// owner and the administrators; to anyone else they answer as an unknown
// account does.
func TestSessionsSignOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		admin := addUser(t, db, "OPS", "operator", "root@ops.example", "admin")
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		bo := addUser(t, db, "ARDM", "manufacturer", "bo@ardent.example.org", "manufacturer")
		secret, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.1", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SignIn(ctx, ana.Email, "correct horse battery", "10.0.0.2", "Chromium"); err != nil {
			t.Fatal(err)
		}
		ss, err := s.Sessions(ctx, ana.Caller("session", nil), ana.Email, secret)
		if err != nil || len(ss) != 2 {
			t.Fatalf("%+v %v", ss, err)
		}
		cur := 0
		for _, si := range ss {
			if si.Current {
				cur++
				if si.Addr != "10.0.0.1" || si.UserAgent != "Firefox" {
					t.Fatalf("current: %+v", si)
				}
			}
		}
		if cur != 1 {
			t.Fatalf("%d current sessions", cur)
		}
		_, errOther := s.Sessions(ctx, bo.Caller("session", nil), ana.Email, "")
		_, errNobody := s.Sessions(ctx, bo.Caller("session", nil), "nobody@ardent.example.org", "")
		if errs.CodeOf(errOther) != errs.NotFound || errOther.Error() != strings.Replace(errNobody.Error(), "nobody@", "ana@", 1) {
			t.Fatalf("another's sessions: %v / %v", errOther, errNobody)
		}
		if _, err := s.EndSessions(ctx, bo.Caller("session", nil), ana.Email); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a colleague signed ana out: %v", err)
		}
		n, err := s.EndSessions(ctx, admin.Caller("session", nil), ana.Email)
		if err != nil || n != 2 {
			t.Fatalf("%d %v", n, err)
		}
		if _, err := s.Authenticate(ctx, secret); err == nil {
			t.Fatal("a session survived signing out everywhere")
		}
	})
}
