package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
)

// TestUserAddSendsOrHandsTheLink: `user add` asks nobody for the new
// user's password (issue 15). With an email server set the link is queued
// by email, to the user only; without one it is handed to the operator,
// absolute on the site's --base-url, and through it the user chooses a
// password and signs in. The link works once.
func TestUserAddSendsOrHandsTheLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\nARDM,Ardent Metering,manufacturer,PSIRT,psirt@ardent.example.org,\n"), 0o600)
	for _, args := range [][]string{{"migrate"}, {"import", "parties", parties}} {
		if code, _, errOut := run(t, "", nil, append(args, "--db", dbPath)...); code != 0 {
			t.Fatal(errOut)
		}
	}
	add := func(env map[string]string, email string, extra ...string) addedUser {
		t.Helper()
		code, out, errOut := run(t, "", env, append([]string{"user", "add", "--db", dbPath, "--email", email, "--name", "Dee",
			"--org", "ARDM", "--roles", "manufacturer", "--format", "json"}, extra...)...)
		if code != 0 {
			t.Fatalf("user add %s: %d %s", email, code, errOut)
		}
		var got addedUser
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return got
	}
	// The site's settings are read as serve reads them.
	handed := add(map[string]string{"METERSEC_BASE_URL": "https://metersec.example"}, "dee@ardent.example.org")
	if handed.Emailed || !strings.HasPrefix(handed.Link, "https://metersec.example/signin/reset?code=") || handed.LinkExpiresAt == nil {
		t.Fatalf("without an email server: %+v", handed)
	}
	emailed := add(map[string]string{"METERSEC_SMTP_HOST": "mail.example"}, "eve@ardent.example.org")
	if !emailed.Emailed || emailed.Link != "" {
		t.Fatalf("with an email server: %+v", emailed)
	}

	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var jobs []string
	rows, err := db.QueryContext(ctx, "SELECT email FROM delivery_jobs WHERE kind = 'user.invite'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		rows.Scan(&e)
		jobs = append(jobs, e)
	}
	rows.Close()
	if strings.Join(jobs, " ") != "eve@ardent.example.org" {
		t.Fatalf("invitation emails queued for %v, want eve only", jobs)
	}
	s := account.NewService(db)
	if _, _, err := s.SignIn(ctx, "dee@ardent.example.org", "", "127.0.0.1", "test"); err == nil {
		t.Fatal("signed in before choosing a password")
	}
	code := handed.Link[strings.Index(handed.Link, "code=")+len("code="):]
	if _, _, err := s.CompleteReset(ctx, code, "a password dee chose herself", "127.0.0.1", "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignIn(ctx, "dee@ardent.example.org", "a password dee chose herself", "127.0.0.1", "test"); err != nil {
		t.Fatalf("signing in with the chosen password: %v", err)
	}
	if _, _, err := s.CompleteReset(ctx, code, "another password she likes", "127.0.0.1", "test"); err == nil {
		t.Fatal("the link worked twice")
	}
}
