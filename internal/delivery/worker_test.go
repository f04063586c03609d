package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func jobOf(t *testing.T, db *store.DB, where string, args ...any) Delivery {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT "+deliveryColumns(system)+" FROM delivery_jobs j WHERE "+where, args...)
	ds, err := scanDeliveries(rows, err)
	if err != nil || len(ds) != 1 {
		t.Fatalf("job where %s: %d found, %v", where, len(ds), err)
	}
	return ds[0]
}

func TestDeliverEmailAndWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		box := newMailbox()
		sink := startSMTP(t, box)
		hooks := newReceiver(t, true)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		ep, secret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(secret)
		runWorker(t, db, testConfig(t, sink, hooks))

		sent := notify(t, db, notice(org, "vulnerability:42:notified"))
		waitFor(t, 10*time.Second, "both deliveries", func() bool { return states(t, db)[Delivered] == 2 })

		key := NoticeKey("vulnerability:42:notified", org)
		emailID := DeliveryID(key + "|email:sec@supa.example")
		box.mu.Lock()
		msg, plain := box.last[emailID], box.plain
		box.mu.Unlock()
		if msg == nil {
			t.Fatalf("no email with key %s; got %v", emailID, box.byKey)
		}
		if plain != 0 {
			t.Errorf("%d messages arrived without TLS", plain)
		}
		if got := msg.Header.Get("Message-Id"); got != "<"+emailID+"@metersec.test>" {
			t.Errorf("Message-ID = %s", got)
		}
		if got := msg.Header.Get("Subject"); got != "[TLP:AMBER] Material vulnerability in model X" {
			t.Errorf("Subject = %q", got)
		}
		box.mu.Lock()
		raw := box.bodies[emailID]
		box.mu.Unlock()
		for _, want := range []string{"https://metersec.test/vulnerabilities/42", "Share within your organisation only", "G3.17"} {
			if !strings.Contains(raw, want) {
				t.Errorf("email lacks %q:\n%s", want, raw)
			}
		}

		hooks.mu.Lock()
		events, bad := hooks.events, hooks.badSigs
		hooks.mu.Unlock()
		if bad != 0 || len(events) != 1 {
			t.Fatalf("receiver got %d events, %d bad signatures", len(events), bad)
		}
		e := events[0]
		if e.ID != DeliveryID(key+"|webhook:"+itoa(ep.ID)) || e.Kind != "vulnerability.notified" || e.TLP != "AMBER" ||
			e.Record == nil || e.Record.ID != 42 || e.Link != "https://metersec.test/vulnerabilities/42" {
			t.Errorf("event = %+v", e)
		}
		var data map[string]int
		if err := json.Unmarshal(e.Data, &data); err != nil || data["vulnerability"] != 42 {
			t.Errorf("event data = %s", e.Data)
		}

		ds, err := svc.RecordDeliveries(ctx, user, "vulnerability", 42)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries = %+v, %v", ds, err)
		}
		for _, d := range ds {
			if d.State != Delivered || d.DeliveredAt == nil || d.Attempts != 1 || d.NoticeID != sent.NoticeID {
				t.Errorf("delivery = %+v", d)
			}
		}
		eps, _ := svc.Endpoints(ctx, user, 0)
		if len(eps) != 1 || eps[0].LastSuccessAt == nil {
			t.Errorf("endpoint after delivery = %+v", eps)
		}
	})
}

func TestWebhookRetriesUntilTheReceiverRecovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		// Down (500), overloaded (429), then up.
		hooks.status = func(call int) int {
			switch call {
			case 1:
				return http.StatusInternalServerError
			case 2:
				return http.StatusTooManyRequests
			}
			return http.StatusOK
		}
		addOrg(t, db, "SUPA", "large_supplier")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		_, secret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(secret)
		runWorker(t, db, testConfig(t, nil, hooks))
		notify(t, db, notice(user.OrgID, "k"))
		waitFor(t, 10*time.Second, "delivery", func() bool { return states(t, db)[Delivered] == 1 })
		d := jobOf(t, db, "j.channel = 'webhook'")
		if d.Attempts != 3 {
			t.Errorf("attempts = %d, want 3", d.Attempts)
		}
		if calls, distinct := hooks.received(); calls != 3 || distinct != 1 {
			t.Errorf("receiver: %d calls, %d distinct", calls, distinct)
		}
	})
}

func TestWebhookThatHangsIsRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		hooks.hangNext.Store(2)
		box := newMailbox()
		sink := startSMTP(t, box)
		addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		_, secret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(secret)
		cfg := testConfig(t, sink, hooks)
		cfg.Webhook.Timeout = 300 * time.Millisecond
		runWorker(t, db, cfg)
		start := time.Now()
		notify(t, db, notice(user.OrgID, "k"))
		// The email does not wait for the hanging endpoint.
		waitFor(t, 5*time.Second, "the email", func() bool { _, n := box.count(); return n == 1 })
		waitFor(t, 10*time.Second, "the webhook", func() bool { return states(t, db)[Delivered] == 2 })
		// Two timeouts, then the call that went through (on a slow machine a
		// timeout may also hit a call that was not made to hang).
		d := jobOf(t, db, "j.channel = 'webhook'")
		if d.Attempts < 3 {
			t.Errorf("attempts = %d, want at least 3", d.Attempts)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("took %s", took)
		}
		eps, _ := svc.Endpoints(ctx, user, 0)
		if !strings.Contains(eps[0].LastError, "did not answer within 300ms") {
			t.Errorf("endpoint last error = %q", eps[0].LastError)
		}
		if strings.Contains(eps[0].LastError, hooks.srv.URL) {
			t.Errorf("the error shows the URL: %q", eps[0].LastError)
		}
	})
}

func TestRefusedWebhookGoesDeadAndCanBeRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier")
		addOrg(t, db, "OPS", "operator")
		admin := addUser(t, db, "OPS", "admin@ops.example", "admin")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		_, secret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		// The receiver has the wrong secret: every call is refused (401).
		hooks.setSecret("not the secret")
		cfg := testConfig(t, nil, hooks)
		cfg.RefusedAttempts = 3
		runWorker(t, db, cfg)
		notify(t, db, notice(user.OrgID, "k"))
		waitFor(t, 10*time.Second, "the job to die", func() bool { return states(t, db)[Dead] == 1 })
		d := jobOf(t, db, "j.channel = 'webhook'")
		if d.Attempts < 3 || d.LastError != "endpoint answered HTTP 401" {
			t.Errorf("dead job = %+v", d)
		}

		// The organisation fixes its receiver; the operator retries.
		hooks.setSecret(secret)
		if err := svc.Retry(ctx, admin, d.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "delivery after retry", func() bool { return states(t, db)[Delivered] == 1 })
	})
}

func TestDisabledEndpointGetsNothingMore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		ep, _, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		notify(t, db, notice(user.OrgID, "k1"))
		if _, err := svc.DisableEndpoint(ctx, user, ep.ID); err != nil {
			t.Fatal(err)
		}
		if d := jobOf(t, db, "j.channel = 'webhook'"); d.State != Dead || d.LastError != "endpoint disabled" {
			t.Errorf("queued job after disabling = %+v", d)
		}
		if sent := notify(t, db, notice(user.OrgID, "k2")); sent.Webhooks != 0 {
			t.Errorf("a disabled endpoint got %d jobs", sent.Webhooks)
		}
		// Re-enqueueing a job that exists is a no-op, not an error, even
		// though its endpoint is disabled now.
		err = db.Write(ctx, system, func(tx *store.Tx) error {
			inserted, err := Enqueue(ctx, tx, Message{Kind: "x", Channel: Webhook, OrgID: user.OrgID, EndpointID: ep.ID,
				Subject: "s", Key: NoticeKey("k1", user.OrgID) + "|webhook:" + itoa(ep.ID)})
			if inserted {
				t.Error("a second job with the same key")
			}
			return err
		})
		if err != nil {
			t.Errorf("re-enqueue: %v", err)
		}
		// A new job for it is refused.
		err = db.Write(ctx, system, func(tx *store.Tx) error {
			_, err := Enqueue(ctx, tx, Message{Kind: "x", Channel: Webhook, OrgID: user.OrgID, EndpointID: ep.ID, Subject: "s", Key: "new"})
			return err
		})
		if errs.CodeOf(err) != errs.Conflict {
			t.Errorf("new job for a disabled endpoint: %v", err)
		}
		runWorker(t, db, testConfig(t, nil, hooks))
		time.Sleep(200 * time.Millisecond)
		if calls, _ := hooks.received(); calls != 0 {
			t.Errorf("the disabled endpoint was called %d times", calls)
		}
	})
}

func TestEmailRetriesAndRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		box.failNext.Store(2) // 451 twice
		box.reject = func(rcpt string) bool { return strings.HasPrefix(rcpt, "gone@") }
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example", "gone@supa.example")
		cfg := testConfig(t, sink, nil)
		cfg.Concurrency = 1
		cfg.RefusedAttempts = 2
		runWorker(t, db, cfg)
		notify(t, db, notice(org, "k"))
		waitFor(t, 10*time.Second, "one delivered, one dead", func() bool {
			s := states(t, db)
			return s[Delivered] == 1 && s[Dead] == 1
		})
		ok := jobOf(t, db, "j.email = 'sec@supa.example'")
		dead := jobOf(t, db, "j.email = 'gone@supa.example'")
		if dead.Attempts != 2 || !strings.Contains(dead.LastError, "550") {
			t.Errorf("refused job = %+v", dead)
		}
		if strings.Contains(dead.LastError, "gone@supa.example") {
			t.Errorf("the error names the recipient: %q", dead.LastError)
		}
		if ok.Attempts < 2 {
			t.Errorf("the 451s did not cost attempts: %+v", ok)
		}
	})
}

func TestExpiredLeaseIsClaimedAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		notify(t, db, notice(org, "k"))
		// A worker claimed the job and died: the job is "sending", leased
		// until a moment ago.
		if _, err := db.Writer().Exec(`UPDATE delivery_jobs SET state = 'sending', attempts = 1, locked_by = 'dead:1',
			next_attempt_at = $1`, db.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		runWorker(t, db, testConfig(t, sink, nil))
		waitFor(t, 5*time.Second, "the job", func() bool { return states(t, db)[Delivered] == 1 })
		if d := jobOf(t, db, "TRUE"); d.Attempts != 2 {
			t.Errorf("attempts = %d, want 2", d.Attempts)
		}
	})
}

func TestLeasedJobIsNotSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		notify(t, db, notice(org, "k"))
		if _, err := db.Writer().Exec(`UPDATE delivery_jobs SET state = 'sending', attempts = 1, locked_by = 'alive:1',
			next_attempt_at = $1`, db.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		runWorker(t, db, testConfig(t, sink, nil))
		time.Sleep(300 * time.Millisecond)
		if total, _ := box.count(); total != 0 {
			t.Errorf("a job leased by another worker was sent")
		}
	})
}

func TestWorkerStopsGracefully(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		box.delay = 200 * time.Millisecond
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "a@supa.example", "b@supa.example", "c@supa.example")
		w, err := NewWorker(db, testConfig(t, sink, nil))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		notify(t, db, notice(org, "k"))
		waitFor(t, 5*time.Second, "sends in flight", func() bool { return states(t, db)[Sending] == 3 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Every send in flight finished and was recorded before Run returned.
		if s := states(t, db); s[Delivered] != 3 {
			t.Errorf("after stop: %v", s)
		}
	})
}

func TestStoppingPutsBackUnstartedJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		box.delay = 300 * time.Millisecond
		sink := startSMTP(t, box)
		var emails []string
		for i := range 10 {
			emails = append(emails, fmt.Sprintf("c%d@supa.example", i))
		}
		org := addOrg(t, db, "SUPA", "large_supplier", emails...)
		cfg := testConfig(t, sink, nil)
		cfg.Concurrency = 2 // so up to 2 more wait, claimed, for a sender
		w, err := NewWorker(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		notify(t, db, notice(org, "k"))
		waitFor(t, 5*time.Second, "claims", func() bool { return states(t, db)[Sending] == 4 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		s := states(t, db)
		if s[Sending] != 0 || s[Delivered] != 2 || s[Pending] != 8 {
			t.Errorf("after stop: %v, want 2 delivered and 8 pending", s)
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs WHERE state = 'pending' AND attempts <> 0"); n != 0 {
			t.Errorf("%d put-back jobs had an attempt counted", n)
		}
	})
}

func TestEnqueueWakesTheWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		cfg := testConfig(t, sink, nil)
		cfg.PollInterval = time.Hour
		runWorker(t, db, cfg)
		time.Sleep(50 * time.Millisecond) // let it reach its first wait
		notify(t, db, notice(org, "k"))
		waitFor(t, 3*time.Second, "the email, without polling", func() bool { _, n := box.count(); return n == 1 })
	})
}

