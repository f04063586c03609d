package audit

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func writeEntries(t *testing.T, db *store.DB, from, to int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i <= to; i++ {
		if err := db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
			return Record(ctx, tx, "thing.change", "thing", i, map[string]int{"i": i})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func mustExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Writer().Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// truncate is what someone with write access to the database does to hide
// the newest entries: delete them and move the head back to the last one
// kept, which the unkeyed chain accepts.
func truncate(t *testing.T, db *store.DB, keep int64) {
	t.Helper()
	var hash string
	if err := db.QueryRowContext(context.Background(), "SELECT hash FROM audit_log WHERE seq = $1", keep).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DELETE FROM audit_log WHERE seq > $1", keep)
	mustExec(t, db, "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", keep, hash)
}

// rewrite edits entry seq and recomputes every later link and the head,
// which the unkeyed chain accepts too.
func rewrite(t *testing.T, db *store.DB, seq int64) {
	t.Helper()
	ctx := context.Background()
	mustExec(t, db, "UPDATE audit_log SET actor = 'someone else' WHERE seq = $1", seq)
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_user_id, actor_org_id, actor, action, object_type,
		object_id, digest, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq`, seq-1)
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	rows.Close()
	for i := 1; i < len(es); i++ {
		es[i].PrevHash = es[i-1].Hash
		es[i].Hash = es[i].hash()
		mustExec(t, db, "UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3", es[i].PrevHash, es[i].Hash, es[i].Seq)
	}
	last := es[len(es)-1]
	mustExec(t, db, "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", last.Seq, last.Hash)
}

// TestCheckpointsCatchWhatTheChainCannot writes six entries, a signed
// checkpoint (whose own audit entry is the seventh) and three more, then
// tampers as someone who can write the database but does not hold the key:
// they also delete the stored checkpoints, leaving only the copy sent away.
// The unkeyed Verify passes every case; VerifySigned with the copy catches
// each one that touches what the checkpoint covers.
func TestCheckpointsCatchWhatTheChainCannot(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "audit.key"), filepath.Join(dir, "audit.pub")
	if _, err := GenerateKey(priv, pub); err != nil {
		t.Fatal(err)
	}
	key, err := LoadKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubKey, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, db *store.DB)
		seq    int64  // where the break is, 0 for none
		reason string // what the break says
	}{
		{"a clean chain passes", func(*testing.T, *store.DB) {}, 0, ""},
		{"truncation to the checkpoint's own entry passes (nothing it covers is gone)", func(t *testing.T, db *store.DB) { truncate(t, db, 6) }, 0, ""},
		{"truncation to one entry before the checkpoint, head updated, is caught", func(t *testing.T, db *store.DB) { truncate(t, db, 5) }, 6, "newest entries were deleted"},
		{"truncation to the first entry, head updated, is caught", func(t *testing.T, db *store.DB) { truncate(t, db, 1) }, 2, "newest entries were deleted"},
		{"a rewrite of entry 3 with every later hash recomputed is caught", func(t *testing.T, db *store.DB) { rewrite(t, db, 3) }, 6, "rewritten"},
		{"a rewrite of the checkpoint's own entry is caught", func(t *testing.T, db *store.DB) { rewrite(t, db, 6) }, 6, "rewritten"},
		{"a rewrite of entry 9, after the checkpoint, is beyond what it covers", func(t *testing.T, db *store.DB) { rewrite(t, db, 9) }, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				writeEntries(t, db, 1, 6)
				cp, err := WriteCheckpoint(ctx, db, key, nil)
				if err != nil {
					t.Fatal(err)
				}
				if cp.Seq != 6 {
					t.Fatalf("checkpoint of entry %d, want 6", cp.Seq)
				}
				writeEntries(t, db, 8, 10)
				// The copy as the SSC receives it: JSON, read back.
				b, _ := json.Marshal(cp)
				copyCP, err := ParseCheckpoint(b)
				if err != nil {
					t.Fatal(err)
				}
				mustExec(t, db, "DELETE FROM audit_checkpoints")
				tc.tamper(t, db)

				plain, err := Verify(ctx, db)
				if err != nil || !plain.OK() {
					t.Fatalf("the unkeyed chain should not see this tampering (that is the defect): %+v %v", plain, err)
				}
				rep, err := VerifySigned(ctx, db, pubKey, &copyCP)
				if err != nil {
					t.Fatal(err)
				}
				if tc.seq == 0 {
					if !rep.OK() {
						t.Fatalf("broken at %d: %s", rep.Broken.Seq, rep.Broken.Reason)
					}
					if rep.Anchored != 6 {
						t.Fatalf("anchored at %d, want 6", rep.Anchored)
					}
					return
				}
				if rep.OK() {
					t.Fatalf("tampering went unnoticed: %+v", rep)
				}
				if rep.Broken.Seq != tc.seq || !strings.Contains(rep.Broken.Reason, tc.reason) {
					t.Fatalf("broken at %d (%s), want %d mentioning %q", rep.Broken.Seq, rep.Broken.Reason, tc.seq, tc.reason)
				}
			})
		})
	}
}

func TestStoredCheckpointsAreCheckedToo(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")
	if _, err := GenerateKey(priv, pub); err != nil {
		t.Fatal(err)
	}
	key, _ := LoadKey(priv)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		writeEntries(t, db, 1, 4)
		if _, err := WriteCheckpoint(ctx, db, key, nil); err != nil {
			t.Fatal(err)
		}
		writeEntries(t, db, 6, 7)
		if rep, err := VerifySigned(ctx, db, key.Public(), nil); err != nil || !rep.OK() || rep.Anchored != 4 {
			t.Fatalf("clean: %+v %v", rep, err)
		}
		truncate(t, db, 3)
		rep, err := VerifySigned(ctx, db, key.Public(), nil)
		if err != nil || rep.OK() || !strings.Contains(rep.Broken.Reason, "covers entry 4") {
			t.Fatalf("truncated below a stored checkpoint: %+v %v", rep, err)
		}
		// A forged stored checkpoint (moved to match the truncated trail)
		// does not pass as one.
		mustExec(t, db, "UPDATE audit_checkpoints SET seq = 3")
		rep, err = VerifySigned(ctx, db, key.Public(), nil)
		if err != nil || rep.OK() || !strings.Contains(rep.Broken.Reason, "bad signature") {
			t.Fatalf("forged stored checkpoint: %+v %v", rep, err)
		}
	})
}

func TestACheckpointFromElsewhereProvesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		if _, err := GenerateKey(filepath.Join(dir, n), filepath.Join(dir, n+".pub")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := GenerateKey(filepath.Join(dir, "a"), filepath.Join(dir, "c.pub")); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("a key file was overwritten: %v", err)
	}
	a, _ := LoadKey(filepath.Join(dir, "a"))
	bPub, _ := LoadPublicKey(filepath.Join(dir, "b.pub"))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := WriteCheckpoint(ctx, db, a, nil); !errs.Is(err, errs.Conflict) {
			t.Fatalf("checkpoint of an empty trail: %v", err)
		}
		writeEntries(t, db, 1, 3)
		cp, err := WriteCheckpoint(ctx, db, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifySigned(ctx, db, bPub, &cp); err == nil || !strings.Contains(err.Error(), "not by the key given") {
			t.Fatalf("checkpoint checked with another key: %v", err)
		}
		moved := cp
		moved.Seq = 2
		if _, err := VerifySigned(ctx, db, a.Public(), &moved); err == nil || !strings.Contains(err.Error(), "signature does not match") {
			t.Fatalf("altered checkpoint: %v", err)
		}
	})
	if _, err := ParseCheckpoint([]byte(`{"seq": 0, "hash": "xy", "extra": 1}`)); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("bad checkpoint file: %v", err)
	}
	if _, err := ParseCheckpoint([]byte(`{"seq": 0, "hash": "xy"}`)); err == nil {
		t.Fatal("an incomplete checkpoint was accepted")
	} else if e := errs.As(err); len(e.Fields) < 4 {
		t.Fatalf("incomplete checkpoint: fields %+v", e.Fields)
	}
}

// TestPeriodicCheckpointSkipsAQuietTrail: the server's periodic checkpoint
// is not written again while nothing but the last checkpoint's own entries
// have been added, and is as soon as anything else is; on demand, one is
// always written.
func TestPeriodicCheckpointSkipsAQuietTrail(t *testing.T) {
	dir := t.TempDir()
	if _, err := GenerateKey(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")); err != nil {
		t.Fatal(err)
	}
	key, _ := LoadKey(filepath.Join(dir, "k"))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		writeEntries(t, db, 1, 2)
		// The notice the real server sends writes an entry of its own too.
		notify := func(ctx context.Context, tx *store.Tx, cp Checkpoint) error {
			return Record(ctx, tx, "delivery.notify", "notice", cp.Seq, nil)
		}
		first, wrote, err := WriteCheckpointIfChanged(ctx, db, key, notify)
		if err != nil || !wrote || first.Seq != 2 {
			t.Fatalf("first: %+v %v %v", first, wrote, err)
		}
		again, wrote, err := WriteCheckpointIfChanged(ctx, db, key, notify)
		if err != nil || wrote || again != first {
			t.Fatalf("nothing changed, yet: %+v %v %v", again, wrote, err)
		}
		writeEntries(t, db, 5, 5)
		next, wrote, err := WriteCheckpointIfChanged(ctx, db, key, notify)
		if err != nil || !wrote || next.Seq != 5 {
			t.Fatalf("after a change: %+v %v %v", next, wrote, err)
		}
		if cp, err := WriteCheckpoint(ctx, db, key, notify); err != nil || cp.Seq != 7 {
			t.Fatalf("on demand: %+v %v", cp, err)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_checkpoints").Scan(&n)
		if n != 3 {
			t.Fatalf("%d checkpoints stored, want 3", n)
		}
		if rep, err := VerifySigned(ctx, db, key.Public(), nil); err != nil || !rep.OK() || rep.Anchored != 7 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}
