package usersystem_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/usersystem"
)

// BenchmarkForCoverage is what coverage adds to each report: the User
// Systems of every Supplier on a day with their G3.20(a) statuses. Two
// Suppliers with 100 User Systems each (far more than any User has), two
// manufacturers each, half linked to a contract; read as the SSC, who sees
// them all, and as one Supplier's registrant.
func BenchmarkForCoverage(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, engine)
			f := setupTB(b, db, nil)
			for i := range 100 {
				for _, c := range []struct {
					who  access.Caller
					arr  string
					user string
				}{{f.supA, "A-MANA", "SUPA"}, {f.supB, "B-MANA", "SUPB"}} {
					arr := c.arr
					if i%2 == 1 {
						arr = ""
					}
					if _, err := f.svc.Create(ctx, c.who, usersystem.Input{Name: fmt.Sprintf("System %d", i), InServiceFrom: "2025-01-01",
						Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Arrangement: arr}, {Manufacturer: "MANB"}}}); err != nil {
						b.Fatal(err)
					}
				}
			}
			day := sec.MustParseDate("2026-06-01")
			orgs := []int64{f.supA.OrgID, f.supB.OrgID}
			for _, who := range []struct {
				name string
				c    access.Caller
				want int
			}{{"ssc", f.ssc, 200}, {"supplier", f.supA, 100}} {
				b.Run(who.name, func(b *testing.B) {
					for b.Loop() {
						got, err := readCoverage(ctx, db, who.c, orgs, day)
						if err != nil || got != who.want {
							b.Fatalf("%d systems, %v", got, err)
						}
					}
				})
			}
		})
	}
}

func readCoverage(ctx context.Context, db *store.DB, c access.Caller, orgs []int64, d sec.Date) (int, error) {
	n := 0
	err := db.Read(ctx, c, func(tx *store.Tx) error {
		m, err := usersystem.ForCoverage(ctx, tx, c, orgs, d)
		for _, ss := range m {
			n += len(ss)
		}
		return err
	})
	return n, err
}
