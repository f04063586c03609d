package account_test

import (
	"context"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store/storetest"
)

// BenchmarkSignIn measures sign-ins with the production password hash
// (argon2id, 19 MiB, 2 passes), right and wrong: what one server's CPU
// allows, and what a failure adds now that it is counted in the database.
// SCALING.md quotes it.
//
//	METERSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench SignIn -benchtime 2s ./internal/account/
func BenchmarkSignIn(b *testing.B) {
	saved := account.DefaultArgon2
	account.DefaultArgon2 = account.Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}
	defer func() { account.DefaultArgon2 = saved }()
	for _, engine := range storetest.Engines() {
		for _, right := range []bool{true, false} {
			name := string(engine) + "/right"
			if !right {
				name = string(engine) + "/wrong"
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				db := storetest.Open(b, engine)
				sys := access.SystemCaller("bench")
				if _, err := (&party.Service{DB: db}).Create(ctx, sys, party.NewParty{Code: "SUPA", Name: "Supplier A",
					Roles: []string{"large_supplier"}, Contacts: []party.ContactInput{{Name: "Ops", Email: "ops@supa.example.org"}}}); err != nil {
					b.Fatal(err)
				}
				svc := account.NewService(db)
				const pw = "amber lantern quietly 7831"
				if _, err := svc.AddUser(ctx, sys, account.NewUser{Email: "ana@supa.example.org", Name: "Ana", Org: "SUPA",
					Roles: []string{"supplier"}, Password: pw}); err != nil {
					b.Fatal(err)
				}
				try := pw
				if !right {
					try = "wrong password!"
				}
				b.ResetTimer()
				for i := range b.N {
					// A new address each time, so the limit never stops the loop.
					_, _, err := svc.SignIn(ctx, "ana@supa.example.org", try, "198.51.100."+string(rune('0'+i%10)), "bench")
					if right && err != nil {
						b.Fatal(err)
					}
					if !right {
						b.StopTimer()
						db.Writer().Exec("DELETE FROM signin_failures WHERE scope = 'account'")
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
			})
		}
	}
}
