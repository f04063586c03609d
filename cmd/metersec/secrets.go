package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// secretKeyFlag defines --secret-key-file (METERSEC_SECRET_KEY_FILE).
func secretKeyFlag(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "secret-key-file", "", "the key that seals TOTP and webhook secrets at rest (make one with metersec secrets keygen); "+
		"METERSEC_SECRET_KEY may hold the key itself instead")
}

// loadSecretKey reads the key from the file, or else from METERSEC_SECRET_KEY;
// nil when neither is given.
func loadSecretKey(env *cli.Env, path string) (*secrets.Box, error) {
	if path != "" {
		b, err := secrets.LoadFile(path)
		if err != nil {
			return nil, cli.Usagef("--secret-key-file: %v", err)
		}
		return b, nil
	}
	if env.Getenv != nil {
		if text := env.Getenv("METERSEC_SECRET_KEY"); text != "" {
			b, err := secrets.Parse(text)
			if err != nil {
				return nil, cli.Usagef("METERSEC_SECRET_KEY: %v", err)
			}
			return b, nil
		}
	}
	return nil, nil
}

// resealAll brings every secret at rest under the key to, opening those
// sealed under from. With to nil and no from it changes nothing, but fails
// if any secret is sealed: a server without the key could not use it.
func resealAll(ctx context.Context, db *store.DB, why string, to *secrets.Box, from ...*secrets.Box) (totp, webhooks int, err error) {
	c := access.SystemCaller(why)
	s := account.NewService(db)
	if totp, err = s.ResealSecrets(ctx, c, to, from...); err != nil {
		return 0, 0, err
	}
	webhooks, err = delivery.ResealSecrets(ctx, db, c, to, from...)
	return totp, webhooks, err
}

func secretsCmd() *cli.Command {
	return &cli.Command{
		Name:    "secrets",
		Summary: "make the key that seals secrets at rest, and rotate it",
		Help: `TOTP seeds and webhook signing secrets are stored sealed (XChaCha20-Poly1305) under a key
kept outside the database, so a copy of the database holds no usable secret. serve needs the
key (--secret-key-file, METERSEC_SECRET_KEY_FILE or METERSEC_SECRET_KEY) and seals any secret
still in the clear when it starts; without a key it refuses to start unless --insecure-dev.`,
		Subs: []*cli.Command{secretsKeygenCmd(), secretsRotateCmd()},
	}
}

func secretsKeygenCmd() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "keygen",
		Summary: "make a new secret key",
		Help: `Writes a new random 256-bit key, base64, to --out (created readable by its owner only; an
existing file is never overwritten), or prints it when --out is not given.
Example:
  metersec secrets keygen --out /etc/metersec/secret.key`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&out, "out", "", "the file to write the key to (mode 600)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("keygen takes no arguments")
			}
			if out == "" {
				text := secrets.GenerateKey()
				b, _ := secrets.Parse(text)
				return env.Print(map[string]string{"key": text, "id": b.ID()}, func(w io.Writer) error {
					fmt.Fprintln(w, text)
					return nil
				})
			}
			b, err := secrets.WriteKeyFile(out)
			if err != nil {
				return fmt.Errorf("write the key: %w", err)
			}
			return env.Print(map[string]string{"file": out, "id": b.ID()}, func(w io.Writer) error {
				fmt.Fprintf(w, "wrote key %s to %s\n", b.ID(), out)
				return nil
			})
		},
	}
}

func secretsRotateCmd() *cli.Command {
	var oldFile, newFile string
	return &cli.Command{
		Name:    "rotate",
		Summary: "re-seal every secret at rest under a new key",
		Help: `Opens every TOTP seed and webhook secret with the old key (secrets still in the clear need
none) and seals it under the new key, all in one transaction: if any secret does not open,
nothing changes. Stop the servers first, rotate, then start them with the new key.
Example:
  metersec secrets keygen --out new.key
  metersec secrets rotate --old-key-file old.key --new-key-file new.key`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&oldFile, "old-key-file", "", "the key the secrets are sealed under now (none if they are in the clear)")
			fs.StringVar(&newFile, "new-key-file", "", "the key to seal them under")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("rotate takes no arguments")
			}
			if newFile == "" {
				return cli.Usagef("give the new key with --new-key-file (make one with metersec secrets keygen --out FILE)")
			}
			to, err := secrets.LoadFile(newFile)
			if err != nil {
				return cli.Usagef("--new-key-file: %v", err)
			}
			var from []*secrets.Box
			if oldFile != "" {
				old, err := secrets.LoadFile(oldFile)
				if err != nil {
					return cli.Usagef("--old-key-file: %v", err)
				}
				from = append(from, old)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			totp, hooks, err := resealAll(ctx, db, "cli: secrets rotate", to, from...)
			if err != nil {
				return err
			}
			return env.Print(map[string]any{"key": to.ID(), "totp": totp, "webhook": hooks}, func(w io.Writer) error {
				fmt.Fprintf(w, "sealed %d TOTP and %d webhook secrets under key %s\n", totp, hooks, to.ID())
				return nil
			})
		},
	}
}
