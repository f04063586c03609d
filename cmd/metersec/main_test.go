package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

// run calls the binary's command tree in-process and returns its exit
// status and output.
func run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), root(), args, &cli.Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(path []string, c *cli.Command)
	walk = func(path []string, c *cli.Command) {
		args := append(append([]string{}, path...), "--help")
		code, out, errOut := run(t, "", nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("metersec %s: exit %d, out %q, err %q", strings.Join(args, " "), code, out, errOut)
		}
		for _, s := range c.Subs {
			walk(append(append([]string{}, path...), s.Name), s)
		}
	}
	walk(nil, root())
}

func TestUnknownCommandAndFlag(t *testing.T) {
	if code, _, errOut := run(t, "", nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", nil, "migrate", "--frob"); code != 2 || !strings.Contains(errOut, "flag provided but not defined") {
		t.Errorf("unknown flag: %d %q", code, errOut)
	}
}

func TestConfigFileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "from-config.db")
	cfg := filepath.Join(dir, "metersec.conf")
	os.WriteFile(cfg, []byte("# settings\ndb = \""+dbPath+"\"\n"), 0o600)
	if code, out, errOut := run(t, "", nil, "migrate", "--config", cfg, "--format", "json"); code != 0 || !strings.Contains(out, `"current"`) {
		t.Fatalf("migrate with config: %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Fatalf("the config file's db was not used: %v", err)
	}
	// The environment beats the file; a flag beats both.
	envDB := filepath.Join(dir, "from-env.db")
	run(t, "", map[string]string{"METERSEC_DB": envDB, "METERSEC_CONFIG": cfg}, "migrate")
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("METERSEC_DB was not used over the config file: %v", err)
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("db = x.db\ndatabse = typo.db\n"), 0o600)
	if code, _, errOut := run(t, "", nil, "migrate", "--config", bad); code != 2 || !strings.Contains(errOut, `bad.conf:2: unknown setting "databse"`) {
		t.Fatalf("unknown key: %d %q", code, errOut)
	}
}

func TestServeRefusesAStaleSchema(t *testing.T) {
	db := filepath.Join(t.TempDir(), "empty.db")
	code, _, errOut := run(t, "", nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "run `metersec migrate") {
		t.Fatalf("serve on an empty database: %d %q", code, errOut)
	}
}

func TestAccountsTokensAuditAndBackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\nOPS,Operations,operator,,,\nARDM,Ardent Metering,manufacturer,PSIRT,psirt@ardent.example.org,\n"), 0o600)
	steps := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"migrate"}, 0, "current"},
		{"", []string{"import", "parties", parties}, 0, "2 created"},
		{"", []string{"import", "parties", parties}, 0, "2 unchanged"},
		{"a long enough password\n", []string{"user", "add", "--email", "ana@ardent.example.org", "--name", "Ana", "--org", "ARDM", "--roles", "manufacturer", "--password-stdin"}, 0, "added ana@ardent.example.org"},
		{"short\n", []string{"user", "add", "--email", "bo@ardent.example.org", "--name", "Bo", "--org", "ARDM", "--roles", "manufacturer", "--password-stdin"}, 1, "at least 12 characters"},
		{"a long enough password\n", []string{"user", "add", "--email", "cy@ardent.example.org", "--name", "Cy", "--org", "ARDM", "--roles", "supplier", "--password-stdin"}, 1, "needs an organisation with the role"},
		// Without --password-stdin nobody chooses the password (issue 15): with
		// no email server the operator is handed the one-time link, with one
		// the link is queued by email.
		{"", []string{"user", "add", "--email", "dee@ardent.example.org", "--name", "Dee", "--org", "ARDM", "--roles", "manufacturer", "--base-url", "https://metersec.example"}, 0, "no email server is set (--smtp-host), so no email was sent: give them this link yourself;\nit works once, until "},
		{"", []string{"user", "add", "--email", "eve@ardent.example.org", "--name", "Eve", "--org", "ARDM", "--roles", "manufacturer", "--smtp-host", "mail.example"}, 0, "a link to choose their password is queued for them by email"},
		{"", []string{"user", "list"}, 0, "ana@ardent.example.org"},
		// An operator cannot mint a token for a user (issue 14, 1): the user
		// proves who they are with their password.
		{"", []string{"token", "create", "--user", "ana@ardent.example.org", "--name", "feed", "--scopes", "read,import"}, 2, "--password-stdin"},
		{"not her password\n", []string{"token", "create", "--user", "ana@ardent.example.org", "--password-stdin", "--name", "feed"}, 1, "wrong email or password"},
		{"a long enough password\n", []string{"token", "create", "--user", "ana@ardent.example.org", "--password-stdin", "--name", "feed", "--days", "-5"}, 2, "--days must be a whole number from 1 to 366, not -5"},
		{"a long enough password\n", []string{"token", "create", "--user", "ana@ardent.example.org", "--password-stdin", "--name", "feed", "--scopes", "read,import"}, 0, "mst_"},
		{"", []string{"token", "list"}, 0, "feed"},
		{"", []string{"token", "revoke", "1"}, 0, "revoked token 1"},
		{"", []string{"user", "disable", "ana@ardent.example.org"}, 0, "disabled"},
		{"", []string{"audit", "verify"}, 0, "intact"},
		{"", []string{"backup", "--out", filepath.Join(dir, "copy.db")}, 0, "wrote"},
	}
	for _, s := range steps {
		args := append(append([]string{}, s.args...), "--db", db)
		code, out, errOut := run(t, s.stdin, nil, args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Fatalf("metersec %s: exit %d (want %d), out %q, err %q (want %q)", strings.Join(s.args, " "), code, s.code, out, errOut, s.want)
		}
	}
	// The backup is a working database with the same trail.
	if code, out, _ := run(t, "", nil, "audit", "verify", "--db", filepath.Join(dir, "copy.db")); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify the backup: %d %s", code, out)
	}
	// Tamper with one entry: verify names it and exits 1.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if code, out, _ := run(t, "", nil, "audit", "verify", "--db", db); code != 1 || !strings.Contains(out, "BROKEN at entry 3") {
		t.Fatalf("verify after tampering: %d %q", code, out)
	}
}

func TestDemoSeedsOnceAndReuses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := run(t, "", nil, "demo", "--db", db, "--seed-only")
	if code != 0 || !strings.Contains(out, "chair@ssc.example.org") || !strings.Contains(errOut, "seeding") {
		t.Fatalf("first demo: %d %s %s", code, out, errOut)
	}
	code, _, errOut = run(t, "", nil, "demo", "--db", db, "--seed-only")
	if code != 0 || !strings.Contains(errOut, "reusing") {
		t.Fatalf("second demo: %d %s", code, errOut)
	}
}
