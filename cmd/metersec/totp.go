package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
)

func totpCmd() *cli.Command {
	return &cli.Command{
		Name:    "totp",
		Args:    "SECRET",
		Summary: "print the current authenticator code for a TOTP secret (for the demo and tests)",
		Help: `Prints the 6-digit code an authenticator app holding SECRET would show now, so you can
sign in to the demo without a phone. Use a real authenticator app for real accounts.`,
		NoDB:  true,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give the secret: metersec totp SECRET")
			}
			code, err := account.CurrentCode(args[0], time.Now())
			if err != nil {
				return cli.Usagef("not a TOTP secret: %v", err)
			}
			return env.Print(map[string]string{"code": code}, func(w io.Writer) error {
				fmt.Fprintln(w, code)
				return nil
			})
		},
	}
}
