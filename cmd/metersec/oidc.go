package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/web"
)

// Single sign-on with an OpenID Connect provider: serve's settings, and the
// commands that link a provider's subject to an account.

type oidcFlags struct {
	name, issuer, clientID, secretFile, redirectURL, strongAMR string
}

func (f *oidcFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.issuer, "oidc-issuer", "", "single sign-on: the OpenID Connect provider's issuer URL (sign-in with it is offered only when set)")
	fs.StringVar(&f.name, "oidc-name", "single sign-on", "single sign-on: the provider's name on the sign-in page (\"Sign in with NAME\")")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "single sign-on: metersec's client id at the provider")
	fs.StringVar(&f.secretFile, "oidc-client-secret-file", "", "single sign-on: a file holding the client secret (chmod 600)")
	fs.StringVar(&f.redirectURL, "oidc-redirect-url", "", "single sign-on: the callback registered at the provider (default BASE-URL/signin/oidc/callback)")
	fs.StringVar(&f.strongAMR, "oidc-strong-amr", strings.Join(account.DefaultStrongAMR, ","),
		"single sign-on: the \"amr\" values that count as a second factor, comma separated (others are asked for their authenticator code)")
}

// config turns the flags into the server's setting: nil without an issuer.
// baseURL is where users reach metersec.
func (f *oidcFlags) config(baseURL string) (*web.OIDCConfig, error) {
	if f.issuer == "" {
		if f.clientID != "" || f.secretFile != "" {
			return nil, cli.Usagef("--oidc-client-id and --oidc-client-secret-file need --oidc-issuer")
		}
		return nil, nil
	}
	if u, err := url.Parse(f.issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return nil, cli.Usagef("--oidc-issuer must be the provider's https:// issuer URL, not %q", f.issuer)
	}
	if f.clientID == "" || f.secretFile == "" {
		return nil, cli.Usagef("--oidc-issuer needs --oidc-client-id and --oidc-client-secret-file")
	}
	st, err := os.Stat(f.secretFile)
	if err != nil {
		return nil, cli.Usagef("--oidc-client-secret-file: %v", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, cli.Usagef("--oidc-client-secret-file %s is readable by others: chmod 600 it", f.secretFile)
	}
	b, err := os.ReadFile(f.secretFile)
	if err != nil {
		return nil, cli.Usagef("--oidc-client-secret-file: %v", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return nil, cli.Usagef("--oidc-client-secret-file %s is empty", f.secretFile)
	}
	redirect := f.redirectURL
	if redirect == "" {
		redirect = strings.TrimRight(baseURL, "/") + "/signin/oidc/callback"
	}
	var strong []string
	for _, m := range strings.Split(f.strongAMR, ",") {
		if m = strings.TrimSpace(m); m != "" {
			strong = append(strong, m)
		}
	}
	if len(strong) == 0 {
		return nil, cli.Usagef("--oidc-strong-amr names no method: give at least one (for example mfa)")
	}
	return &web.OIDCConfig{Name: f.name, Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, RedirectURL: redirect, StrongAMR: strong}, nil
}

func userLinkOIDCCmd() *cli.Command {
	var issuer, subject string
	return &cli.Command{
		Name:    "link-oidc",
		Args:    "EMAIL",
		Summary: "link an identity at the single sign-on provider to an account",
		Help: `Links the provider's subject for a person (the "sub" of their ID tokens, with the provider's
issuer URL exactly as its tokens give it) to an existing account, so that they may sign in with
the provider. Nobody is ever given an account by signing in: an identity that is not linked is
refused. The account's second factor still applies: the provider's "amr" passes it when it names
a strong method (see serve --oidc-strong-amr), otherwise the authenticator code is asked for.
Example:
  metersec user link-oidc ana@maker.example --issuer https://login.example --subject 248289761001`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&issuer, "issuer", "", "the provider's issuer URL")
			fs.StringVar(&subject, "subject", "", "the person's subject at the provider")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("say which user: metersec user link-oidc EMAIL --issuer URL --subject SUB")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			id, err := account.NewService(db).LinkOIDC(ctx, operator(env), args[0], issuer, subject)
			if err != nil {
				return err
			}
			return env.Print(id, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "linked %s at %s to %s\n", id.Subject, id.Issuer, id.Email)
				return err
			})
		},
	}
}

func userUnlinkOIDCCmd() *cli.Command {
	var issuer, subject string
	return &cli.Command{
		Name:    "unlink-oidc",
		Args:    "EMAIL",
		Summary: "remove a single sign-on identity from an account",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&issuer, "issuer", "", "the provider's issuer URL")
			fs.StringVar(&subject, "subject", "", "the person's subject at the provider")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("say which user: metersec user unlink-oidc EMAIL --issuer URL --subject SUB")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := account.NewService(db).UnlinkOIDC(ctx, operator(env), args[0], issuer, subject); err != nil {
				return err
			}
			return env.Print(map[string]string{"unlinked": args[0], "issuer": issuer, "subject": subject}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "unlinked %s at %s from %s\n", subject, issuer, args[0])
				return err
			})
		},
	}
}

func userIdentitiesCmd() *cli.Command {
	var email string
	return &cli.Command{
		Name:    "identities",
		Summary: "list the single sign-on identities linked to accounts",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&email, "email", "", "only this account's identities")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ids, err := account.NewService(db).ListOIDC(ctx, operator(env), email)
			if err != nil {
				return err
			}
			return env.Print(ids, func(w io.Writer) error {
				fmt.Fprintln(w, "EMAIL\tISSUER\tSUBJECT\tLINKED")
				for _, id := range ids {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", id.Email, id.Issuer, id.Subject, id.LinkedAt.Format("2006-01-02 15:04"))
				}
				return nil
			})
		},
	}
}

// baseURLOr is --base-url, or http://ADDR without it.
func (f *serveFlags) baseURLOr() string {
	if f.baseURL != "" {
		return f.baseURL
	}
	return "http://" + f.addr
}
