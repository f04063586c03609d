package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/metersec/metersec/internal/secrets"
	"io"
	"math/big"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	smtpd "github.com/emersion/go-smtp"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestServeCrashLosesNoNotice runs the real binary: `metersec serve` delivers
// notices to an SMTP server on loopback (STARTTLS); mid-delivery the SMTP
// server stops and the metersec process is killed with SIGKILL; both start
// again, and every notice arrives, none lost, and no notice twice under two
// identities (a copy sent again after the crash carries the same key and
// Message-ID, so a mail client shows it once).
func TestServeCrashLosesNoNotice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := filepath.Join(t.TempDir(), "metersec")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { crashAndRestart(t, bin, engine) })
	}
}

func crashAndRestart(t *testing.T, bin string, engine store.Dialect) {
	ctx := context.Background()
	dsn := storetest.DSN(t, engine)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// 120 notices to organisations with two contacts each: 240 emails.
	const orgs, perOrg = 12, 10
	sys := access.SystemCaller("test")
	parties := &party.Service{DB: db}
	var ids []int64
	for i := range orgs {
		p, err := parties.Create(ctx, sys, party.NewParty{Code: fmt.Sprintf("S%02d", i), Name: fmt.Sprintf("Supplier %d", i),
			Roles: []string{"small_supplier"}, Contacts: []party.ContactInput{
				{Label: "primary", Name: "A", Email: fmt.Sprintf("a%d@example.org", i)},
				{Label: "deputy", Name: "B", Email: fmt.Sprintf("b%d@example.org", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	err = db.Write(ctx, sys, func(tx *store.Tx) error {
		for _, id := range ids {
			for n := range perOrg {
				if _, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: id, Kind: "test.notice", Title: fmt.Sprintf("Notice %d", n),
					Body: "A vulnerability affects Devices you operate.", Link: "/", Key: fmt.Sprintf("crash:%d", n)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := orgs * perOrg * 2

	box := &mailbox{byKey: map[string]map[string]bool{}, delay: 15 * time.Millisecond}
	sink := startSink(t, box)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, sink.pem, 0o600)
	host, port, _ := net.SplitHostPort(sink.addr)
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if _, err := secrets.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "--log-level", "warn", "--tick", "1h", "--secret-key-file", keyFile,
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "mandatory", "--smtp-ca-file", caFile,
		"--delivery-concurrency", "4", "--delivery-timeout", "250ms", "--delivery-lease", "4s", "--delivery-backoff", "100ms"}

	first := startServe(t, bin, args)
	waitUntil(t, 60*time.Second, "a third delivered", func() bool { total, _ := box.count(); return total >= want/3 })
	// Crash: the SMTP server goes away and the process is killed mid-send.
	sink.stop()
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	_, before := box.count()
	if before >= want {
		t.Fatalf("everything was delivered before the crash (%d): the test proves nothing", before)
	}
	t.Logf("%s: %d of %d distinct emails before the crash", engine, before, want)

	sink.start()
	second := startServe(t, bin, args)
	defer func() {
		second.cmd.Process.Signal(syscall.SIGTERM)
		second.cmd.Wait()
	}()
	waitUntil(t, 90*time.Second, "every email delivered", func() bool {
		_, distinct := box.count()
		return distinct >= want
	})
	total, distinct := box.count()
	if distinct != want {
		t.Fatalf("%d distinct emails arrived, want %d", distinct, want)
	}
	if ids := box.identities(); ids != want {
		t.Fatalf("%d distinct Message-IDs for %d emails: a resent copy changed identity", ids, want)
	}
	waitUntil(t, 30*time.Second, "the queue to record every delivery", func() bool {
		var n int
		db.QueryRowContext(ctx, "SELECT count(*) FROM delivery_jobs WHERE state <> 'delivered'").Scan(&n)
		return n == 0
	})
	t.Logf("%s: %d emails delivered, %d copies resent after the crash", engine, want, total-want)
}

type serveProcess struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startServe(t *testing.T, bin string, args []string) *serveProcess {
	t.Helper()
	p := &serveProcess{cmd: exec.Command(bin, args...), out: &bytes.Buffer{}}
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, &lockedWriter{w: p.out}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("serve output:\n%s", p.out.String())
		}
	})
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailbox records each email by its idempotency key, with the Message-IDs
// its copies carried.
type mailbox struct {
	mu    sync.Mutex
	total int
	byKey map[string]map[string]bool
	delay time.Duration
}

func (b *mailbox) count() (total, distinct int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total, len(b.byKey)
}

func (b *mailbox) identities() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, ids := range b.byKey {
		n += len(ids)
	}
	return n
}

type session struct{ box *mailbox }

func (s *session) Reset()                                {}
func (s *session) Logout() error                         { return nil }
func (s *session) Mail(string, *smtpd.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtpd.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, msg.Body)
	time.Sleep(s.box.delay)
	key := msg.Header.Get("X-Metersec-Idempotency-Key")
	if key == "" {
		return fmt.Errorf("no idempotency key")
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.total++
	if s.box.byKey[key] == nil {
		s.box.byKey[key] = map[string]bool{}
	}
	s.box.byKey[key][msg.Header.Get("Message-Id")] = true
	return nil
}

// sink is an SMTP server on loopback with STARTTLS, stoppable and
// restartable on the same port.
type sink struct {
	t    *testing.T
	box  *mailbox
	addr string
	cert tls.Certificate
	pem  []byte
	srv  *smtpd.Server
	done chan struct{}
}

func startSink(t *testing.T, box *mailbox) *sink {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{t: t, box: box, addr: "127.0.0.1:0",
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *sink) start() {
	var l net.Listener
	var err error
	for range 100 { // the port may take a moment to be free after a stop
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("SMTP listen on %s: %v", s.addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtpd.NewServer(smtpd.BackendFunc(func(*smtpd.Conn) (smtpd.Session, error) { return &session{box: s.box}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv, s.done = srv, make(chan struct{})
	go func() { defer close(s.done); srv.Serve(l) }()
}

func (s *sink) stop() {
	if s.srv != nil {
		s.srv.Close()
		<-s.done
		s.srv = nil
	}
}
