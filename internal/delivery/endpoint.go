package delivery

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// Endpoint is a URL an organisation receives its notices at. Its secret is
// never part of it: it is returned once, when made.
type Endpoint struct {
	ID            int64      `json:"id"`
	OrgID         int64      `json:"org_id"`
	URL           string     `json:"url"`
	Description   string     `json:"description,omitempty"`
	Active        bool       `json:"active"`
	CreatedAt     time.Time  `json:"created_at"`
	CreatedBy     string     `json:"created_by"`
	DisabledAt    *time.Time `json:"disabled_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastFailureAt *time.Time `json:"last_failure_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// NewEndpoint is what it takes to add an endpoint.
type NewEndpoint struct {
	// OrgID is the organisation; users may only add to their own, which is
	// what 0 means. Only system callers name another.
	OrgID       int64  `json:"-"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// maxActiveEndpoints bounds the fan-out one organisation can ask for.
const maxActiveEndpoints = 5

// mayManageEndpoints: an organisation's own users manage its endpoints, and
// no one else (not even the SSC): an endpoint receives the organisation's
// AMBER notices, so whoever sets it up chooses who reads them. System callers
// (the CLI run by an operator on the server) may act for any organisation.
func mayManageEndpoints(c access.Caller, org int64) bool {
	return c.System || (c.UserID != 0 && c.OrgID != 0 && c.OrgID == org)
}

// AddEndpoint adds an endpoint for the caller's organisation and returns it
// with its signing secret, which is shown this once.
func (s *Service) AddEndpoint(ctx context.Context, c access.Caller, in NewEndpoint) (Endpoint, string, error) {
	org := in.OrgID
	if org == 0 {
		org = c.OrgID
	}
	if !mayManageEndpoints(c, org) {
		return Endpoint{}, "", errs.E(errs.Forbidden, "only an organisation's own users may add its webhook endpoints")
	}
	u, msg := ValidateWebhookURL(in.URL)
	var fields []errs.Field
	if msg != "" {
		fields = append(fields, errs.Field{Field: "url", Message: msg})
	}
	desc := strings.TrimSpace(in.Description)
	if desc != "" {
		if m := validate.Text(desc, 200); m != "" {
			fields = append(fields, errs.Field{Field: "description", Message: m})
		}
	}
	if len(fields) > 0 {
		return Endpoint{}, "", errs.Fields("the webhook endpoint is not valid", fields...)
	}
	secret := newSecret()
	e := Endpoint{OrgID: org, URL: u, Description: desc, Active: true, CreatedBy: c.Name}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM webhook_endpoints WHERE org_id = $1 AND active", org).Scan(&n); err != nil {
			return errs.Wrap(err, "count endpoints")
		}
		if n >= maxActiveEndpoints {
			return errs.E(errs.Conflict, "an organisation may have at most %d active webhook endpoints: disable one first", maxActiveEndpoints)
		}
		e.CreatedAt = tx.Now
		err := tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (org_id, url, description, secret, active, created_at, created_by)
			VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id`, org, u, desc, s.Secrets.Seal(secret, secrets.Webhook), tx.Now, c.Name).Scan(&e.ID)
		if store.IsForeignKeyViolation(err) {
			return errs.NotFoundf("organisation", org)
		}
		if err != nil {
			return errs.Wrap(err, "add endpoint")
		}
		return audit.Record(ctx, tx, "webhook.add", "webhook_endpoint", e.ID, e)
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return e, secret, nil
}

// newSecret makes a 256-bit signing secret. The prefix tells a person who
// finds one in a file what it is.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

const endpointColumns = `e.id, e.org_id, e.url, e.description, e.active, e.created_at, e.created_by,
	e.disabled_at, e.last_success_at, e.last_failure_at, e.last_error`

// Endpoints lists an organisation's endpoints, active first. Users see only
// their own organisation's; org 0 means the caller's.
func (s *Service) Endpoints(ctx context.Context, c access.Caller, org int64) ([]Endpoint, error) {
	if org == 0 {
		org = c.OrgID
	}
	if !mayManageEndpoints(c, org) {
		return nil, errs.E(errs.Forbidden, "only an organisation's own users may see its webhook endpoints")
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT "+endpointColumns+
		" FROM webhook_endpoints e WHERE e.org_id = $1 ORDER BY e.active DESC, e.id", org)
	if err != nil {
		return nil, errs.Wrap(err, "list endpoints")
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "list endpoints")
}

