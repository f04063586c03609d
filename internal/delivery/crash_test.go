package delivery

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// The crash test runs the worker in a child process (this test binary,
// re-run with helperEnv set), so that it can be killed for real.
const (
	helperEnv     = "METERSEC_DELIVERY_HELPER"
	helperDSNEnv  = "METERSEC_DELIVERY_HELPER_DSN"
	helperSMTPEnv = "METERSEC_DELIVERY_HELPER_SMTP"
	helperCAEnv   = "METERSEC_DELIVERY_HELPER_CA"
)

// TestHelperProcess is not a test: it is the worker process that
// TestCrashLosesNothing starts and kills. It builds its worker with
// NewWorker, as the server does, and runs until it is signalled.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the worker process of TestCrashLosesNothing")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	db, err := store.Open(ctx, os.Getenv(helperDSNEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pem, err := os.ReadFile(os.Getenv(helperCAEnv))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	host, port, _ := net.SplitHostPort(os.Getenv(helperSMTPEnv))
	p, _ := strconv.Atoi(port)
	w, err := NewWorker(db, Config{
		SMTP: SMTPConfig{Host: host, Port: p, From: "metersec <noreply@metersec.test>", TLS: "mandatory",
			RootCAs: pool, Timeout: 500 * time.Millisecond},
		Concurrency: 4, BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		Webhook: WebhookConfig{Timeout: time.Second},
		Lease:   6 * time.Second, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// workerProcess is a running child worker.
type workerProcess struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // how it exited
}

func startWorkerProcess(t *testing.T, dsn string, sink *smtpSink, caFile string) *workerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDSNEnv+"="+dsn, helperSMTPEnv+"="+sink.addr, helperCAEnv+"="+caFile)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &workerProcess{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("worker process %d output:\n%s", cmd.Process.Pid, out.String())
		}
	})
	return p
}

// alive fails the test if the process has exited.
func (p *workerProcess) alive(t *testing.T) bool {
	select {
	case <-p.done:
		t.Fatalf("the worker process exited: %v\n%s", p.err, p.out.String())
	default:
	}
	return true
}

func (p *workerProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop asks the worker to finish and waits for it to exit cleanly.
func (p *workerProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	if p.err != nil {
		t.Errorf("worker process: %v\n%s", p.err, p.out.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCrashLosesNothing enqueues 300 emails, lets a worker process deliver
// some, kills it with SIGKILL mid-delivery and stops the SMTP server, then
// starts a new worker (while the server is still down) and the server again,
// and checks that every message arrived, that the reader-visible set is
// exact, and that any copy sent twice (the crash window: accepted by the
// server, not yet recorded) carries the same Message-ID.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 300
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
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
			box := newMailbox()
			box.delay = 10 * time.Millisecond // keep sends in flight
			sink := startSMTP(t, box)
			caFile := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(caFile, sink.pem, 0o600); err != nil {
				t.Fatal(err)
			}

			want := map[string]bool{}
			err = db.Write(ctx, system, func(tx *store.Tx) error {
				for i := range n {
					m := Message{Kind: "crash.test", Channel: Email, Email: fmt.Sprintf("r%03d@crash.example", i),
						Subject: fmt.Sprintf("Message %d", i), Body: "body", Key: fmt.Sprintf("crash:%d", i)}
					if _, err := Enqueue(ctx, tx, m); err != nil {
						return err
					}
					want[DeliveryID(m.Key)] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			first := startWorkerProcess(t, dsn, sink, caFile)
			waitFor(t, 60*time.Second, "a third of the messages", func() bool {
				_, d := box.count()
				return first.alive(t) && d >= n/3
			})
			first.kill(t)
			sink.stop()
			atCrash := states(t, db)
			t.Logf("at the crash: %v", atCrash)
			if atCrash[Sending] == 0 {
				t.Errorf("no job was mid-delivery when the worker was killed: %v", atCrash)
			}
			if atCrash[Delivered] == n {
				t.Fatal("everything was delivered before the crash")
			}

			// The new worker starts while the server is still down: its
			// first attempts fail and are retried.
			second := startWorkerProcess(t, dsn, sink, caFile)
			time.Sleep(300 * time.Millisecond)
			sink.start()
			waitFor(t, 60*time.Second, "every job delivered", func() bool {
				return second.alive(t) && states(t, db)[Delivered] == n
			})
			second.stop(t)

			box.mu.Lock()
			defer box.mu.Unlock()
			for key := range want {
				if len(box.byKey[key]) == 0 {
					t.Errorf("message %s never arrived", key)
				}
			}
			if len(box.byKey) != n {
				t.Errorf("%d distinct messages arrived, want %d", len(box.byKey), n)
			}
			dups := 0
			for key, ids := range box.byKey {
				for _, id := range ids[1:] {
					dups++
					if id != ids[0] {
						t.Errorf("the copies of %s have different Message-IDs: %v", key, ids)
					}
				}
			}
			t.Logf("%d messages received for %d enqueued: %d copies from the crash window, each with its original Message-ID", box.total, n, dups)
			if box.plain != 0 {
				t.Errorf("%d messages arrived without TLS", box.plain)
			}
			if e := sink.errors.String(); e != "" {
				t.Errorf("after the restart, the SMTP server saw errors:\n%s", e)
			}
		})
	}
}
