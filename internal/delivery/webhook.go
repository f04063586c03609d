package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/metersec/metersec/internal/secrets"
)

// WebhookConfig is how the worker calls webhook endpoints.
type WebhookConfig struct {
	// Timeout bounds one call, from connecting to reading the response (15 s):
	// an endpoint that hangs costs a sender this long, then is retried later.
	Timeout time.Duration
	RootCAs *x509.CertPool // nil: the system's; tests add their own
}

// Event is the JSON body of every webhook call. ID is the same on every copy
// of one delivery, and equals the Idempotency-Key header: receivers drop a
// call whose ID they have seen.
type Event struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	CreatedAt      time.Time       `json:"created_at"`
	Classification string          `json:"classification"` // WHITE, GREEN or AMBER
	TLP            string          `json:"tlp"`            // CLEAR, GREEN or AMBER
	Title          string          `json:"title"`
	Body           string          `json:"body,omitempty"`
	Link           string          `json:"link,omitempty"`
	Record         *EventRecord    `json:"record,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// EventRecord names the record an event is about.
type EventRecord struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// eventBody is the body for a job: built from the job alone, so a retry sends
// the same bytes (only the timestamp and signature headers change).
func eventBody(j job, baseURL string) ([]byte, error) {
	e := Event{ID: DeliveryID(j.key), Kind: j.kind, CreatedAt: j.createdAt,
		Classification: string(j.classification), TLP: j.classification.TLP(),
		Title: j.subject, Body: j.body, Link: absoluteLink(j.link, baseURL)}
	if j.recordKind != "" {
		e.Record = &EventRecord{Kind: j.recordKind, ID: j.recordID}
	}
	if j.data != "" {
		e.Data = json.RawMessage(j.data)
	}
	return json.Marshal(e)
}

func newHTTPClient(cfg WebhookConfig) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: refuseForbiddenIP}
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		// A redirect is not followed: the signed call would go to a URL the
		// organisation never registered.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refuseForbiddenIP runs as each connection is made, after name resolution,
// so a host name that resolves to a metadata service is refused too.
func refuseForbiddenIP(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !allowedIP(ip) {
		return fmt.Errorf("refusing to connect to %s: link-local, multicast and unspecified addresses are not webhook receivers", host)
	}
	return nil
}

// maxResponse is how much of a response is read (and thrown away) so the
// connection can be reused; a receiver has no say in anything else.
const maxResponse = 64 << 10

func (w *Worker) sendWebhook(j job) outcome {
	// The secret is read at each attempt, so a retry after a rotation is
	// signed with the new one.
	dbCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var target, secret, oldSecret string
	var oldUntil *time.Time
	var active bool
	err := w.db.QueryRowContext(dbCtx, `SELECT url, secret, old_secret, old_secret_until, active
		FROM webhook_endpoints WHERE id = $1`, j.endpointID).Scan(&target, &secret, &oldSecret, &oldUntil, &active)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return outcome{err: errors.New("endpoint no longer exists"), final: true}
	case err != nil:
		return outcome{err: fmt.Errorf("reading the endpoint: %w", err), ours: true}
	case !active:
		return outcome{err: errors.New("endpoint disabled"), final: true}
	}
	if secret, err = w.cfg.Secrets.Open(secret, secrets.Webhook); err != nil {
		return outcome{err: fmt.Errorf("the endpoint's secret: %w", err), ours: true}
	}
	if oldSecret, err = w.cfg.Secrets.Open(oldSecret, secrets.Webhook); err != nil {
		return outcome{err: fmt.Errorf("the endpoint's old secret: %w", err), ours: true}
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Webhook.Timeout)
	defer cancel()
	body, err := eventBody(j, w.cfg.BaseURL)
	if err != nil {
		return outcome{err: err, final: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return outcome{err: errors.New("the endpoint URL is not valid"), final: true}
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "metersec-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	sig := Sign(secret, ts, body)
	if oldSecret != "" && oldUntil != nil && time.Now().Before(*oldUntil) {
		sig += ", " + Sign(oldSecret, ts, body)
	}
	req.Header.Set(HeaderSignature, sig)
	req.Header.Set(HeaderIdempotencyKey, DeliveryID(j.key))
	req.Header.Set(HeaderKind, j.kind)
	resp, err := w.http.Do(req)
	if err != nil {
		return transient(webhookError(err, w.cfg.Webhook.Timeout))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	return webhookOutcome(resp.StatusCode, resp.Header.Get("Retry-After"))
}

// webhookOutcome reads a response status: 2xx is delivered; 408, 429 and 5xx
// mean the receiver is struggling, so try again later; any other answer is a
// refusal (a wrong secret, a moved endpoint), tried a few more times in case
// someone fixes it, then dead.
func webhookOutcome(status int, retryAfter string) outcome {
	err := fmt.Errorf("endpoint answered HTTP %d", status)
	switch {
	case status >= 200 && status < 300:
		return outcome{}
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		out := transient(err)
		if s, perr := strconv.Atoi(retryAfter); perr == nil && s > 0 {
			out.retryAfter = time.Duration(min(s, 86400)) * time.Second
		}
		return out
	case status >= 300 && status < 400:
		return refused(fmt.Errorf("endpoint answered HTTP %d: redirects are not followed, register the final URL", status))
	}
	return refused(err)
}

// webhookError describes a failed call without its URL: a URL may carry a
// token in its query, and the error is stored and shown.
func webhookError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("endpoint did not answer within %s", timeout)
		}
		err = ue.Err
	}
	return fmt.Errorf("calling the endpoint: %w", err)
}
