package delivery

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	smtpd "github.com/emersion/go-smtp"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
)

var system = access.SystemCaller("test")

// addOrg registers an organisation with the given roles and one security
// contact per email address, through the party service.
func addOrg(t testing.TB, db *store.DB, code, role string, emails ...string) int64 {
	t.Helper()
	in := party.NewParty{Code: code, Name: code + " Ltd", Roles: []string{role}}
	for i, e := range emails {
		in.Contacts = append(in.Contacts, party.ContactInput{Label: "c" + strconv.Itoa(i), Name: "Contact " + strconv.Itoa(i), Email: e})
	}
	p, err := (&party.Service{DB: db}).Create(context.Background(), system, in)
	if err != nil {
		t.Fatalf("add organisation %s: %v", code, err)
	}
	return p.ID
}

// addUser adds a user to an organisation and returns the user as a caller.
func addUser(t testing.TB, db *store.DB, org, email, role string) access.Caller {
	t.Helper()
	u, err := account.NewService(db).AddUser(context.Background(), system, account.NewUser{
		Email: email, Name: email, Org: org, Roles: []string{role}, Password: "a long enough password"})
	if err != nil {
		t.Fatalf("add user %s: %v", email, err)
	}
	return u.Caller("session", nil)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testConfig is a worker configuration for tests: short waits everywhere, and
// the SMTP server's own certificate as the only one trusted, with TLS
// required, so a test passing proves the mail went over TLS.
func testConfig(t testing.TB, sink *smtpSink, hooks *receiver) Config {
	cfg := Config{
		Concurrency: 4, BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Lease: 30 * time.Second, PollInterval: 50 * time.Millisecond, Logger: testLogger(t),
		BaseURL: "https://metersec.test",
		Webhook: WebhookConfig{Timeout: 2 * time.Second},
	}
	if sink != nil {
		cfg.SMTP = sink.config()
	}
	if hooks != nil && hooks.srv.TLS != nil {
		pool := x509.NewCertPool()
		pool.AddCert(hooks.srv.Certificate())
		cfg.Webhook.RootCAs = pool
	}
	return cfg
}

// runWorker runs a worker until the test ends.
func runWorker(t testing.TB, db *store.DB, cfg Config) *Worker {
	t.Helper()
	w, err := NewWorker(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	return w
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// states counts jobs by state.
func states(t testing.TB, db *store.DB) map[State]int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT state, count(*) FROM delivery_jobs GROUP BY state")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var s State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "metersec test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, pemCert
}

// mailbox is what the test SMTP server received, kept across restarts.
type mailbox struct {
	mu     sync.Mutex
	byKey  map[string][]string // X-Metersec-Idempotency-Key → Message-IDs of each copy
	last   map[string]*mail.Message
	bodies map[string]string
	total  int
	plain  int // messages received without TLS

	delay    time.Duration   // before accepting each message
	failNext atomic.Int32    // answer 451 to this many messages
	conns    map[string]bool // client addresses: one per connection (a session starts at each EHLO)
	reject   func(rcpt string) bool
}

func newMailbox() *mailbox {
	return &mailbox{byKey: map[string][]string{}, last: map[string]*mail.Message{}, bodies: map[string]string{},
		conns: map[string]bool{}}
}

func (b *mailbox) count() (total, distinct int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total, len(b.byKey)
}

type sinkSession struct {
	box  *mailbox
	conn *smtpd.Conn
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(string, *smtpd.MailOptions) error {
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtpd.RcptOptions) error {
	if s.box.reject != nil && s.box.reject(to) {
		return &smtpd.SMTPError{Code: 550, EnhancedCode: smtpd.EnhancedCode{5, 1, 1}, Message: "no such mailbox " + to}
	}
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.box.failNext.Add(-1) >= 0 {
		return &smtpd.SMTPError{Code: 451, EnhancedCode: smtpd.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	time.Sleep(s.box.delay)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	key := msg.Header.Get("X-Metersec-Idempotency-Key")
	_, isTLS := s.conn.TLSConnectionState()
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.total++
	if !isTLS {
		s.box.plain++
	}
	s.box.byKey[key] = append(s.box.byKey[key], msg.Header.Get("Message-Id"))
	s.box.last[key] = msg
	s.box.bodies[key] = string(raw)
	return nil
}

// smtpSink is an SMTP server on loopback offering STARTTLS with a
// self-signed certificate. It can be stopped and started again on the same
// port.
type smtpSink struct {
	t    testing.TB
	box  *mailbox
	addr string
	cert tls.Certificate
	pool *x509.CertPool
	pem  []byte
	srv  *smtpd.Server
	done chan struct{}
	// errors is what the server, since its last start, logged about its
	// connections.
	errors *syncBuffer
}

func startSMTP(t testing.TB, box *mailbox) *smtpSink {
	t.Helper()
	cert, pool, pemCert := selfSigned(t)
	s := &smtpSink{t: t, box: box, addr: "127.0.0.1:0", cert: cert, pool: pool, pem: pemCert}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *smtpSink) start() {
	s.t.Helper()
	var l net.Listener
	var err error
	// After a stop the port may take a moment to be free again.
	for range 50 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("SMTP listen: %v", err)
	}
	s.addr = l.Addr().String()
	srv := smtpd.NewServer(smtpd.BackendFunc(func(c *smtpd.Conn) (smtpd.Session, error) {
		s.box.mu.Lock()
		s.box.conns[c.Conn().RemoteAddr().String()] = true
		s.box.mu.Unlock()
		return &sinkSession{box: s.box, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	// The server's complaints (a corrupt TLS record, a command out of
	// order) are the client's mistakes: tests can check there are none.
	s.errors = &syncBuffer{}
	srv.ErrorLog = log.New(s.errors, "", 0)
	s.srv, s.done = srv, make(chan struct{})
	go func() {
		defer close(s.done)
		srv.Serve(l)
	}()
}

// stop closes the listener and every connection at once, as a crash would.
func (s *smtpSink) stop() {
	if s.srv == nil {
		return
	}
	s.srv.Close()
	<-s.done
	s.srv = nil
}

func (s *smtpSink) config() SMTPConfig {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	return SMTPConfig{Host: host, Port: p, From: "metersec <noreply@metersec.test>", TLS: "mandatory",
		RootCAs: s.pool, Timeout: 2 * time.Second}
}

// receiver is a webhook endpoint that checks every call's signature.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	byKey    map[string]int
	events   []Event
	calls    int
	badSigs  int
	status   func(call int) int // the status to answer the n-th call (from 1)
	hangNext atomic.Int32       // hang this many calls past any timeout
}

func newReceiver(t testing.TB, useTLS bool) *receiver {
	r := &receiver{byKey: map[string]int{}, status: func(int) int { return http.StatusNoContent }}
	h := http.HandlerFunc(r.serve)
	if useTLS {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if r.hangNext.Add(-1) >= 0 {
		// The body is read, so the server notices the caller hanging up.
		select {
		case <-req.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if err := VerifySignature(r.secret, req.Header.Get(HeaderTimestamp), body, req.Header.Get(HeaderSignature), 5*time.Minute); err != nil {
		r.badSigs++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get(HeaderIdempotencyKey) {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	status := r.status(r.calls)
	if status >= 200 && status < 300 {
		r.byKey[e.ID]++
		r.events = append(r.events, e)
	}
	w.WriteHeader(status)
}

func (r *receiver) received() (calls, distinct int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, len(r.byKey)
}

var errRollBack = errors.New("roll back")

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
