package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
	var scopes string
	var days int
	return &cli.Command{
		Name:    "create",
		Summary: "create an API token for a user (printed once)",
		Help: `Creates a token that acts as the user, narrowed to its scopes: read (GET requests), write
(everything else), import (bulk uploads). The token is printed once and stored only as a hash.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.User, "user", "", "the email of the user the token acts as")
			fs.StringVar(&in.Name, "name", "", "what the token is for, e.g. \"estate feed\"")
			fs.StringVar(&scopes, "scopes", "read", "scopes, comma separated: read, write, import")
			fs.IntVar(&days, "days", 90, "lifetime in days (1–366)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if days < 1 || days > 366 {
				return cli.Usagef("--days must be between 1 and 366")
			}
			in.Scopes, in.TTL = splitList(scopes), time.Duration(days)*24*time.Hour
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			secret, t, err := account.NewService(db).CreateToken(ctx, operator(env), in)
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
			fmt.Fprintf(env.Stdout, "revoked token %d\n", id)
			return nil
		},
	}
}
