package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func testKey(t testing.TB) *secrets.Box {
	b, err := secrets.Parse(secrets.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storedSecrets(t testing.TB, db *store.DB, id int64) (secret, old string) {
	t.Helper()
	if err := db.QueryRowContext(context.Background(), "SELECT secret, old_secret FROM webhook_endpoints WHERE id = $1", id).Scan(&secret, &old); err != nil {
		t.Fatal(err)
	}
	return secret, old
}

// Issue 14 (11): webhook signing secrets were stored in the clear. With a
// key they are sealed, and the worker still signs with the real secret,
// before and after a rotation of the endpoint's secret.
func TestWebhookSecretsSealedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key := testKey(t)
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		svc := &Service{DB: db, Secrets: key}
		ep, secret, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := storedSecrets(t, db, ep.ID); stored == secret || strings.Contains(stored, secret) || secrets.KeyID(stored) != key.ID() {
			t.Fatalf("the secret is stored as %q", stored)
		}
		hooks.setSecret(secret)
		cfg := testConfig(t, nil, hooks)
		cfg.Secrets = key
		runWorker(t, db, cfg)
		if err := svc.PingEndpoint(ctx, alice, ep.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the ping", func() bool { _, n := hooks.received(); return n == 1 })
		next, err := svc.RotateSecret(ctx, alice, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s, old := storedSecrets(t, db, ep.ID); !secrets.IsSealed(s) || !secrets.IsSealed(old) {
			t.Fatalf("after rotation: %q %q", s, old)
		}
		hooks.setSecret(next)
		if err := svc.PingEndpoint(ctx, alice, ep.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the second ping", func() bool { _, n := hooks.received(); return n == 2 })
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		if hooks.badSigs != 0 {
			t.Errorf("%d calls had a bad signature", hooks.badSigs)
		}
	})
}

// ResealSecrets seals secrets stored in the clear, rotates them to a new
// key given the old, and changes nothing when a secret does not open.
func TestResealWebhookSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		addOrg(t, db, "SUPA", "large_supplier")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		plain := &Service{DB: db}
		ep, secret, err := plain.AddEndpoint(ctx, alice, NewEndpoint{URL: "https://hooks.supa.example/metersec"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plain.RotateSecret(ctx, alice, ep.ID); err != nil {
			t.Fatal(err)
		}
		if s, _ := storedSecrets(t, db, ep.ID); secrets.IsSealed(s) {
			t.Fatal("sealed without a key")
		}
		k1, k2 := testKey(t), testKey(t)
		if _, err := ResealSecrets(ctx, db, alice, k1); err == nil {
			t.Fatal("a user resealed secrets")
		}
		// Without a key and nothing sealed: nothing to do.
		if n, err := ResealSecrets(ctx, db, system, nil); err != nil || n != 0 {
			t.Fatalf("check without a key: %d %v", n, err)
		}
		if n, err := ResealSecrets(ctx, db, system, k1); err != nil || n != 2 {
			t.Fatalf("seal: %d %v", n, err)
		}
		if n, err := ResealSecrets(ctx, db, system, k1); err != nil || n != 0 {
			t.Fatalf("seal again: %d %v", n, err)
		}
		// A server without the key refuses, naming the problem.
		if _, err := ResealSecrets(ctx, db, system, nil); err == nil || !strings.Contains(err.Error(), k1.ID()) {
			t.Fatalf("no key: %v", err)
		}
		// Rotation without the old key changes nothing.
		before, _ := storedSecrets(t, db, ep.ID)
		if _, err := ResealSecrets(ctx, db, system, k2); err == nil {
			t.Fatal("rotated without the old key")
		}
		if after, _ := storedSecrets(t, db, ep.ID); after != before {
			t.Fatal("a failed rotation changed a secret")
		}
		if n, err := ResealSecrets(ctx, db, system, k2, k1); err != nil || n != 2 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		s, old := storedSecrets(t, db, ep.ID)
		if secrets.KeyID(s) != k2.ID() || secrets.KeyID(old) != k2.ID() {
			t.Fatalf("after rotation: %q %q", s, old)
		}
		if got, err := k2.Open(old, secrets.Webhook); err != nil || got != secret {
			t.Fatalf("the old secret after rotation: %v", err)
		}
	})
}
