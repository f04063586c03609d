package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestTwoServersOnePostgres runs two `metersec serve` processes on one
// PostgreSQL database, as behind a load balancer, and checks what must hold
// across them: a session opened at one is good at the other; sign-in
// failures spread over both count against one limit; every slot of the
// scheduled work runs once (the audit checkpoint, every second, is the
// witness: each run writes a checkpoint and emails it to the SSC); and every
// email, queued before and while both run, reaches a real SMTP server
// exactly once.
func TestTwoServersOnePostgres(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set: several servers share a PostgreSQL database only", storetest.PostgresEnv)
	}
	if testing.Short() {
		t.Skip("builds the binary and runs two servers")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "metersec")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dsn := storetest.DSN(t, store.Postgres)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// The world: the SSC (two contacts: each checkpoint is two emails), ten
	// Suppliers with two contacts each, and one user to sign in as.
	sys := access.SystemCaller("test")
	parties := &party.Service{DB: db}
	if _, err := parties.Create(ctx, sys, party.NewParty{Code: "SSC", Name: "Security Sub-Committee", Roles: []string{"ssc"},
		Contacts: []party.ContactInput{{Label: "primary", Name: "Chair", Email: "chair@ssc.example.org"},
			{Label: "deputy", Name: "Secretary", Email: "sec@ssc.example.org"}}}); err != nil {
		t.Fatal(err)
	}
	var orgs []int64
	for i := range 10 {
		p, err := parties.Create(ctx, sys, party.NewParty{Code: fmt.Sprintf("S%02d", i), Name: fmt.Sprintf("Supplier %d", i),
			Roles: []string{"small_supplier"}, Contacts: []party.ContactInput{
				{Label: "primary", Name: "A", Email: fmt.Sprintf("a%d@example.org", i)},
				{Label: "deputy", Name: "B", Email: fmt.Sprintf("b%d@example.org", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, p.ID)
	}
	const password = "amber lantern quietly 7831"
	accounts := account.NewService(db)
	for _, email := range []string{"ana@s00.example.org", "bo@s00.example.org"} {
		if _, err := accounts.AddUser(ctx, sys, account.NewUser{Email: email, Name: email, Org: "S00",
			Roles: []string{"supplier"}, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	notify := func(round int) {
		t.Helper()
		if err := db.Write(ctx, sys, func(tx *store.Tx) error {
			for _, id := range orgs {
				for n := range 3 {
					if _, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: id, Kind: "test.notice",
						Title: fmt.Sprintf("Notice %d.%d", round, n), Body: "A vulnerability affects Devices you operate.",
						Link: "/", Key: fmt.Sprintf("two-servers:%d:%d", round, n)}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	notify(0) // 60 emails waiting before either server starts

	keyFile := filepath.Join(dir, "audit.key")
	if _, err := audit.GenerateKey(keyFile, keyFile+".pub"); err != nil {
		t.Fatal(err)
	}
	// One secret key for both: they seal and open the same database's
	// secrets, as servers behind one load balancer must.
	secretKeyFile := filepath.Join(dir, "secret.key")
	if _, err := secrets.WriteKeyFile(secretKeyFile); err != nil {
		t.Fatal(err)
	}
	box := &mailbox{byKey: map[string]map[string]bool{}, delay: 5 * time.Millisecond}
	sink := startSink(t, box)
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, sink.pem, 0o600)
	smtpHost, smtpPort, _ := net.SplitHostPort(sink.addr)

	var bases [2]string
	var procs [2]*serveProcess
	for i := range procs {
		addr := freeAddr(t)
		bases[i] = "http://" + addr
		procs[i] = startServe(t, bin, []string{"serve", "--db", dsn, "--addr", addr, "--log-level", "warn",
			"--secret-key-file", secretKeyFile, "--audit-key-file", keyFile, "--audit-checkpoint-every", "1s",
			"--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "mandatory", "--smtp-ca-file", caFile,
			"--delivery-concurrency", "4", "--delivery-backoff", "100ms"})
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			p.cmd.Wait()
		}
	}
	defer stop()
	for _, base := range bases {
		waitUntil(t, 30*time.Second, base+" to be ready", func() bool {
			resp, err := http.Get(base + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	started := time.Now()
	notify(1) // 60 more while both run
	// Something new in the trail every 100 ms, so that every one-second
	// slot has a head to sign (a quiet trail is not signed again).
	ticking := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for i := 0; ; i++ {
			select {
			case <-ticking:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if err := db.Write(ctx, sys, func(tx *store.Tx) error {
				return audit.Record(ctx, tx, "test.tick", "test", i, nil)
			}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	stopTicking := func() {
		select {
		case <-ticking:
		default:
			close(ticking)
			<-ticked
		}
	}
	defer stopTicking()

	// Sessions live in the database: signed in at one, known at the other.
	resp := signInAt(t, bases[0], "bo@s00.example.org", password)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in at server 0: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", bases[1]+"/api/v1/me", nil)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	me, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(me.Body)
	me.Body.Close()
	if me.StatusCode != http.StatusOK || !strings.Contains(string(body), "bo@s00.example.org") {
		t.Fatalf("the session from server 0 at server 1: %d %s", me.StatusCode, body)
	}

	// Five failures, alternating between the servers, lock the account on
	// both: with a limit per process neither would have seen five.
	for i := range 5 {
		if r := signInAt(t, bases[i%2], "ana@s00.example.org", "wrong password!"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d at server %d: %d", i+1, i%2, r.StatusCode)
		}
	}
	for i, base := range bases {
		if r := signInAt(t, base, "ana@s00.example.org", password); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("server %d after five failures over both: %d, want 429 even with the right password", i, r.StatusCode)
		}
	}

	// Let the schedule fire at both, every second, for a while.
	time.Sleep(7*time.Second - time.Since(started))
	stop()
	stopTicking()
	elapsed := time.Since(started) + 3*time.Second // the first run waits 2 s after each start

	var checkpoints, runs, holders int
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_checkpoints").Scan(&checkpoints)
	db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT holder) FROM schedule_runs WHERE task = 'audit checkpoint'").Scan(&runs, &holders)
	// Each claimed run signs at most once (a run that finds nothing new since
	// the last checkpoint signs nothing), and there is one slot a second.
	if checkpoints > runs || checkpoints < 3 || float64(runs) > elapsed.Seconds()+1 {
		t.Fatalf("%d checkpoints from %d claimed runs in about %.0f s of one-second slots over two servers: want one per slot",
			checkpoints, runs, elapsed.Seconds())
	}
	for _, task := range []string{"vulnerabilities", "coverage alerts"} {
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schedule_runs WHERE task = $1", task).Scan(&n)
		if n < 1 || n > 2 { // two only if a slot boundary fell between the servers' first firings
			t.Errorf("%s ran %d times", task, n)
		}
	}
	var signed int
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.checkpoint'").Scan(&signed)
	if signed != checkpoints {
		t.Fatalf("%d checkpoint audit entries for %d checkpoints", signed, checkpoints)
	}
	rep, err := audit.Verify(ctx, db)
	if err != nil || !rep.OK() {
		t.Fatalf("the trail two servers wrote: %+v %v", rep, err)
	}

	// Every email once: the stopped servers finished what they had sent;
	// one server started again delivers the rest, and nothing twice.
	want := 2*len(orgs)*3*2 + 2*checkpoints
	var queued int
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM delivery_jobs").Scan(&queued)
	if queued != want {
		t.Fatalf("%d delivery jobs, want %d", queued, want)
	}
	addr := freeAddr(t)
	last := startServe(t, bin, []string{"serve", "--db", dsn, "--addr", addr, "--log-level", "warn",
		"--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "mandatory", "--smtp-ca-file", caFile})
	defer func() { last.cmd.Process.Signal(syscall.SIGTERM); last.cmd.Wait() }()
	waitUntil(t, 60*time.Second, "every email delivered", func() bool {
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM delivery_jobs WHERE state = 'delivered'").Scan(&n)
		return n == want
	})
	total, distinct := box.count()
	if total != want || distinct != want {
		t.Fatalf("the SMTP server received %d emails, %d distinct; want each of %d exactly once", total, distinct, want)
	}
	t.Logf("%d checkpoints (one per one-second slot, run by %d servers), %d emails each delivered once", checkpoints, holders, want)
}

// signInAt posts the sign-in form to one server, not following redirects.
func signInAt(t *testing.T, base, email, password string) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/signin", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// freeAddr finds a loopback port free now, for a server to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
