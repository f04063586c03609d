package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// seed writes n audit entries and checks the chain holds.
func seed(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
			return audit.Record(ctx, tx, "thing.change", "thing", i, map[string]int{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rep, err := audit.Verify(ctx, db)
	if err != nil || !rep.OK() || rep.Checked != int64(n) {
		t.Fatalf("fresh chain: %+v %v", rep, err)
	}
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Writer().Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(t *testing.T, db *store.DB)
		seq     int64
		because string
	}{
		{"edited", func(t *testing.T, db *store.DB) {
			exec(t, db, "UPDATE audit_log SET action = 'thing.delete' WHERE seq = 3")
		}, 3, "edited"},
		{"edited digest", func(t *testing.T, db *store.DB) {
			exec(t, db, "UPDATE audit_log SET digest = 'aa' WHERE seq = 5")
		}, 5, "edited"},
		{"deleted in the middle", func(t *testing.T, db *store.DB) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 4")
		}, 4, "deleted"},
		{"deleted and renumbered", func(t *testing.T, db *store.DB) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 4")
			for s := 5; s <= 6; s++ {
				exec(t, db, "UPDATE audit_log SET seq = $1 WHERE seq = $2", s-1, s)
			}
			exec(t, db, "UPDATE audit_head SET seq = 5")
		}, 4, "link"},
		{"deleted at the end", func(t *testing.T, db *store.DB) {
			exec(t, db, "DELETE FROM audit_log WHERE seq = 6")
		}, 6, "end"},
		{"reordered", func(t *testing.T, db *store.DB) {
			exec(t, db, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
			exec(t, db, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
			exec(t, db, "UPDATE audit_log SET seq = 3 WHERE seq = 100")
		}, 2, "link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				seed(t, db, 6)
				tc.tamper(t, db)
				rep, err := audit.Verify(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() {
					t.Fatalf("tampering went unnoticed: %+v", rep)
				}
				if rep.Broken.Seq != tc.seq || !strings.Contains(rep.Broken.Reason, tc.because) {
					t.Fatalf("broken at %d (%s), want %d mentioning %q", rep.Broken.Seq, rep.Broken.Reason, tc.seq, tc.because)
				}
			})
		})
	}
}

func TestRecordRollsBackWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db, 2)
		db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
			audit.Record(ctx, tx, "thing.change", "thing", 9, nil)
			return context.Canceled
		})
		rep, err := audit.Verify(ctx, db)
		if err != nil || !rep.OK() || rep.Checked != 2 {
			t.Fatalf("after a rolled-back change: %+v %v", rep, err)
		}
	})
}
