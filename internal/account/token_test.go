package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/secrets"
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

// Issue 14 (11): TOTP seeds were stored in the clear. With a key they are
// sealed, through enrolment, sign-in and token creation, and reseal under a
// new key given the old.
func TestTOTPSecretsSealedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		k1, _ := secrets.Parse(secrets.GenerateKey())
		k2, _ := secrets.Parse(secrets.GenerateKey())
		s := account.NewService(db)
		s.Secrets = k1
		u := addUser(t, db, "SSC", "ssc", "chair@ssc.example.org", "ssc_member")
		cookie, _, err := s.SignIn(ctx, u.Email, "correct horse battery", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		enr, err := s.BeginEnrolment(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		var pending string
		db.QueryRowContext(ctx, "SELECT secret FROM mfa_pending WHERE user_id = $1", u.ID).Scan(&pending)
		if pending == enr.Secret || secrets.KeyID(pending) != k1.ID() {
			t.Fatalf("pending seed stored as %q", pending)
		}
		// Reloading the page offers the same seed.
		if again, err := s.BeginEnrolment(ctx, cookie); err != nil || again.Secret != enr.Secret {
			t.Fatalf("enrolment again: %v", err)
		}
		code, _ := account.CurrentCode(enr.Secret, now)
		if cookie, err = s.CompleteEnrolment(ctx, cookie, code, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		stored := func() string {
			var v string
			db.QueryRowContext(ctx, "SELECT mfa_secret FROM users WHERE id = $1", u.ID).Scan(&v)
			return v
		}
		if v := stored(); v == enr.Secret || secrets.KeyID(v) != k1.ID() {
			t.Fatalf("seed stored as %q", v)
		}
		// Sign in again with the sealed seed.
		now = now.Add(30 * time.Second)
		cookie2, _, err := s.SignIn(ctx, u.Email, "correct horse battery", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		code, _ = account.CurrentCode(enr.Secret, now)
		if _, err := s.VerifyMFA(ctx, cookie2, code, "127.0.0.1"); err != nil {
			t.Fatalf("second factor with a sealed seed: %v", err)
		}
		// Without the key, the seed cannot be used: an internal error, not
		// a silent pass.
		now = now.Add(30 * time.Second)
		bare := account.NewService(db)
		cookie3, _, _ := bare.SignIn(ctx, u.Email, "correct horse battery", "127.0.0.1", "test")
		code, _ = account.CurrentCode(enr.Secret, now)
		if _, err := bare.VerifyMFA(ctx, cookie3, code, "127.0.0.1"); err == nil {
			t.Fatal("passed a sealed second factor without the key")
		}
		// Rotate to k2: the old key is needed, then k2 alone works.
		if _, err := s.ResealSecrets(ctx, system, k2); err == nil {
			t.Fatal("rotated without the old key")
		}
		if n, err := s.ResealSecrets(ctx, system, k2, k1); err != nil || n != 1 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		if secrets.KeyID(stored()) != k2.ID() {
			t.Fatal("not under the new key")
		}
		s.Secrets = k2
		if _, err := s.VerifyMFA(ctx, cookie3, code, "127.0.0.1"); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		// Plain seeds (set before a key was given) are sealed by a reseal.
		other := addUser(t, db, "SSC", "ssc", "member@ssc.example.org", "ssc_member")
		if err := bare.SetTOTPSecret(ctx, system, other.ID, "JBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ResealSecrets(ctx, system, k2); err != nil || n != 1 {
			t.Fatalf("seal plain seeds: %d %v", n, err)
		}
	})
}
