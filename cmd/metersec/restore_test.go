package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// snapshot is the state of the database between two commits of the one
// writer: what a backup reading one consistent snapshot must hold, found by
// the audit head it records.
type snapshot struct {
	Tables map[string]int64
	Estate estate.VerifyReport
}

// TestBackupOfABusyDatabaseRestores backs up a database while a writer keeps
// importing changes of supplier, restores each backup into a new database,
// and checks that the restored database is exactly one state the writer
// left between two commits: the same audit head, audit verify and estate
// verify clean with the same figures, and every table's row count the same.
func TestBackupOfABusyDatabaseRestores(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dsn := storetest.DSN(t, engine)
			world := filepath.Join(dir, "world")
			for _, args := range [][]string{
				{"generate", "--devices", "3000", "--seed", "7", "--out", world},
				{"migrate", "--db", dsn},
				{"import", "parties", filepath.Join(world, "parties.csv"), "--db", dsn},
				{"import", "catalogue", filepath.Join(world, "catalogue.csv"), "--db", dsn},
				{"import", "devices", filepath.Join(world, "devices.csv"), "--db", dsn},
			} {
				if code, out, errOut := run(t, "", nil, args...); code != 0 {
					t.Fatalf("%v: %d %s %s", args, code, out, errOut)
				}
			}
			churn, err := os.ReadFile(filepath.Join(world, "churn.csv"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(churn)), "\n")
			header, rows := lines[0], lines[1:]

			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			svc := estate.NewService(db)
			var mu sync.Mutex
			states := map[int64]snapshot{}
			record := func() {
				var head int64
				var s snapshot
				if err := db.QueryRowContext(ctx, "SELECT seq FROM audit_head").Scan(&head); err != nil {
					t.Error(err)
					return
				}
				if s.Tables, err = db.RowCounts(ctx, db); err != nil {
					t.Error(err)
					return
				}
				if s.Estate, err = svc.Verify(ctx, access.SystemCaller("test")); err != nil || !s.Estate.OK() {
					t.Errorf("estate verify of the source: %+v %v", s.Estate, err)
				}
				mu.Lock()
				states[head] = s
				mu.Unlock()
			}
			record()

			// The one writer: four changes of supplier per transaction, and
			// the state recorded after each commit (nothing else writes).
			// commits counts the writer's rounds (commit, then its state
			// recorded); landed counts the commits alone, as each returns, so
			// a backup that a commit went through is seen as overlapping even
			// when the recording (an estate verify) is still running.
			var commits, landed atomic.Int64
			var stop atomic.Bool
			done := make(chan struct{})
			defer func() { stop.Store(true); <-done }()
			go func() {
				defer close(done)
				for i := 0; i < len(rows) && !stop.Load(); i += 4 {
					chunk := header + "\n" + strings.Join(rows[i:min(i+4, len(rows))], "\n") + "\n"
					if _, err := svc.ImportChurn(ctx, access.SystemCaller("test"), strings.NewReader(chunk), estate.ImportOptions{}); err != nil {
						t.Errorf("churn rows %d–%d: %v", i, i+4, err)
						return
					}
					landed.Add(1)
					record()
					commits.Add(1)
				}
			}()
			var backups []string
			overlapped := 0
			// On a quiet machine a backup of this small database is quick
			// beside a round of the writer, so a backup meets a commit by
			// chance: up to 16 tries, a few commits apart, while rows last.
		tries:
			for i := 0; i < 16 && (len(backups) < 2 || overlapped == 0); i++ {
				for commits.Load() < int64(5+4*i) {
					select {
					case <-done:
						if len(backups) < 2 {
							t.Fatalf("the writer finished before backup %d", i)
						}
						break tries
					case <-time.After(5 * time.Millisecond):
					}
				}
				out := filepath.Join(dir, fmt.Sprintf("backup-%d", i))
				before := landed.Load()
				if code, o, e := run(t, "", nil, "backup", "--db", dsn, "--out", out); code != 0 {
					t.Fatalf("backup: %d %s %s", code, o, e)
				}
				if landed.Load() > before {
					overlapped++
				}
				backups = append(backups, out)
			}
			<-done
			if overlapped == 0 {
				t.Fatalf("no backup overlapped a commit in %d tries: the test proves nothing", len(backups))
			}
			t.Logf("%d commits; %d backups, %d of them while commits went on", commits.Load(), len(backups), overlapped)

			for i, b := range backups {
				target := restoreTarget(t, engine, dsn, i)
				code, out, errOut := run(t, "", nil, "restore", "--from", b, "--db", target, "--format", "json")
				if code != 0 {
					t.Fatalf("restore %s: %d %s %s", b, code, out, errOut)
				}
				var rep restoreReport
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				want, ok := states[rep.Audit.Head]
				if !ok {
					t.Fatalf("backup %d restored at audit head %d, which is no state between commits", i, rep.Audit.Head)
				}
				if !rep.Audit.OK() || rep.Audit.Checked != rep.Audit.Head {
					t.Errorf("backup %d: audit verify %+v", i, rep.Audit)
				}
				if !reflect.DeepEqual(want.Estate, rep.Estate) {
					t.Errorf("backup %d: estate verify %+v, the snapshot's %+v", i, rep.Estate, want.Estate)
				}
				if !reflect.DeepEqual(want.Tables, rep.Tables) {
					t.Errorf("backup %d: row counts %v, the snapshot's %v", i, rep.Tables, want.Tables)
				}
				// The CLI's own checks agree.
				for _, args := range [][]string{{"audit", "verify"}, {"estate", "verify"}} {
					if code, out, errOut := run(t, "", nil, append(args, "--db", target)...); code != 0 {
						t.Errorf("%v on the restored backup %d: %d %s %s", args, i, code, out, errOut)
					}
				}
				// Never into a database that holds one already.
				code, _, errOut = run(t, "", nil, "restore", "--from", b, "--db", target)
				if code != 1 || !strings.Contains(errOut, "already") {
					t.Errorf("restore over a restored database: %d %q", code, errOut)
				}
			}
			notABackup := filepath.Join(dir, "not-a-backup")
			os.WriteFile(notABackup, []byte("hello"), 0o600)
			code, _, errOut := run(t, "", nil, "restore", "--from", notABackup, "--db", restoreTarget(t, engine, dsn, 99))
			if code != 1 || !strings.Contains(errOut, "not a") {
				t.Errorf("restore of a file that is no backup: %d %q", code, errOut)
			}
		})
	}
}

