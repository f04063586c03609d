package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
)

func tokenCmd() *cli.Command {
	return &cli.Command{
		Name:    "token",
		Summary: "create, list and revoke API tokens",
		Subs:    []*cli.Command{tokenCreateCmd(), tokenListCmd(), tokenRevokeCmd()},
	}
}

func tokenCreateCmd() *cli.Command {
	var in account.NewToken
	var scopes, code string
	var days int
	var passwordStdin bool
	var keyFile string
	return &cli.Command{
		Name:    "create",
		Summary: "create an API token as yourself (printed once)",
		Help: `Creates a token that acts as you, narrowed to its scopes: read (GET requests), write
(everything else), import (bulk uploads), tokens (manage your tokens). The token is printed once
and stored only as a hash.

A token acts as the user who creates it, so you prove who you are as at sign-in: your password
on standard input (one line) with --password-stdin, and, if your account has an authenticator,
its current code with --code. Nobody, an operator or administrator included, can create a
token for another user.
Example:
  echo 'my passphrase' | metersec token create --user ana@maker.example --password-stdin --code 123456 --name "estate feed"`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.User, "user", "", "your email: the token acts as you")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read your password from standard input")
			fs.StringVar(&code, "code", "", "the current code from your authenticator, if your account has one")
			secretKeyFlag(fs, &keyFile)
			fs.StringVar(&in.Name, "name", "", "what the token is for, e.g. \"estate feed\"")
			fs.StringVar(&scopes, "scopes", "read", "scopes, comma separated: "+strings.Join(account.Scopes, ", "))
			fs.IntVar(&days, "days", account.DefaultTokenDays, fmt.Sprintf("lifetime in days (1–%d)", account.MaxTokenDays))
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if days < 1 || days > account.MaxTokenDays {
				return cli.Usagef("--days must be a whole number from 1 to %d, not %d", account.MaxTokenDays, days)
			}
			if in.User == "" {
				return cli.Usagef("say who you are: --user EMAIL (a token acts as the user who creates it)")
			}
			if !passwordStdin {
				return cli.Usagef("give your password on standard input with --password-stdin")
			}
			line, err := bufio.NewReader(env.Stdin).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			in.Scopes, in.Days = splitList(scopes), account.Days(days)
			box, err := loadSecretKey(env, keyFile)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			accounts := account.NewService(db)
			accounts.Secrets = box
			secret, t, err := accounts.CreateTokenSignedIn(ctx, in.User, strings.TrimRight(line, "\r\n"), code, in)
			if err != nil {
				return err
			}
			return env.Print(map[string]any{"token": secret, "detail": t}, func(w io.Writer) error {
				fmt.Fprintf(w, "%s\n", secret)
				fmt.Fprintf(env.Stderr, "token %d for %s, scopes %s, expires %s: copy it now, it is not shown again\n",
					t.ID, t.User, strings.Join(t.Scopes, ","), t.ExpiresAt.Format("2006-01-02"))
				return nil
			})
		},
	}
}

func tokenListCmd() *cli.Command {
	var user string
	return &cli.Command{
		Name:    "list",
		Summary: "list API tokens (never their secrets)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "only this user's tokens")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := account.NewService(db).Tokens(ctx, operator(env), user)
			if err != nil {
				return err
			}
			return env.Print(ts, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tUSER\tNAME\tPREFIX\tSCOPES\tEXPIRES\tSTATE")
				for _, t := range ts {
					state := "active"
					if t.RevokedAt != nil {
						state = "revoked"
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.User, t.Name, t.Prefix, strings.Join(t.Scopes, ","), t.ExpiresAt.Format("2006-01-02"), state)
				}
				return nil
			})
		},
	}
}

func tokenRevokeCmd() *cli.Command {
	return &cli.Command{
		Name:    "revoke",
		Args:    "ID",
		Summary: "revoke an API token at once",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("say which token: metersec token revoke ID (see metersec token list)")
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return cli.Usagef("the token id must be a number, not %q", args[0])
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := account.NewService(db).RevokeToken(ctx, operator(env), id); err != nil {
				return err
			}
			return env.Print(map[string]any{"revoked": id}, func(w io.Writer) error {
				fmt.Fprintf(w, "revoked token %d\n", id)
				return nil
			})
		},
	}
}