func scanEndpoint(row interface{ Scan(...any) error }) (Endpoint, error) {
	var e Endpoint
	var disabled, success, failure *time.Time
	if err := row.Scan(&e.ID, &e.OrgID, &e.URL, &e.Description, &e.Active, &e.CreatedAt, &e.CreatedBy,
		&disabled, &success, &failure, &e.LastError); err != nil {
		return e, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	e.DisabledAt, e.LastSuccessAt, e.LastFailureAt = utcPtr(disabled), utcPtr(success), utcPtr(failure)
	return e, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// endpointForUpdate finds an endpoint the caller may manage, inside tx.
func endpointForUpdate(ctx context.Context, tx *store.Tx, c access.Caller, id int64) (Endpoint, error) {
	e, err := scanEndpoint(tx.QueryRowContext(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints e WHERE e.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !mayManageEndpoints(c, e.OrgID)) {
		// Another organisation's endpoint is not found, not forbidden: its
		// existence is not the caller's business.
		return e, errs.NotFoundf("webhook endpoint", id)
	}
	return e, errs.Wrap(err, "webhook endpoint")
}

// DisableEndpoint stops deliveries to an endpoint. Jobs still queued for it
// become dead with a note saying why, so an operator can see them; its other
// notices remain in the inbox and go by email.
func (s *Service) DisableEndpoint(ctx context.Context, c access.Caller, id int64) (Endpoint, error) {
	var e Endpoint
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		if e, err = endpointForUpdate(ctx, tx, c, id); err != nil {
			return err
		}
		if !e.Active {
			return nil
		}
		now := tx.Now
		e.Active, e.DisabledAt = false, &now
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET active = FALSE, disabled_at = $1 WHERE id = $2", tx.Now, id); err != nil {
			return errs.Wrap(err, "disable endpoint")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = 'dead', last_error = 'endpoint disabled', locked_by = ''
			WHERE endpoint_id = $1 AND state IN ('pending', 'sending')`, id); err != nil {
			return errs.Wrap(err, "disable endpoint")
		}
		return audit.Record(ctx, tx, "webhook.disable", "webhook_endpoint", id, e)
	})
	return e, err
}

// RotationOverlap is how long after a rotation calls still carry a
// signature by the old secret as well as the new, so that the receiver can
// switch to the new secret at its own pace without refusing a call.
const RotationOverlap = 24 * time.Hour

// RotateSecret gives an endpoint a new secret and returns it, shown this
// once. Calls from then on, retries included, are signed with it, and for
// RotationOverlap with the old one too.
func (s *Service) RotateSecret(ctx context.Context, c access.Caller, id int64) (string, error) {
	secret := newSecret()
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		e, err := endpointForUpdate(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !e.Active {
			return errs.E(errs.Conflict, "webhook endpoint %d is disabled", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET old_secret = secret, old_secret_until = $1, secret = $2
			WHERE id = $3`, tx.Now.Add(RotationOverlap), s.Secrets.Seal(secret, secrets.Webhook), id); err != nil {
			return errs.Wrap(err, "rotate secret")
		}
		return audit.Record(ctx, tx, "webhook.rotate_secret", "webhook_endpoint", id, e)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// PingEndpoint queues a test call to an endpoint, so its owner can check the
// receiver and its signature check before a real notice depends on them.
func (s *Service) PingEndpoint(ctx context.Context, c access.Caller, id int64) error {
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		e, err := endpointForUpdate(ctx, tx, c, id)
		if err != nil {
			return err
		}
		_, err = Enqueue(ctx, tx, Message{Kind: "ping", Channel: Webhook, OrgID: e.OrgID, EndpointID: id,
			Subject: "metersec test call", Body: "This call checks that your endpoint receives and verifies metersec webhooks.",
			Classification: sec.Green, Key: "ping:" + strconv.FormatInt(id, 10) + ":" + tx.Now.Format(time.RFC3339Nano)})
		return err
	})
}

// ValidateWebhookURL checks a webhook URL and returns it normalised, or a
// message saying what is wrong. It must be https, or http to this machine
// (loopback) for development and tests; it may carry no credentials (they
// would be stored and shown as part of the URL: use the signing secret) and
// no fragment; and it may not name a link-local, multicast or unspecified
// address (169.254.169.254 is a cloud metadata service, not a receiver).
func ValidateWebhookURL(raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", "is required"
	case len(raw) > 2048:
		return "", "is too long (at most 2048 characters)"
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return "", "must not contain spaces or control characters"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", "is not an absolute URL like https://example.org/hooks/metersec"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.User != nil {
		return "", "must not contain a user name or password: the signing secret proves the call is from metersec"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", "must not contain a fragment (#…)"
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return "", "has an invalid port"
		}
	}
	loopback := host == "localhost"
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" || !allowedIP(ip) {
			return "", "must not name a link-local, multicast or unspecified address"
		}
		loopback = ip.IsLoopback()
	} else if !validHostname(host) {
		return "", "has an invalid host name"
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback:
	case u.Scheme == "http":
		return "", "must use https (http is allowed only to localhost, for development)"
	default:
		return "", "must be an https URL"
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), ""
}

// allowedIP refuses addresses no webhook receiver lives at and that an
// attacker would like metersec to call: link-local (cloud metadata),
// multicast, unspecified. Checked at validation and again when dialling, as
// a name may resolve to anything.
func allowedIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsUnspecified() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsInterfaceLocalMulticast() && !ip.IsMulticast()
}

// validHostname accepts DNS names of letters, digits, hyphens and dots.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
