package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/metersec/metersec/internal/sec"
)

// SMTPConfig is the mail server the worker hands email to.
type SMTPConfig struct {
	Host string
	Port int // 587 by default, 465 for TLS "implicit"
	// From is the sender, e.g. "metersec <noreply@metersec.example.org>".
	// Its domain ends each Message-ID.
	From     string
	Username string // SMTP AUTH, only if set; the strongest mechanism the server offers
	Password string
	// TLS is "opportunistic" (the default: STARTTLS whenever the server
	// offers it), "mandatory" (STARTTLS or no email), "implicit" (TLS from
	// the first byte, usually port 465) or "none".
	TLS                string
	RootCAs            *x509.CertPool // nil: the system's
	InsecureSkipVerify bool           // for tests against a self-signed server only
	Timeout            time.Duration  // per SMTP command (15 s)
	HELO               string         // the name the worker greets with; the host name by default
}

// LogValue shows the configuration without its password.
func (c SMTPConfig) LogValue() slog.Value {
	if c.Host == "" {
		return slog.StringValue("none")
	}
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("from", c.From),
		slog.String("tls", c.TLS), slog.Bool("auth", c.Username != ""))
}

// String shows the configuration without its password.
func (c SMTPConfig) String() string { return c.LogValue().String() }

// mailer is the SMTP client configuration shared by a worker's senders; each
// sender keeps its own connection (smtpSession).
type mailer struct {
	client *gomail.Client
	from   string
	domain string
}

func newMailer(cfg SMTPConfig) (*mailer, error) {
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("delivery: the SMTP sender %q is not an email address: %w", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	// No NOOP before each message and no RSET after it: a message costs
	// MAIL, RCPT, DATA and the dot, as with any plain client, instead of
	// seven round trips. A kept connection found dead is redialled (see
	// sendEmail).
	opts := []gomail.Option{gomail.WithoutNoop(), gomail.WithoutRset(), gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(&tls.Config{
		ServerName: cfg.Host, RootCAs: cfg.RootCAs, InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12,
	})}
	port := cfg.Port
	if strings.ToLower(cfg.TLS) != "implicit" {
		opts = append(opts, gomail.WithDialContextFunc(dialTracked))
	}
	switch strings.ToLower(cfg.TLS) {
	case "", "opportunistic":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "implicit":
		// go-mail's own TLS dialer, not dialTracked: go-mail only knows the
		// connection is encrypted (and so allows PLAIN auth) if it dialled.
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("delivery: unknown SMTP TLS policy %q (opportunistic, mandatory, implicit or none)", cfg.TLS)
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, gomail.WithPort(port))
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("delivery: SMTP client: %w", err)
	}
	return &mailer{client: c, from: cfg.From, domain: from.Address[at+1:]}, nil
}

// smtpSession is one sender's connection, kept open between messages: a new
// connection per message would cost a TCP and a TLS handshake each.
type smtpSession struct {
	c       *smtp.Client
	used    time.Time
	timeout time.Duration
}

// smtpIdle is how long an unused connection is kept. Servers commonly drop
// idle clients after a few minutes; closing first avoids a failed send.
const smtpIdle = 30 * time.Second

func (s *smtpSession) dial(m *mailer, timeout time.Duration) error {
	var conn net.Conn
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), dialedKey{}, &conn), timeout)
	defer cancel()
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// go-mail leaves the connection open when the greeting, STARTTLS
		// or AUTH fails; a server failing that way must not cost a file
		// descriptor per attempt.
		if conn != nil {
			conn.Close()
		}
		return err
	}
	s.c, s.used, s.timeout = c, time.Now(), timeout
	return nil
}

// dialedKey carries, in the dial's context, where to put the connection.
type dialedKey struct{}

// dialTracked dials as go-mail would and hands the connection back through
// the context, so a failed dial can close it.
func dialTracked(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if p, ok := ctx.Value(dialedKey{}).(*net.Conn); ok && err == nil {
		*p = conn
	}
	return conn, err
}

// close says goodbye to the server.
func (s *smtpSession) close() {
	if s.c != nil {
		// The deadline of the last command has passed on an idle
		// connection; a QUIT written after it fails half-way through TLS
		// and the server sees a corrupt record instead of a goodbye.
		s.c.UpdateDeadline(s.timeout)
		if s.c.Quit() != nil {
			s.c.Close()
		}
		s.c = nil
	}
}

// abort drops a connection in an unknown state without talking to it.
func (s *smtpSession) abort() {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}

