package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func auditCmd() *cli.Command {
	return &cli.Command{
		Name:    "audit",
		Summary: "check the audit trail, and sign checkpoints of it",
		Subs:    []*cli.Command{auditVerifyCmd(), auditKeygenCmd(), auditCheckpointCmd()},
	}
}

func auditVerifyCmd() *cli.Command {
	var checkpoint, publicKey, keyFile string
	return &cli.Command{
		Name:    "verify",
		Summary: "check every link of the hash-chained audit trail",
		Help: `Walks the audit trail in order and reports the first entry that was edited, deleted or
reordered. Exits 1 if it finds one.

The chain alone cannot show a rewrite by someone who also recomputed the later hashes and
moved the head. With --checkpoint FILE (a signed checkpoint exported from
/api/v1/audit/checkpoint, "audit checkpoint --out", or the SSC's email) and the public key
(--public-key, or the key pair in --audit-key-file), verify also holds the trail to that
checkpoint and to every checkpoint stored in the database under the same key: a deleted
tail or a rewritten entry that a checkpoint covers is reported and exits 1.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&checkpoint, "checkpoint", "", "a checkpoint file (JSON) to hold the trail to")
			fs.StringVar(&publicKey, "public-key", "", "the public key (PEM) that signed the checkpoints")
			fs.StringVar(&keyFile, "audit-key-file", "", auditKeyFileUsage)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			var pub ed25519.PublicKey
			switch {
			case publicKey != "":
				k, err := audit.LoadPublicKey(publicKey)
				if err != nil {
					return cli.Usagef("--public-key: %v", err)
				}
				pub = k
			case keyFile != "":
				k, err := audit.LoadPublicKey(keyFile)
				if err != nil {
					return cli.Usagef("--audit-key-file: %v", err)
				}
				pub = k
			case checkpoint != "":
				return cli.Usagef("--checkpoint needs the key that signed it: --public-key FILE")
			}
			var given *audit.Checkpoint
			if checkpoint != "" {
				cp, err := audit.ReadCheckpoint(checkpoint)
				if err != nil {
					return cli.Usagef("--checkpoint %s: %v", checkpoint, err)
				}
				given = &cp
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			var rep audit.Report
			if pub != nil {
				rep, err = audit.VerifySigned(ctx, db, pub, given)
			} else {
				rep, err = audit.Verify(ctx, db)
			}
			if err != nil {
				return err
			}
			if err := env.Print(rep, func(w io.Writer) error {
				switch {
				case !rep.OK():
					fmt.Fprintf(w, "audit trail BROKEN at entry %d: %s (%d entries before it are intact)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Checked)
				case rep.Anchored > 0:
					fmt.Fprintf(w, "audit trail intact: %d entries checked, up to entry %d vouched for by a signed checkpoint\n", rep.Checked, rep.Anchored)
				default:
					fmt.Fprintf(w, "audit trail intact: %d entries checked\n", rep.Checked)
				}
				return nil
			}); err != nil {
				return err
			}
			if !rep.OK() {
				return errs.E(errs.Conflict, "the audit trail is broken at entry %d", rep.Broken.Seq)
			}
			return nil
		},
	}
}

func auditKeygenCmd() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "keygen",
		Summary: "write a new ed25519 key pair for signing audit checkpoints",
		Help: `Writes the private key to --out (mode 0600) and the public key to --out.pub, both PEM.
Neither may exist. Keep the private key out of the database and its backups (the server
reads it with --audit-key-file or METERSEC_AUDIT_KEY_FILE); give the public key to whoever
verifies checkpoints.`,
		NoDB: true,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&out, "out", "", "where to write the private key; the public key goes to the same name plus .pub")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if out == "" {
				return cli.Usagef("say where to write the key: --out FILE")
			}
			pub, err := audit.GenerateKey(out, out+".pub")
			if err != nil {
				return err
			}
			res := struct {
				Private string `json:"private_key_file"`
				Public  string `json:"public_key_file"`
				KeyID   string `json:"key_id"`
			}{out, out + ".pub", audit.KeyID(pub)}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "wrote %s (private, keep it secret) and %s (public); key id %s\n", res.Private, res.Public, res.KeyID)
				return nil
			})
		},
	}
}

func auditCheckpointCmd() *cli.Command {
	var keyFile, out string
	return &cli.Command{
		Name:    "checkpoint",
		Summary: "sign the audit trail's head now, store it and send it to the SSC",
		Help: `Signs the head of the audit trail with the key in --audit-key-file (METERSEC_AUDIT_KEY_FILE),
stores the checkpoint, and queues an email with it to the SSC and its secretariat (sent by
the server's delivery worker). --out also writes the checkpoint to a file for
"audit verify --checkpoint". The server writes checkpoints itself every
--audit-checkpoint-every.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&keyFile, "audit-key-file", "", auditKeyFileUsage)
			fs.StringVar(&out, "out", "", "also write the checkpoint (JSON) to this file")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if keyFile == "" {
				return cli.Usagef("give the signing key: --audit-key-file FILE (or METERSEC_AUDIT_KEY_FILE); `metersec audit keygen` makes one")
			}
			key, err := audit.LoadKey(keyFile)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			cp, err := audit.WriteCheckpoint(ctx, db, key, notifySSCOfCheckpoint)
			if err != nil {
				return err
			}
			if out != "" {
				b, _ := json.MarshalIndent(cp, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			return env.Print(cp, func(w io.Writer) error {
				fmt.Fprintf(w, "signed entry %d (hash %s) at %s with key %s\n", cp.Seq, cp.Hash, cp.At.Format(time.RFC3339), cp.KeyID)
				return nil
			})
		},
	}
}

// notifySSCOfCheckpoint sends each organisation that speaks for the SSC the
// checkpoint, through the delivery outbox in the checkpoint's transaction:
// the copy outside the database is what makes the checkpoint worth having.
func notifySSCOfCheckpoint(ctx context.Context, tx *store.Tx, cp audit.Checkpoint) error {
	orgs, err := arrangement.SSCOrgs(ctx, tx)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(cp, "", "  ")
	for _, org := range orgs {
		if _, err := delivery.Notify(ctx, tx, delivery.Notice{
			OrgID: org, Kind: "audit.checkpoint",
			Title: fmt.Sprintf("Audit trail checkpoint: entry %d", cp.Seq),
			Body: "metersec signed the head of its audit trail. Keep this message: with the public key it proves " +
				"the trail up to this entry has not been rewritten (metersec audit verify --checkpoint FILE).\n\n" + string(b) + "\n",
			Link: "/audit", RecordKind: "audit_checkpoint", Classification: sec.Amber, Data: cp,
			Key: fmt.Sprintf("audit-checkpoint:%d:%s", cp.Seq, cp.At.Format(time.RFC3339Nano)),
		}); err != nil {
			return err
		}
	}
	return nil
}
