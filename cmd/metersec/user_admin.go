package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/sec"
)

// The administration of one account from the shell (issue 15 point 7), as
// on its page: enable, roles, reset, sessions and sign out everywhere.

// withAccount opens the database and runs fn with the account service, for
// a command that names one user.
func withAccount(ctx context.Context, env *cli.Env, args []string, usage string, fn func(s *account.Service, email string) error) error {
	if len(args) != 1 {
		return cli.Usagef("say which user: %s", usage)
	}
	db, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(account.NewService(db), args[0])
}

func userEnableCmd() *cli.Command {
	return &cli.Command{
		Name:    "enable",
		Args:    "EMAIL",
		Summary: "enable a disabled account again (its ended sessions and tokens stay ended)",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			return withAccount(ctx, env, args, "metersec user enable EMAIL", func(s *account.Service, email string) error {
				if err := s.Enable(ctx, operator(env), email); err != nil {
					return err
				}
				return env.Print(map[string]any{"enabled": email}, func(w io.Writer) error {
					fmt.Fprintf(w, "enabled %s\n", email)
					return nil
				})
			})
		},
	}
}

func userRolesCmd() *cli.Command {
	var roles string
	var red bool
	return &cli.Command{
		Name:    "roles",
		Args:    "EMAIL",
		Summary: "replace an account's roles and RED clearance",
		Help: `Replaces the user's roles (each must fit what their organisation is) and whether they may be named
on RED records. If the change makes a second factor required that they have not set up, their
sessions end.
Example:
  metersec user roles ana@maker.example --roles manufacturer --red-cleared`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&roles, "roles", "", "roles, comma separated: "+roleList())
			fs.BoolVar(&red, "red-cleared", false, "may be named on RED records (needs a second factor)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			return withAccount(ctx, env, args, "metersec user roles EMAIL --roles LIST", func(s *account.Service, email string) error {
				var rs []sec.Role
				for _, r := range splitList(roles) {
					rs = append(rs, sec.Role(r))
				}
				u, err := s.SetRoles(ctx, operator(env), email, account.RolesChange{Roles: rs, RedCleared: red})
				if err != nil {
					return err
				}
				return env.Print(u, func(w io.Writer) error {
					fmt.Fprintf(w, "%s now holds %s", u.Email, strings.Join(rolesText(u), ", "))
					if u.RedCleared {
						fmt.Fprint(w, " and may be named on RED records")
					}
					fmt.Fprintln(w)
					return nil
				})
			})
		},
	}
}

func userResetCmd() *cli.Command {
	return &cli.Command{
		Name:    "reset",
		Args:    "EMAIL",
		Summary: "reset an account's password and second factor; the user is emailed a link",
		Help: `Makes the user's password and authenticator stop working, ends their sessions, and queues an
email to them with a one-time link (valid for 3 days) to choose a new password. Nobody else sees
the link or the password. API tokens are not touched.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			return withAccount(ctx, env, args, "metersec user reset EMAIL", func(s *account.Service, email string) error {
				rs, err := s.ResetCredentials(ctx, operator(env), email)
				if err != nil {
					return err
				}
				return env.Print(rs, func(w io.Writer) error {
					fmt.Fprintf(w, "reset %s: %d sessions ended; the link sent to them works until %s\n",
						rs.Email, rs.SessionsEnded, rs.ExpiresAt.Format("2006-01-02 15:04 MST"))
					return nil
				})
			})
		},
	}
}

func userSessionsCmd() *cli.Command {
	return &cli.Command{
		Name:    "sessions",
		Args:    "EMAIL",
		Summary: "list an account's open sessions",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			return withAccount(ctx, env, args, "metersec user sessions EMAIL", func(s *account.Service, email string) error {
				ss, err := s.Sessions(ctx, operator(env), email, "")
				if err != nil {
					return err
				}
				return env.Print(ss, func(w io.Writer) error {
					fmt.Fprintln(w, "SIGNED_IN\tLAST_SEEN\tFROM\tSECOND_FACTOR\tBROWSER")
					for _, si := range ss {
						fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\n", si.CreatedAt.Format("2006-01-02T15:04:05Z"),
							si.LastSeenAt.Format("2006-01-02T15:04:05Z"), si.Addr, si.SecondFactor, si.UserAgent)
					}
					return nil
				})
			})
		},
	}
}

func userSignOutCmd() *cli.Command {
	return &cli.Command{
		Name:    "signout",
		Args:    "EMAIL",
		Summary: "sign an account out everywhere",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			return withAccount(ctx, env, args, "metersec user signout EMAIL", func(s *account.Service, email string) error {
				n, err := s.EndSessions(ctx, operator(env), email)
				if err != nil {
					return err
				}
				return env.Print(map[string]any{"email": email, "ended": n}, func(w io.Writer) error {
					fmt.Fprintf(w, "signed %s out of %d sessions\n", email, n)
					return nil
				})
			})
		},
	}
}
