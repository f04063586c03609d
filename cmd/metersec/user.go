package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

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
	var roles, smtpHost, baseURL string
	var passwordStdin bool
	return &cli.Command{
		Name:    "add",
		Summary: "add an account; the user is emailed a link to choose their password",
		Help: `Adds a user to an organisation. Nobody chooses the user's password for them: they get a
one-time link, valid for 3 days, to choose it, exactly as after a reset. With an email server
set (--smtp-host, as serve has it) the link is emailed to them and the server sends it; without
one, no email is queued and the link is printed here for you to give them.
--password-stdin instead sets the password read from standard input (one line), for scripted
set-ups such as a first account before any server runs.
Example:
  metersec user add --email ana@maker.example --name "Ana" --org ARDM --roles manufacturer`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.Email, "email", "", "the user's email (their sign-in)")
			fs.StringVar(&in.Name, "name", "", "the user's full name")
			fs.StringVar(&in.Org, "org", "", "the organisation's code")
			fs.StringVar(&roles, "roles", "", "roles, comma separated: "+roleList())
			fs.BoolVar(&in.RedCleared, "red-cleared", false, "may be named on RED records (needs a second factor)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "set the password read from standard input instead of sending a link")
			fs.StringVar(&smtpHost, "smtp-host", "", smtpHostUsage)
			fs.StringVar(&baseURL, "base-url", "", baseURLUsage)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if passwordStdin {
				line, err := bufio.NewReader(env.Stdin).ReadString('\n')
				if err != nil && err != io.EOF {
					return err
				}
				in.Password = strings.TrimRight(line, "\r\n")
			}
			in.Roles = splitList(roles)
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			s := account.NewService(db)
			var out addedUser
			switch {
			case passwordStdin || smtpHost != "":
				out.User, err = s.AddUser(ctx, operator(env), in)
				out.Emailed = !passwordStdin
			default:
				var inv account.Invitation
				out.User, inv, err = s.AddUserHandingLink(ctx, operator(env), in)
				out.Link, out.LinkExpiresAt = strings.TrimSuffix(baseURL, "/")+inv.Link, &inv.ExpiresAt
			}
			if err != nil {
				return err
			}
			u := out.User
			return env.Print(out, func(w io.Writer) error {
				fmt.Fprintf(w, "added %s (%s) to %s as %s", u.Email, u.Name, u.OrgCode, strings.Join(rolesText(u), ", "))
				if u.MFARequired {
					fmt.Fprint(w, "; they will set up an authenticator at first sign-in")
				}
				fmt.Fprintln(w)
				switch {
				case out.Emailed:
					fmt.Fprintln(w, "a link to choose their password is queued for them by email (valid for 3 days)")
				case out.Link != "":
					where := ""
					if baseURL == "" {
						where = " (on the server's address: --base-url is not set)"
					}
					fmt.Fprintf(w, "no email server is set (--smtp-host), so no email was sent: give them this link yourself%s;\n"+
						"it works once, until %s:\n%s\n", where, out.LinkExpiresAt.Format("2006-01-02 15:04 MST"), out.Link)
				}
				return nil
			})
		},
	}
}

// addedUser is what `user add` prints: the account, and either that its
// link was emailed or the link itself.
type addedUser struct {
	account.User
	Emailed       bool       `json:"link_emailed"`
	Link          string     `json:"link,omitempty"`
	LinkExpiresAt *time.Time `json:"link_expires_at,omitempty"`
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
