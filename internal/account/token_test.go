package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

var system = access.SystemCaller("test")

func addUser(t *testing.T, db *store.DB, org, orgRole, email, role string) account.User {
	t.Helper()
	ctx := context.Background()
	ps := &party.Service{DB: db}
	if _, err := ps.Get(ctx, system, org); err != nil {
		if _, err := ps.Create(ctx, system, party.NewParty{Code: org, Name: org + " Ltd", Roles: []string{orgRole}}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := account.NewService(db).AddUser(ctx, system, account.NewUser{Email: email, Name: email, Org: org,
		Roles: []string{role}, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// oldToken writes a token the way the code before migration 0701 did, with
// its token.create audit record made by actor.
func oldToken(t *testing.T, db *store.DB, actor access.Caller, userID int64, name string) int64 {
	t.Helper()
	var id int64
	err := db.Write(context.Background(), actor, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(context.Background(), `INSERT INTO api_tokens (user_id, name, prefix, hash, scopes, created_at, expires_at)
			VALUES ($1, $2, 'mst_abcdef', $3, 'read', $4, $5) RETURNING id`, userID, name, []byte(name), tx.Now, tx.Now.Add(time.Hour)).Scan(&id); err != nil {
			return err
		}
		return audit.Record(context.Background(), tx, "token.create", "token", id, map[string]any{"name": name})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Issue 14 (1): migration 0701 revokes the tokens that their own user cannot
// be shown, by the audit trail, to have made.
func TestMigrationRevokesImpersonatingTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		admin := addUser(t, db, "OPS", "operator", "admin@ops.example.org", "admin")
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		own := oldToken(t, db, ana.Caller("session", nil), ana.ID, "own")
		byAdmin := oldToken(t, db, admin.Caller("session", nil), ana.ID, "by admin")
		byOperator := oldToken(t, db, access.SystemCaller("cli:root"), ana.ID, "by operator")
		adminsOwn := oldToken(t, db, admin.Caller("token", []string{"read"}), admin.ID, "admin's own")
		// Run 0701 again, as on a database that had these tokens when it
		// was upgraded.
		if _, err := db.Writer().Exec("DELETE FROM schema_migrations WHERE version = 701"); err != nil {
			t.Fatal(err)
		}
		if done, err := db.Migrate(ctx, nil); err != nil || len(done) != 1 || done[0] != 701 {
			t.Fatalf("migrate: %v %v", done, err)
		}
		ts, err := account.NewService(db).Tokens(ctx, system, "")
		if err != nil {
			t.Fatal(err)
		}
		revoked := map[int64]bool{}
		for _, tk := range ts {
			revoked[tk.ID] = tk.RevokedAt != nil
			if tk.RevokedAt != nil && time.Since(*tk.RevokedAt) > time.Hour {
				t.Errorf("token %d revoked at %v", tk.ID, tk.RevokedAt)
			}
		}
		want := map[int64]bool{own: false, byAdmin: true, byOperator: true, adminsOwn: false}
		for id, w := range want {
			if revoked[id] != w {
				t.Errorf("token %d revoked %v, want %v", id, revoked[id], w)
			}
		}
		// A revoked token no longer authenticates (the secret is its name).
		if _, err := account.NewService(db).AuthenticateToken(ctx, "mst_x"); err == nil {
			t.Error("a made-up token authenticated")
		}
	})
}

// The command line's path: the user's own password (and code) make a token
// for that user only.
func TestCreateTokenSignedIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := account.NewService(db)
		ana := addUser(t, db, "ARDM", "manufacturer", "ana@ardent.example.org", "manufacturer")
		addUser(t, db, "ARDM", "manufacturer", "bo@ardent.example.org", "manufacturer")
		if _, _, err := s.CreateTokenSignedIn(ctx, "ana@ardent.example.org", "wrong password!", "", account.NewToken{Name: "x"}); err == nil {
			t.Fatal("a wrong password made a token")
		}
		if _, _, err := s.CreateTokenSignedIn(ctx, "ana@ardent.example.org", "correct horse battery", "", account.NewToken{Name: "x", User: "bo@ardent.example.org"}); err == nil {
			t.Fatal("ana made a token for bo")
		}
		_, tk, err := s.CreateTokenSignedIn(ctx, "ana@ardent.example.org", "correct horse battery", "", account.NewToken{Name: "x"})
		if err != nil || tk.User != ana.Email {
			t.Fatalf("own token: %+v %v", tk, err)
		}
		// With an authenticator, the code is needed too.
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := s.SetTOTPSecret(ctx, system, ana.ID, secret); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateTokenSignedIn(ctx, "ana@ardent.example.org", "correct horse battery", "", account.NewToken{Name: "x"}); err == nil {
			t.Fatal("no code, yet a token")
		}
		code, _ := account.CurrentCode(secret, db.Now())
		if _, _, err := s.CreateTokenSignedIn(ctx, "ana@ardent.example.org", "correct horse battery", code, account.NewToken{Name: "x"}); err != nil {
			t.Fatalf("with the code: %v", err)
		}
	})
}
