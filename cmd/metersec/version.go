package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

func versionCmd() *cli.Command {
	return &cli.Command{
		Name:    "version",
		Summary: "print the version and the schema version this binary needs",
		NoDB:    true,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			ms, err := store.Migrations()
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "metersec %s (%s, schema %d)\n", version, runtime.Version(), ms[len(ms)-1].Version)
			return nil
		},
	}
}