func (w *Worker) sendEmail(s *smtpSession, j job) outcome {
	msg, err := w.mailer.compose(j, w.cfg.BaseURL)
	if err != nil {
		return refused(err)
	}
	if s.c != nil && time.Since(s.used) > smtpIdle {
		s.close()
	}
	reused := s.c != nil
	if reused {
		// go-mail writes a message's first command under the deadline of
		// the previous one, which on a connection idle for longer than the
		// timeout has passed: the write would fail half-way through a TLS
		// record and take the connection with it.
		s.c.UpdateDeadline(w.cfg.SMTP.Timeout)
	}
	if s.c == nil {
		if err := s.dial(w.mailer, w.cfg.SMTP.Timeout); err != nil {
			return transient(fmt.Errorf("connecting to the SMTP server: %w", err))
		}
	}
	err = w.mailer.client.SendWithSMTPClient(s.c, msg)
	var se *gomail.SendError
	if err != nil && reused && errors.As(err, &se) && connLost(se) {
		// The kept connection died while idle (the server timed it out);
		// it failed before any of the message was sent, so try once on a
		// new one.
		s.abort()
		if err := s.dial(w.mailer, w.cfg.SMTP.Timeout); err != nil {
			return transient(fmt.Errorf("connecting to the SMTP server: %w", err))
		}
		err = w.mailer.client.SendWithSMTPClient(s.c, msg)
	}
	if err != nil && msg.IsDelivered() {
		// The server took the message; only what came after failed.
		// Sending it again would be a second copy.
		s.abort()
		return outcome{}
	}
	if err != nil {
		s.abort()
		code := 0
		if errors.As(err, &se) {
			code = se.ErrorCode()
		}
		if code == 0 {
			code = smtpCode(err.Error())
		}
		err = errors.New(smtpErrorText(err, j.email))
		if code >= 500 {
			// A 5xx is a refusal (no such mailbox, sender not allowed);
			// a 4xx or a network error is worth retrying for longer.
			return refused(err)
		}
		return transient(err)
	}
	s.used = time.Now()
	return outcome{}
}

// connLost reports whether a send failed because the connection was gone
// before the message's first command: at the connection check or at MAIL
// FROM, with no reply or with 421, which servers send as they drop a client
// they consider idle.
func connLost(se *gomail.SendError) bool {
	code := se.ErrorCode()
	return (code == 0 || code == 421) && (se.Reason == gomail.ErrConnCheck || se.Reason == gomail.ErrSMTPMailFrom)
}

var smtpCodeRE = regexp.MustCompile(`\b([45][0-9][0-9])[ -]`)

// smtpCode finds the server's reply code in an error, 0 if there is none (a
// network error).
func smtpCode(s string) int {
	m := smtpCodeRE.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	return int(m[1][0]-'0')*100 + int(m[1][1]-'0')*10 + int(m[1][2]-'0')
}

// smtpErrorText is the error without the recipient's address, which go-mail
// and servers repeat, and without the Message-ID: the error is stored and
// shown to operators who are not told who was sent what.
func smtpErrorText(err error, addr string) string {
	s := err.Error()
	for _, cut := range []string{", affected recipient(s):", ", affected message ID:"} {
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i]
		}
	}
	if addr != "" {
		s = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(addr)).ReplaceAllString(s, "<recipient>")
	}
	return s
}

// compose builds the email for a job. Everything in it comes from the job and
// the configuration, so a re-send is the same message: same Message-ID, same
// Date, same text.
func (m *mailer) compose(j job, baseURL string) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return nil, err
	}
	if err := msg.To(j.email); err != nil {
		return nil, err
	}
	id := DeliveryID(j.key)
	msg.Subject("[TLP:" + j.classification.TLP() + "] " + j.subject)
	msg.SetMessageIDWithValue(id + "@" + m.domain)
	msg.SetDateWithValue(j.createdAt)
	msg.SetGenHeader("X-Metersec-Idempotency-Key", id)
	msg.SetGenHeader("X-Metersec-Kind", j.kind)
	// Automatic mail (RFC 3834): no out-of-office replies to the sender.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, emailText(j, baseURL))
	if j.html != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, j.html)
	}
	return msg, nil
}

func emailText(j job, baseURL string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(j.body, "\n"))
	if link := absoluteLink(j.link, baseURL); link != "" {
		b.WriteString("\n\n")
		b.WriteString(link)
	}
	b.WriteString("\n\n-- \nTLP:")
	b.WriteString(j.classification.TLP())
	b.WriteString(". ")
	b.WriteString(handling[j.classification])
	b.WriteString("\nSent by metersec. Delivery ")
	b.WriteString(DeliveryID(j.key))
	b.WriteString(".\n")
	return b.String()
}

// handling says, under each email, what the marking allows (Panel
// Information Policy, TLP).
var handling = map[sec.Classification]string{
	sec.White: "Disclosure is not limited.",
	sec.Green: "Share within the smart metering security community (SEC Parties); do not publish.",
	sec.Amber: "Share within your organisation only, with those who need to know.",
}

func absoluteLink(link, baseURL string) string {
	if strings.HasPrefix(link, "/") && baseURL != "" {
		return baseURL + link
	}
	return link
}
