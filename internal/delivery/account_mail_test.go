package delivery

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestNewUserChoosesTheirPasswordThroughTheEmailedLink: an administrator
// adds an account without typing a password (issue 15); the new user gets
// an email over real SMTP with a one-time link, chooses a password through
// it and signs in with that password. Nothing signs in before, and the link
// works once.
func TestNewUserChoosesTheirPasswordThroughTheEmailedLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		box := newMailbox()
		sink := startSMTP(t, box)
		addOrg(t, db, "OPS", "operator")
		addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		admin := addUser(t, db, "OPS", "admin@ops.example", "admin")
		accounts := account.NewService(db)
		const email = "new@supa.example"
		if _, err := accounts.AddUser(ctx, admin, account.NewUser{Email: email, Name: "New Person", Org: "SUPA", Roles: []string{"supplier"}, Password: "chosen by the admin"}); err == nil {
			t.Fatal("an administrator chose a new user's password")
		}
		u, err := accounts.AddUser(ctx, admin, account.NewUser{Email: email, Name: "New Person", Org: "SUPA", Roles: []string{"supplier"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := accounts.SignIn(ctx, email, "", "127.0.0.1", "test"); err == nil {
			t.Fatal("signed in before choosing a password")
		}
		runWorker(t, db, testConfig(t, sink, nil))
		waitFor(t, 10*time.Second, "the email", func() bool { n, _ := box.count(); return n == 1 })

		box.mu.Lock()
		var raw string
		for _, b := range box.bodies {
			raw = b
		}
		box.mu.Unlock()
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if to := msg.Header.Get("To"); !strings.Contains(to, email) {
			t.Fatalf("sent to %q, not to the new user", to)
		}
		var body io.Reader = msg.Body
		switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(msg.Body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, msg.Body)
		}
		var text bytes.Buffer
		io.Copy(&text, body)
		m := regexp.MustCompile(`https://metersec\.test/signin/reset\?code=([A-Za-z0-9_-]+)`).FindStringSubmatch(text.String())
		if m == nil || !strings.Contains(text.String(), "choose your password") {
			t.Fatalf("no link in the email:\n%s", text.String())
		}
		if who, err := accounts.CheckReset(ctx, m[1]); err != nil || who != u.Email {
			t.Fatalf("the link is for %q: %v", who, err)
		}
		if _, _, err := accounts.CompleteReset(ctx, m[1], "a phrase new person chose", "127.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		if _, sess, err := accounts.SignIn(ctx, email, "a phrase new person chose", "127.0.0.1", "test"); err != nil || sess.User.Email != email {
			t.Fatalf("signing in with the chosen password: %v", err)
		}
		if _, _, err := accounts.CompleteReset(ctx, m[1], "another phrase entirely", "127.0.0.1", "test"); err == nil {
			t.Fatal("the link worked twice")
		}
	})
}
