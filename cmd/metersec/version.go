package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

func versionCmd() *cli.Command {
	return &cli.Command{
		Name:    "version",
		Summary: "print the version and the schema version this binary needs",
		NoDB:    true,
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			ms, err := store.Migrations()
			if err != nil {
				return err
			}
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
				Schema  int    `json:"schema"`
			}{version, runtime.Version(), int(ms[len(ms)-1].Version)}
			return env.Print(v, func(w io.Writer) error {
				fmt.Fprintf(w, "metersec %s (%s, schema %d)\n", v.Version, v.Go, v.Schema)
				return nil
			})
		},
	}
}