// restoreTarget is an empty place to restore into: a new SQLite file, or a
// new PostgreSQL database with the source's schema name, since a pg_dump
// backup restores into the schema it came from.
func restoreTarget(t *testing.T, engine store.Dialect, source string, _ int) string {
	return storetest.NewDatabase(t, engine, source)
}

// TestRestoreRefusesTheWrongPlace: a restore writes nothing when the target
// is not new, the file holds no metersec database, or (PostgreSQL) the
// backup's schema is not the one the target URL names.
func TestRestoreRefusesTheWrongPlace(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	if code, out, errOut := run(t, "", nil, "migrate", "--db", src); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	bak := filepath.Join(dir, "src.bak")
	if code, out, errOut := run(t, "", nil, "backup", "--db", src, "--out", bak); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "", nil, "restore", "--from", bak, "--db", src); code != 1 || !strings.Contains(errOut, "exists already") {
		t.Fatalf("restore over the live file: %d %q", code, errOut)
	}
	plain := filepath.Join(dir, "plain.db")
	raw, err := sql.Open("sqlite", plain)
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec("CREATE TABLE t (x INTEGER)")
	raw.Close()
	target := filepath.Join(dir, "target.db")
	if code, _, errOut := run(t, "", nil, "restore", "--from", plain, "--db", target); code != 1 || !strings.Contains(errOut, "holds no metersec schema") {
		t.Fatalf("restore of a SQLite file that is not metersec's: %d %q", code, errOut)
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("a refused restore left a file behind")
	}
	if code, _, errOut := run(t, "", nil, "restore", "--db", target); code != 2 || !strings.Contains(errOut, "--from") {
		t.Fatalf("restore without --from: %d %q", code, errOut)
	}

	if os.Getenv(storetest.PostgresEnv) == "" {
		return
	}
	dsn := storetest.DSN(t, store.Postgres)
	pgBak := filepath.Join(dir, "pg.bak")
	for _, args := range [][]string{{"migrate", "--db", dsn}, {"backup", "--db", dsn, "--out", pgBak}} {
		if code, out, errOut := run(t, "", nil, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	empty := restoreTarget(t, store.Postgres, dsn, 0)
	u, _ := url.Parse(empty)
	q := u.Query()
	q.Set("search_path", "elsewhere")
	u.RawQuery = q.Encode()
	code, _, errOut := run(t, "", nil, "restore", "--from", pgBak, "--db", u.String())
	if code != 1 || !strings.Contains(errOut, "the backup holds schema") {
		t.Fatalf("restore into another schema: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", nil, "restore", "--from", bak, "--db", empty); code != 1 || !strings.Contains(errOut, "not a PostgreSQL backup") {
		t.Fatalf("a SQLite backup into PostgreSQL: %d %q", code, errOut)
	}
	db, err := store.Open(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tables, err := db.Tables(context.Background(), db); err != nil || len(tables) != 0 {
		t.Fatalf("refused restores wrote %v (%v)", tables, err)
	}
	if code, out, errOut := run(t, "", nil, "restore", "--from", pgBak, "--db", empty); code != 0 || !strings.Contains(out, "audit trail intact") {
		t.Fatalf("the right place: %d %s %s", code, out, errOut)
	}
}
