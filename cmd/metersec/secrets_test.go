package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// Issue 14 (11): secrets at rest need a key; serve refuses to start without
// one unless --insecure-dev; secrets rotate re-seals under a new key.
func TestSecretsCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "m.db")
	k1, k2, k3 := filepath.Join(dir, "k1"), filepath.Join(dir, "k2"), filepath.Join(dir, "k3")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\nSSC,Security Sub-Committee,ssc,,,\n"), 0o600)
	for _, s := range []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"migrate"}, 0, "current"},
		{"", []string{"import", "parties", parties}, 0, "1 created"},
		{"correct horse battery\n", []string{"user", "add", "--email", "chair@ssc.example.org", "--name", "Chair", "--org", "SSC", "--roles", "ssc_member", "--password-stdin"}, 0, "added"},
		{"", []string{"serve", "--addr", "127.0.0.1:0"}, 2, "secrets keygen"},
		{"", []string{"secrets", "keygen", "--out", k1}, 0, "wrote key"},
		{"", []string{"secrets", "keygen", "--out", k1}, 1, "exists"},
		{"", []string{"secrets", "keygen", "--out", k2}, 0, "wrote key"},
		{"", []string{"secrets", "keygen", "--out", k3}, 0, "wrote key"},
		{"", []string{"secrets", "keygen"}, 0, "="},
		{"", []string{"secrets", "rotate"}, 2, "--new-key-file"},
	} {
		args := append(append([]string{}, s.args...), "--db", dbPath)
		if s.args[0] == "secrets" && s.args[1] == "keygen" {
			args = s.args
		}
		code, out, errOut := run(t, s.stdin, nil, args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Fatalf("metersec %s: exit %d (want %d), out %q, err %q (want %q)", strings.Join(s.args, " "), code, s.code, out, errOut, s.want)
		}
	}
	// A seed set in the clear, as before secrets were sealed.
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	s := account.NewService(db)
	us, _ := s.ListUsers(ctx, access.SystemCaller("test"), "")
	const seed = "JBSWY3DPEHPK3PXP"
	if err := s.SetTOTPSecret(ctx, access.SystemCaller("test"), us[0].ID, seed); err != nil {
		t.Fatal(err)
	}
	db.Close()
	stored := func() string {
		raw, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var v string
		raw.QueryRow("SELECT mfa_secret FROM users").Scan(&v)
		return v
	}
	id := func(path string) string {
		b, err := secrets.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b.ID()
	}
	for _, s := range []struct {
		args []string
		env  map[string]string
		code int
		want string
		key  string // the key the seed must be sealed under after
	}{
		{[]string{"secrets", "rotate", "--new-key-file", k1}, nil, 0, "sealed 1 TOTP and 0 webhook", k1},
		{[]string{"secrets", "rotate", "--new-key-file", k1}, nil, 0, "sealed 0 TOTP", k1},
		{[]string{"secrets", "rotate", "--new-key-file", k2}, nil, 1, id(k1), k1},
		{[]string{"secrets", "rotate", "--old-key-file", k3, "--new-key-file", k2}, nil, 1, "not given", k1},
		{[]string{"secrets", "rotate", "--old-key-file", k1, "--new-key-file", k2, "--format", "json"}, nil, 0, `"totp": 1`, k2},
		// A server given no key, or the wrong one, refuses to start.
		{[]string{"serve", "--addr", "127.0.0.1:0", "--insecure-dev"}, nil, 1, id(k2), k2},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--secret-key-file", k1}, nil, 1, id(k2), k2},
		{[]string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"METERSEC_SECRET_KEY_FILE": k1}, 1, id(k2), k2},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--token-mfa-window", "-5m", "--insecure-dev"}, nil, 2, "--token-mfa-window", k2},
	} {
		code, out, errOut := run(t, "", s.env, append(s.args, "--db", dbPath)...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Fatalf("metersec %s: exit %d (want %d), out %q, err %q (want %q)", strings.Join(s.args, " "), code, s.code, out, errOut, s.want)
		}
		if v := stored(); secrets.KeyID(v) != id(s.key) || strings.Contains(v, seed) {
			t.Fatalf("after metersec %s the seed is stored as %q", strings.Join(s.args, " "), v)
		}
	}
	// A world-readable key file is refused.
	os.Chmod(k2, 0o644)
	if code, _, errOut := run(t, "", nil, "serve", "--addr", "127.0.0.1:0", "--secret-key-file", k2, "--db", dbPath); code != 2 || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("a world-readable key: %d %q", code, errOut)
	}
}

// Issue 14 (8): out-of-range settings fell back to defaults unseen (a
// negative concurrency became 8). serve names the flag instead.
func TestServeRefusesOutOfRangeSettings(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "m.db")
	if code, _, errOut := run(t, "", nil, "migrate", "--db", dbPath); code != 0 {
		t.Fatal(errOut)
	}
	for _, bad := range [][]string{
		{"--delivery-concurrency", "-3"}, {"--delivery-concurrency", "0"}, {"--delivery-concurrency", "257"},
		{"--smtp-port", "0"}, {"--smtp-port", "65536"},
		{"--delivery-timeout", "-1s"}, {"--delivery-lease", "0s"}, {"--delivery-backoff", "-5s"},
		{"--shutdown-grace", "-1s"}, {"--tick", "0s"}, {"--token-mfa-window", "59s"}, {"--token-mfa-window", "12h1m"},
	} {
		args := append([]string{"serve", "--db", dbPath, "--addr", "127.0.0.1:0", "--insecure-dev"}, bad...)
		code, _, errOut := run(t, "", nil, args...)
		if code != 2 || !strings.Contains(errOut, bad[0]+" must be from") || !strings.Contains(errOut, "not "+strings.TrimPrefix(bad[1], "+")) {
			t.Errorf("serve %s %s: exit %d, %q", bad[0], bad[1], code, errOut)
		}
	}
}
