package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestAuditCheckpointCommands walks what an operator does: make a key, sign
// the head (which queues the SSC's copy), verify against the exported copy,
// and see a truncated trail, head moved back, refused with a clear message
// while the unkeyed verify still passes it.
func TestAuditCheckpointCommands(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dir := t.TempDir()
			dsn := storetest.DSN(t, engine)
			parties := filepath.Join(dir, "parties.csv")
			os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\n"+
				"SSC,Security Sub-Committee,ssc,Chair,chair@ssc.example.org,\nOPS,Operations,operator,,,\n"), 0o600)
			key := filepath.Join(dir, "audit.key")
			cpFile := filepath.Join(dir, "checkpoint.json")
			steps := []struct {
				args []string
				code int
				want string
			}{
				{[]string{"migrate"}, 0, "current"},
				{[]string{"import", "parties", parties}, 0, "2 created"},
				{[]string{"audit", "checkpoint"}, 2, "--audit-key-file"},
				{[]string{"audit", "keygen", "--out", key}, 0, "key id"},
				{[]string{"audit", "keygen", "--out", key}, 1, "exists already"},
				{[]string{"audit", "checkpoint", "--audit-key-file", key, "--out", cpFile}, 0, "signed entry"},
				{[]string{"audit", "verify", "--checkpoint", cpFile}, 2, "--public-key"},
				{[]string{"audit", "verify", "--checkpoint", cpFile, "--public-key", key + ".pub"}, 0, "vouched for by a signed checkpoint"},
			}
			for _, s := range steps {
				args := s.args
				if len(s.args) < 2 || s.args[1] != "keygen" {
					args = append(args, "--db", dsn)
				}
				code, out, errOut := run(t, "", nil, args...)
				if code != s.code || !strings.Contains(out+errOut, s.want) {
					t.Fatalf("metersec %s: exit %d (want %d), out %q, err %q (want %q)", strings.Join(s.args, " "), code, s.code, out, errOut, s.want)
				}
			}
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The SSC's copy waits in the outbox, addressed to its contact.
			var queued int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM delivery_jobs
				WHERE email = 'chair@ssc.example.org' AND kind = 'audit.checkpoint'`).Scan(&queued); err != nil || queued != 1 {
				t.Fatalf("the SSC's copy: %d queued, %v", queued, err)
			}
			// Delete everything from the checkpointed entry on, and the stored
			// checkpoints, and move the head back.
			var seq int64
			var hash string
			db.QueryRowContext(context.Background(), "SELECT seq FROM audit_checkpoints").Scan(&seq)
			db.QueryRowContext(context.Background(), "SELECT hash FROM audit_log WHERE seq = $1", seq-1).Scan(&hash)
			for _, q := range []string{"DELETE FROM audit_log WHERE seq >= $1", "DELETE FROM audit_checkpoints WHERE seq >= $1"} {
				if _, err := db.Writer().Exec(q, seq); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Writer().Exec("UPDATE audit_head SET seq = $1, hash = $2", seq-1, hash); err != nil {
				t.Fatal(err)
			}
			if code, out, _ := run(t, "", nil, "audit", "verify", "--db", dsn); code != 0 {
				t.Fatalf("the unkeyed verify should pass a clean truncation: %d %s", code, out)
			}
			code, out, errOut := run(t, "", nil, "audit", "verify", "--db", dsn, "--checkpoint", cpFile, "--public-key", key+".pub")
			if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "newest entries were deleted") {
				t.Fatalf("verify against the checkpoint after truncation: %d %q %q", code, out, errOut)
			}
		})
	}
}
