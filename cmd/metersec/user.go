package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
)

// operator is whoever runs a command at the shell: someone with the
// database in hand, recorded in the audit trail by their login name.
func operator(env *cli.Env) access.Caller {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return access.SystemCaller(name)
}

func userCmd() *cli.Command {
	return &cli.Command{
		Name:    "user",
		Summary: "add, list, disable and administer accounts",
		Subs: []*cli.Command{userAddCmd(), userListCmd(), userDisableCmd(), userEnableCmd(), userRolesCmd(), userResetCmd(),
			userSessionsCmd(), userSignOutCmd(), userLinkOIDCCmd(), userUnlinkOIDCCmd(), userIdentitiesCmd()},
	}
}

func userAddCmd() *cli.Command {
	var in account.NewUser
	var roles string
	var passwordStdin bool
	return &cli.Command{
		Name:    "add",
		Summary: "add an account",
		Help: `Adds a user to an organisation. The password is read from standard input (one line) with
--password-stdin, so it never appears in the shell history or the process list.
Example:
  echo 'a long passphrase' | metersec user add --email ana@maker.example --name "Ana" --org ARDM --roles manufacturer --password-stdin`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.Email, "email", "", "the user's email (their sign-in)")
			fs.StringVar(&in.Name, "name", "", "the user's full name")
			fs.StringVar(&in.Org, "org", "", "the organisation's code")
			fs.StringVar(&roles, "roles", "", "roles, comma separated: "+roleList())
			fs.BoolVar(&in.RedCleared, "red-cleared", false, "may be named on RED records (needs a second factor)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the initial password from standard input")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if !passwordStdin {
				return cli.Usagef("give the initial password on standard input with --password-stdin")
			}
			line, err := bufio.NewReader(env.Stdin).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			in.Password = strings.TrimRight(line, "\r\n")
			in.Roles = splitList(roles)
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := account.NewService(db).AddUser(ctx, operator(env), in)
			if err != nil {
				return err
			}
			return env.Print(u, func(w io.Writer) error {
				fmt.Fprintf(w, "added %s (%s) to %s as %s", u.Email, u.Name, u.OrgCode, strings.Join(rolesText(u), ", "))
				if u.MFARequired {
					fmt.Fprint(w, "; they will set up an authenticator at first sign-in")
				}
				fmt.Fprintln(w)
				return nil
			})
		},
	}
}

func roleList() string {
	var b strings.Builder
	for i, r := range account.RoleNames() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r)
	}
	return b.String()
}

func rolesText(u account.User) []string {
	out := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		out[i] = string(r)
	}
	return out
}

func userListCmd() *cli.Command {
	var org string
	return &cli.Command{
		Name:    "list",
		Summary: "list accounts",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&org, "org", "", "only this organisation's accounts")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			us, err := account.NewService(db).ListUsers(ctx, operator(env), org)
			if err != nil {
				return err
			}
			return env.Print(us, func(w io.Writer) error {
				fmt.Fprintln(w, "EMAIL\tORG\tROLES\tMFA\tSTATE\tNAME")
				for _, u := range us {
					state := "active"
					if u.Disabled {
						state = "disabled"
					}
					mfa := "no"
					switch {
					case u.MFAEnrolled:
						mfa = "yes"
					case u.MFARequired:
						mfa = "required"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, u.OrgCode, strings.Join(rolesText(u), ","), mfa, state, u.Name)
				}
				return nil
			})
		},
	}
}

func userDisableCmd() *cli.Command {
	return &cli.Command{
		Name:    "disable",
		Args:    "EMAIL",
		Summary: "disable an account, ending its sessions and tokens",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("say which user: metersec user disable EMAIL")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := account.NewService(db).Disable(ctx, operator(env), args[0]); err != nil {
				return err
			}
			return env.Print(map[string]any{"disabled": args[0]}, func(w io.Writer) error {
				fmt.Fprintf(w, "disabled %s\n", args[0])
				return nil
			})
		},
	}
}
