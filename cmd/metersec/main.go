// Command metersec is the whole product in one binary: the server, its
// database migrations, imports and reports, account and audit tools, and the
// demonstration world. Run `metersec --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/metersec/metersec/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, root(), os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin}))
}

func root() *cli.Command {
	return &cli.Command{
		Name: "metersec",
		Help: `metersec runs the GB smart metering security regime of the Smart Energy Code, Section G:
parties and contacts, the Device estate, notification arrangements, vulnerability
coordination and the Security Sub-Committee's reports.

Every setting can be a flag or an environment variable; site-wide settings (--db, the
server's, the policy figures) are METERSEC_<FLAG> and may be lines in a --config file,
and a command's own flags are METERSEC_<COMMAND>_<FLAG> (each --help shows the names).
--db takes a SQLite file (the default, ./metersec.db) or a postgres:// URL.`,
		Shared: sharedSettings(),
		Subs: []*cli.Command{
			serveCmd(),
			demoCmd(),
			migrateCmd(),
			importCmd(),
			generateCmd(),
			estateCmd(),
			vulnCmd(),
			reportCmd(),
			catalogueCmd(),
			arrangementCmd(),
			coverageCmd(),
			obligationsCmd(),
			meetingCmd(),
			secCmd(),
			assessmentCmd(),
			riskCmd(),
			triageCmd(),
			userSystemCmd(),
			userCmd(),
			tokenCmd(),
			secretsCmd(),
			auditCmd(),
			backupCmd(),
			restoreCmd(),
			totpCmd(),
			versionCmd(),
			benchCmd(),
		},
	}
}
