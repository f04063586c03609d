package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/smtp"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

const benchMessages = 10_000

// BenchmarkDeliverEmail10k enqueues 10,000 emails and times a worker (default
// settings: 8 senders) delivering all of them to the loopback SMTP server over
// STARTTLS, until the database records every one delivered. As a baseline in
// the same run it sends the same 10,000 messages with a plain net/smtp loop on
// one connection: no database, no queue, no retries. Run with
//
//	go test -run '^$' -bench DeliverEmail10k -benchtime 1x ./internal/delivery/
func BenchmarkDeliverEmail10k(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			var queued, baseline, enqueue time.Duration
			for range b.N {
				b.StopTimer()
				e, q, base := deliverOnce(b, engine)
				enqueue, queued, baseline = enqueue+e, queued+q, baseline+base
				b.StartTimer()
			}
			n := float64(b.N * benchMessages)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(n/enqueue.Seconds(), "enqueued/s")
			b.ReportMetric(n/queued.Seconds(), "delivered/s")
			b.ReportMetric(n/baseline.Seconds(), "netsmtp/s")
			b.ReportMetric(queued.Seconds()/float64(b.N), "s/10k")
			b.ReportMetric(baseline.Seconds()/queued.Seconds(), "queue/netsmtp")
		})
	}
}

func deliverOnce(b *testing.B, engine store.Dialect) (enqueue, queued, baseline time.Duration) {
	ctx := context.Background()
	db := storetest.Open(b, engine)
	box := newMailbox()
	sink := startSMTP(b, box)

	msgs := make([]Message, benchMessages)
	for i := range msgs {
		msgs[i] = Message{Kind: "bench", Channel: Email, Email: fmt.Sprintf("r%05d@bench.example", i),
			Subject: fmt.Sprintf("Notice %d", i), Body: "A material security vulnerability has been notified.",
			Link: "/vulnerabilities/1", Classification: sec.Amber, Key: fmt.Sprintf("bench:%d", i)}
	}
	start := time.Now()
	for i := 0; i < len(msgs); i += 1000 {
		err := db.Write(ctx, system, func(tx *store.Tx) error {
			for _, m := range msgs[i:min(i+1000, len(msgs))] {
				if _, err := Enqueue(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	enqueue = time.Since(start)

	cfg := Config{SMTP: sink.config(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg.SMTP.Timeout = 10 * time.Second
	w, err := NewWorker(db, cfg)
	if err != nil {
		b.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	start = time.Now()
	go func() { done <- w.Run(wctx) }()
	for {
		if _, n := box.count(); n == benchMessages {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		var left int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM delivery_jobs WHERE state <> 'delivered'").Scan(&left); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	queued = time.Since(start)
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if total, distinct := box.count(); total != benchMessages || distinct != benchMessages {
		b.Fatalf("the server received %d messages, %d distinct", total, distinct)
	}

	baseline = netSMTPLoop(b, sink, w.mailer, msgs)
	return enqueue, queued, baseline
}

// netSMTPLoop is the baseline: compose each message as the worker does and
// send it over one net/smtp connection with STARTTLS, one after another.
func netSMTPLoop(b *testing.B, sink *smtpSink, m *mailer, msgs []Message) time.Duration {
	start := time.Now()
	c, err := smtp.Dial(sink.addr)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: sink.pool}); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for i, msg := range msgs {
		j := job{kind: msg.Kind, email: msg.Email, subject: msg.Subject, body: msg.Body, link: msg.Link,
			classification: msg.Classification, key: "baseline:" + msg.Key, createdAt: time.Now()}
		gm, err := m.compose(j, "https://metersec.test")
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if _, err := gm.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
		if err := c.Mail("noreply@metersec.test"); err != nil {
			b.Fatalf("message %d: %v", i, err)
		}
		if err := c.Rcpt(msg.Email); err != nil {
			b.Fatal(err)
		}
		wc, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		wc.Write(buf.Bytes())
		if err := wc.Close(); err != nil {
			b.Fatal(err)
		}
	}
	c.Quit()
	took := time.Since(start)
	if total, _ := sink.box.count(); total != 2*len(msgs) {
		b.Fatalf("baseline: the server has %d messages, want %d", total, 2*len(msgs))
	}
	return took
}
