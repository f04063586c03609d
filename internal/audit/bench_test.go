package audit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// BenchmarkAuditedWrites measures the write ceiling of one database: every
// change records an audit entry, and the entry takes the chain's head row,
// so audited transactions commit one after another however many servers
// and connections make them. SCALING.md quotes it.
//
//	METERSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench AuditedWrites -benchtime 3s ./internal/audit/
func BenchmarkAuditedWrites(b *testing.B) {
	for _, engine := range storetest.Engines() {
		for _, c := range []struct {
			writers int
			audited bool
		}{{1, true}, {16, true}, {1, false}, {16, false}} {
			writers := c.writers
			b.Run(fmt.Sprintf("%s/audited=%v/writers=%d", engine, c.audited, writers), func(b *testing.B) {
				db := storetest.Open(b, engine)
				ctx := context.Background()
				var n atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range writers {
					wg.Go(func() {
						for {
							i := n.Add(1)
							if i > int64(b.N) {
								return
							}
							if err := db.Write(ctx, access.SystemCaller("bench"), func(tx *store.Tx) error {
								if !c.audited {
									// The baseline: a one-row write that takes no shared row.
									_, err := tx.ExecContext(ctx, "INSERT INTO signin_failures (scope, key, at) VALUES ('bench', $1, $2)", fmt.Sprint(i), tx.Now)
									return err
								}
								return Record(ctx, tx, "thing.change", "thing", i, map[string]int64{"i": i})
							}); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}
}
