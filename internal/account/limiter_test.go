package account_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

// clock is one time for several database handles, as servers sharing a
// database share the real clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestSignInLimitIsSharedByServers: two services on two handles of one
// database (two servers) count the same failures, so five failures spread
// over both lock the account on both, until the oldest of the five is 15
// minutes old.
func TestSignInLimitIsSharedByServers(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			var dbs [2]*store.DB
			clk := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
			for i := range dbs {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				db.Now = clk.now
				dbs[i] = db
			}
			if _, err := dbs[0].Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			sys := access.SystemCaller("test")
			if _, err := (&party.Service{DB: dbs[0]}).Create(ctx, sys, party.NewParty{Code: "SUPA", Name: "Supplier A",
				Roles: []string{"large_supplier"}, Contacts: []party.ContactInput{{Name: "Ops", Email: "ops@supa.example.org"}}}); err != nil {
				t.Fatal(err)
			}
			const email, password = "ana@supa.example.org", "amber lantern quietly 7831"
			if _, err := account.NewService(dbs[0]).AddUser(ctx, sys, account.NewUser{Email: email, Name: "Ana", Org: "SUPA",
				Roles: []string{"supplier"}, Password: password}); err != nil {
				t.Fatal(err)
			}
			servers := [2]*account.Service{account.NewService(dbs[0]), account.NewService(dbs[1])}
			signIn := func(i int, pw string) error {
				_, _, err := servers[i].SignIn(ctx, email, pw, "192.0.2.1", "test")
				return err
			}
			start := clk.now()
			for i := range 5 {
				clk.set(start.Add(time.Duration(i) * time.Second))
				if err := signIn(i%2, "wrong password"); !errs.Is(err, errs.Unauthenticated) {
					t.Fatalf("failure %d at server %d: %v", i+1, i%2, err)
				}
			}
			for i := range servers {
				if err := signIn(i, password); !errs.Is(err, errs.RateLimited) {
					t.Fatalf("server %d after five failures spread over both: %v, want rate limited even with the right password", i, err)
				}
			}
			// The window is 15 minutes from the oldest of the five: a
			// microsecond before, still locked; at it, open again.
			clk.set(start.Add(15*time.Minute - time.Microsecond))
			if err := signIn(1, password); !errs.Is(err, errs.RateLimited) {
				t.Fatalf("just inside the window: %v", err)
			}
			clk.set(start.Add(15 * time.Minute))
			if err := signIn(1, password); err != nil {
				t.Fatalf("once the oldest failure left the window: %v", err)
			}
			// Success forgets the account's failures, on every server.
			if err := signIn(0, "wrong password"); !errs.Is(err, errs.Unauthenticated) {
				t.Fatal(err)
			}
			if err := signIn(0, password); err != nil {
				t.Fatalf("after one fresh failure: %v", err)
			}
		})
	}
}