func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	w := &Worker{cfg: Config{BackoffBase: time.Second, BackoffMax: time.Minute}}
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{7, 30 * time.Second, time.Minute}, // 64 s capped at 60 s
		{100, 30 * time.Second, time.Minute},
	} {
		for range 50 {
			if d := w.backoff(tc.attempt); d < tc.min || d > tc.max {
				t.Errorf("backoff(%d) = %s, want %s..%s", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}

func TestWebhookOutcome(t *testing.T) {
	for _, tc := range []struct {
		status    int
		delivered bool
		refused   bool
	}{
		{200, true, false}, {204, true, false},
		{301, false, true}, {400, false, true}, {401, false, true}, {404, false, true}, {410, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {503, false, false},
	} {
		out := webhookOutcome(tc.status, "")
		if (out.err == nil) != tc.delivered || out.refused != tc.refused {
			t.Errorf("HTTP %d: %+v", tc.status, out)
		}
	}
	if out := webhookOutcome(503, "120"); out.retryAfter != 2*time.Minute {
		t.Errorf("Retry-After: %s", out.retryAfter)
	}
}

func TestNewWorkerRefusesAShortLease(t *testing.T) {
	_, err := NewWorker(nil, Config{Lease: time.Minute, SMTP: SMTPConfig{Host: "localhost", From: "a@b.example", Timeout: 10 * time.Second}})
	if err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("err = %v", err)
	}
	if _, err := NewWorker(nil, Config{SMTP: SMTPConfig{Host: "localhost", From: "not an address"}}); err == nil {
		t.Error("a bad sender was accepted")
	}
	if _, err := NewWorker(nil, Config{SMTP: SMTPConfig{Host: "localhost", From: "a@b.example", TLS: "sometimes"}}); err == nil {
		t.Error("an unknown TLS policy was accepted")
	}
	s := SMTPConfig{Host: "smtp.example", From: "a@b.example", Username: "u", Password: "hunter2hunter2"}.String()
	if strings.Contains(s, "hunter2") {
		t.Errorf("the password shows: %s", s)
	}
}

// An idle kept connection outlives the deadline of its last command; it must
// still carry the next message, not fail half-way through a TLS record.
func TestIdleConnectionIsReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox()
		sink := startSMTP(t, box)
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		cfg := testConfig(t, sink, nil)
		cfg.Concurrency = 1
		cfg.SMTP.Timeout = 200 * time.Millisecond
		cfg.Lease = 5 * time.Second
		runWorker(t, db, cfg)
		notify(t, db, notice(org, "k1"))
		waitFor(t, 5*time.Second, "the first email", func() bool { _, n := box.count(); return n == 1 })
		time.Sleep(500 * time.Millisecond) // past the timeout, within smtpIdle
		notify(t, db, notice(org, "k2"))
		waitFor(t, 5*time.Second, "the second email", func() bool { _, n := box.count(); return n == 2 })
		box.mu.Lock()
		n := len(box.conns)
		box.mu.Unlock()
		if n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
		if d := jobOf(t, db, "j.idempotency_key LIKE 'k2%'"); d.Attempts != 1 {
			t.Errorf("second email took %d attempts", d.Attempts)
		}
		time.Sleep(50 * time.Millisecond)
		if e := sink.errors.String(); e != "" {
			t.Errorf("the SMTP server saw errors:\n%s", e)
		}
	})
}

func TestWorkerWithoutSMTPLeavesEmailQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		_, secret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(secret)
		runWorker(t, db, testConfig(t, nil, hooks))
		notify(t, db, notice(user.OrgID, "k"))
		waitFor(t, 5*time.Second, "the webhook", func() bool { return states(t, db)[Delivered] == 1 })
		time.Sleep(100 * time.Millisecond)
		if d := jobOf(t, db, "j.channel = 'email'"); d.State != Pending || d.Attempts != 0 {
			t.Errorf("email job = %+v, want untouched", d)
		}
	})
}

// After a rotation the receiver may still check with the old secret for a
// while: calls carry both signatures.
func TestRotatedSecretOverlaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier")
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		svc := &Service{DB: db}
		ep, oldSecret, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		newSecret, err := svc.RotateSecret(ctx, user, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		runWorker(t, db, testConfig(t, nil, hooks))
		hooks.setSecret(oldSecret) // the receiver has not switched yet
		notify(t, db, notice(user.OrgID, "k1"))
		waitFor(t, 5*time.Second, "a call checked with the old secret", func() bool { _, n := hooks.received(); return n == 1 })
		hooks.setSecret(newSecret)
		notify(t, db, notice(user.OrgID, "k2"))
		waitFor(t, 5*time.Second, "a call checked with the new secret", func() bool { _, n := hooks.received(); return n == 2 })
		// Once the overlap is over, only the new secret signs.
		if _, err := db.Writer().Exec("UPDATE webhook_endpoints SET old_secret_until = $1", db.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(oldSecret)
		notify(t, db, notice(user.OrgID, "k3"))
		waitFor(t, 5*time.Second, "a refused call", func() bool {
			hooks.mu.Lock()
			defer hooks.mu.Unlock()
			return hooks.badSigs > 0
		})
	})
}
