package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/url"

	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// Session is a signed-in browser. A session of a user who must pass a second
// factor is pending until they do: it may only reach the second-factor pages.
type Session struct {
	User      User
	MFAPassed bool
	CSRF      string
	ExpiresAt time.Time
	// MFAAt is when the session last passed a second factor; zero if never.
	MFAAt time.Time
}

// Caller is the session's user as the rest of the system sees them.
func (s Session) Caller() access.Caller {
	c := s.User.Caller("session", nil)
	c.SecondFactorAt = s.MFAAt
	return c
}

// Pending reports whether the session still needs the second factor.
func (s Session) Pending() bool { return !s.MFAPassed }

// NeedsEnrolment reports whether the user must set up a second factor before
// going further.
func (s Session) NeedsEnrolment() bool { return !s.MFAPassed && !s.User.MFAEnrolled }

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var errBadCredentials = errs.E(errs.Unauthenticated, "wrong email or password")

// SignIn checks an email and password and opens a session, returning the
// secret for the cookie. The session is pending if the user must also pass
// a second factor. Failed attempts are limited per account and per address.
func (s *Service) SignIn(ctx context.Context, email, password, addr, userAgent string) (string, Session, error) {
	email = normaliseEmail(email)
	now := s.DB.Now()
	for _, l := range []struct {
		lim *limiter
		key string
	}{{s.byAccount, email}, {s.byAddress, addr}} {
		if blocked, wait := l.lim.blocked(l.key, now); blocked {
			return "", Session{}, errs.E(errs.RateLimited, "too many failed sign-in attempts: try again in %d minutes", int(wait.Minutes())+1)
		}
	}
	u, err := userByEmail(ctx, s.DB, email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", Session{}, err
	}
	hash := u.passwordHash
	if err != nil || u.Disabled {
		hash = dummyHash
	}
	if !VerifyPassword(hash, password) || err != nil || u.Disabled {
		s.byAccount.fail(email, now)
		s.byAddress.fail(addr, now)
		return "", Session{}, errBadCredentials
	}
	s.byAccount.reset(email)
	secret := newSecret()
	sess := Session{User: u, MFAPassed: !u.MFARequired && !u.MFAEnrolled, CSRF: newSecret(), ExpiresAt: now.Add(s.SessionTTL)}
	err = s.DB.Write(ctx, u.Caller("session", nil), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, mfa_passed, created_at, expires_at, last_seen_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)`, hashSecret(secret), u.ID, sess.CSRF, sess.MFAPassed, tx.Now,
			sess.ExpiresAt, addr, truncate(userAgent, 200)); err != nil {
			return errs.Wrap(err, "open session")
		}
		return audit.Record(ctx, tx, "user.signin", "user", u.Email, map[string]any{"addr": addr, "mfa_pending": !sess.MFAPassed})
	})
	return secret, sess, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Authenticate finds the session a cookie secret belongs to.
func (s *Service) Authenticate(ctx context.Context, secret string) (Session, error) {
	if secret == "" {
		return Session{}, errs.E(errs.Unauthenticated, "no session")
	}
	var sess Session
	var userID int64
	var lastSeen time.Time
	var mfaAt *time.Time
	err := s.DB.QueryRowContext(ctx, "SELECT user_id, mfa_passed, csrf, expires_at, last_seen_at, mfa_at FROM sessions WHERE id_hash = $1",
		hashSecret(secret)).Scan(&userID, &sess.MFAPassed, &sess.CSRF, &sess.ExpiresAt, &lastSeen, &mfaAt)
	if mfaAt != nil {
		sess.MFAAt = mfaAt.UTC()
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errs.E(errs.Unauthenticated, "your session has ended: sign in again")
	}
	if err != nil {
		return Session{}, errs.Wrap(err, "read session")
	}
	now := s.DB.Now()
	if now.After(sess.ExpiresAt) || now.Sub(lastSeen) > s.IdleTTL {
		s.DB.Write(ctx, access.SystemCaller("session expiry"), func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(secret))
			return err
		})
		return Session{}, errs.E(errs.Unauthenticated, "your session has expired: sign in again")
	}
	if sess.User, err = userByID(ctx, s.DB, userID); err != nil {
		return Session{}, err
	}
	if sess.User.Disabled {
		return Session{}, errs.E(errs.Unauthenticated, "this account is disabled")
	}
	if now.Sub(lastSeen) > time.Minute {
		s.DB.Write(ctx, access.SystemCaller("session touch"), func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", tx.Now, hashSecret(secret))
			return err
		})
	}
	return sess, nil
}

// CheckCSRF compares a submitted form token with the session's, in constant
// time.
func (sess Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}

// SignOut ends the session.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	sess, err := s.Authenticate(ctx, secret)
	if err != nil {
		return nil
	}
	return s.DB.Write(ctx, sess.User.Caller("session", nil), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(secret)); err != nil {
			return errs.Wrap(err, "sign out")
		}
		return audit.Record(ctx, tx, "user.signout", "user", sess.User.Email, nil)
	})
}

// TOTP settings: RFC 6238 defaults that every authenticator app supports.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Enrolment is a second factor being set up: the secret to type in, or the
// otpauth URI to scan as a QR code.
type Enrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

// BeginEnrolment creates a new TOTP secret for the session's user. It may be
// called by a pending session of a user with no second factor yet, or by a
// fully signed-in user replacing theirs; the new secret takes effect only
// once CompleteEnrolment has seen a code from it.
func (s *Service) BeginEnrolment(ctx context.Context, secret string) (Enrolment, error) {
	sess, err := s.Authenticate(ctx, secret)
	if err != nil {
		return Enrolment{}, err
	}
	if sess.Pending() && sess.User.MFAEnrolled {
		return Enrolment{}, errs.E(errs.Forbidden, "enter a code from your authenticator first")
	}
	// Reloading the page must not change the key the user may have scanned
	// already, so a recent pending key is offered again.
	var pending string
	var created time.Time
	err = s.DB.QueryRowContext(ctx, "SELECT secret, created_at FROM mfa_pending WHERE user_id = $1", sess.User.ID).Scan(&pending, &created)
	if err == nil {
		pending, err = s.Secrets.Open(pending, secrets.TOTP)
	}
	if err == nil && s.DB.Now().Sub(created) < 30*time.Minute {
		key, err := otp.NewKeyFromURL(totpURL(sess.User.Email, pending))
		if err == nil {
			return Enrolment{Secret: pending, URI: key.URL()}, nil
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "metersec", AccountName: sess.User.Email})
	if err != nil {
		return Enrolment{}, errs.Wrap(err, "generate TOTP secret")
	}
	err = s.DB.Write(ctx, sess.User.Caller("session", nil), func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO mfa_pending (user_id, secret, created_at) VALUES ($1, $2, $3) "+
			"ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
			sess.User.ID, s.Secrets.Seal(key.Secret(), secrets.TOTP), tx.Now)
		return errs.Wrap(err, "store TOTP secret")
	})
	return Enrolment{Secret: key.Secret(), URI: key.URL()}, err
}

// CompleteEnrolment checks a code from the secret begun by BeginEnrolment and
// makes it the user's second factor. It returns the session's new secret: the
// session is renewed whenever it gains privilege.
func (s *Service) CompleteEnrolment(ctx context.Context, secret, code, addr string) (string, error) {
	sess, err := s.Authenticate(ctx, secret)
	if err != nil {
		return "", err
	}
	var pending string
	err = s.DB.QueryRowContext(ctx, "SELECT secret FROM mfa_pending WHERE user_id = $1", sess.User.ID).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.Conflict, "start setting up your authenticator first")
	}
	if err != nil {
		return "", errs.Wrap(err, "read TOTP secret")
	}
	plain, err := s.Secrets.Open(pending, secrets.TOTP)
	if err != nil {
		return "", errs.Wrap(err, "read TOTP secret")
	}
	// The sealed value moves to users as it is: the same key and purpose.
	step, err := s.checkCode(secret, plain, code, 0)
	if err != nil {
		return "", err
	}
	next := newSecret()
	err = s.DB.Write(ctx, sess.User.Caller("session", nil), func(tx *store.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE users SET mfa_secret = $1, mfa_enrolled_at = $2, mfa_last_step = $3 WHERE id = $4", []any{pending, tx.Now, step, sess.User.ID}},
			{"DELETE FROM mfa_pending WHERE user_id = $1", []any{sess.User.ID}},
			{"DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", []any{sess.User.ID, hashSecret(secret)}},
			{"UPDATE sessions SET id_hash = $1, mfa_passed = TRUE, mfa_at = $3 WHERE id_hash = $2", []any{hashSecret(next), hashSecret(secret), tx.Now}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return errs.Wrap(err, "enrol second factor")
			}
		}
		return audit.Record(ctx, tx, "user.mfa.enrol", "user", sess.User.Email, map[string]any{"addr": addr})
	})
	return next, err
}

// VerifyMFA checks a code for a pending session and, if it is right, lets the
// session through, returning its new secret. A code is accepted once only.
func (s *Service) VerifyMFA(ctx context.Context, secret, code, addr string) (string, error) {
	sess, err := s.Authenticate(ctx, secret)
	if err != nil {
		return "", err
	}
	if !sess.User.MFAEnrolled {
		return "", errs.E(errs.Conflict, "set up your authenticator first")
	}
	seed, err := s.totpSecret(sess.User)
	if err != nil {
		return "", err
	}
	step, err := s.checkCode(secret, seed, code, sess.User.mfaLastStep)
	if err != nil {
		return "", err
	}
	next := newSecret()
	err = s.DB.Write(ctx, sess.User.Caller("session", nil), func(tx *store.Tx) error {
		// The step guard makes a code that raced another sign-in count once.
		res, err := tx.ExecContext(ctx, "UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND mfa_last_step < $1", step, sess.User.ID)
		if err != nil {
			return errs.Wrap(err, "verify code")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Unauthenticated, "that code has been used already: wait for the next one")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET id_hash = $1, mfa_passed = TRUE, mfa_at = $3 WHERE id_hash = $2",
			hashSecret(next), hashSecret(secret), tx.Now); err != nil {
			return errs.Wrap(err, "verify code")
		}
		return audit.Record(ctx, tx, "user.mfa.pass", "user", sess.User.Email, map[string]any{"addr": addr})
	})
	return next, err
}

// checkCode validates a six-digit code against secret, allowing one step of
// clock drift either way, and returns the time step it matched. Codes of
// steps at or before lastStep were used already. Wrong codes count against
// the session.
func (s *Service) checkCode(sessionSecret, secret, code string, lastStep int64) (int64, error) {
	now := s.DB.Now()
	key := string(hashSecret(sessionSecret))
	if blocked, _ := s.byMFA.blocked(key, now); blocked {
		return 0, errs.E(errs.RateLimited, "too many wrong codes: sign in again in a few minutes")
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		s.byMFA.fail(key, now)
		return 0, errs.FieldError("code", "enter the 6 digits your authenticator shows")
	}
	step := now.Unix() / 30
	for _, d := range []int64{0, -1, 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+d)*30, 0), totpOpts)
		if err != nil {
			return 0, errs.Wrap(err, "TOTP")
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step+d <= lastStep {
				return 0, errs.E(errs.Unauthenticated, "that code has been used already: wait for the next one")
			}
			return step + d, nil
		}
	}
	s.byMFA.fail(key, now)
	return 0, errs.FieldError("code", "that code is not right: check your authenticator's clock and try the next code")
}

// CurrentCode is the code an authenticator holding secret shows at t. The
// demo and tests use it; it is not an API.
func CurrentCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// totpURL is the otpauth URI authenticator apps scan.
func totpURL(account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", "metersec")
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return "otpauth://totp/metersec:" + url.PathEscape(account) + "?" + v.Encode()
}

// SetTOTPSecret enrols a second factor directly, without a code from it. Only
// the system may, for seeding the demo world and for tests.
func (s *Service) SetTOTPSecret(ctx context.Context, c access.Caller, userID int64, secret string) error {
	if !c.System {
		return errs.E(errs.Forbidden, "only the system may set a second factor directly")
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET mfa_secret = $1, mfa_enrolled_at = $2 WHERE id = $3",
			s.Secrets.Seal(secret, secrets.TOTP), tx.Now, userID); err != nil {
			return errs.Wrap(err, "set second factor")
		}
		return audit.Record(ctx, tx, "user.mfa.set", "user", userID, map[string]any{"by": c.Name})
	})
}

// totpSecret opens the user's TOTP seed.
func (s *Service) totpSecret(u User) (string, error) {
	seed, err := s.Secrets.Open(u.mfaSecret, secrets.TOTP)
	return seed, errs.Wrap(err, "read TOTP secret")
}

// ResealSecrets brings every TOTP seed (enrolled and pending) under the key
// to: plain seeds stored before a key was given are sealed, seeds sealed
// under a key in from are opened and sealed again. With to nil they go back
// to plain text. It runs in one transaction and returns how many it changed.
// Only the system (serve at start, metersec secrets rotate) may.
func (s *Service) ResealSecrets(ctx context.Context, c access.Caller, to *secrets.Box, from ...*secrets.Box) (int, error) {
	if !c.System {
		return 0, errs.E(errs.Forbidden, "only the system reseals secrets")
	}
	n := 0
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		for _, t := range []struct{ table, key, col string }{
			{"users", "id", "mfa_secret"},
			{"mfa_pending", "user_id", "secret"},
		} {
			rows, err := tx.QueryContext(ctx, "SELECT "+t.key+", "+t.col+" FROM "+t.table+" WHERE "+t.col+" IS NOT NULL AND "+t.col+" <> ''")
			if err != nil {
				return errs.Wrap(err, "read TOTP secrets")
			}
			type row struct {
				id    int64
				value string
			}
			var changed []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.value); err != nil {
					rows.Close()
					return errs.Wrap(err, "read TOTP secrets")
				}
				v, ok, err := secrets.Reseal(r.value, secrets.TOTP, to, from...)
				if err != nil {
					rows.Close()
					return errs.E(errs.Conflict, "the TOTP secret in %s %d: %v", t.table, r.id, err)
				}
				if ok {
					changed = append(changed, row{r.id, v})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return errs.Wrap(err, "read TOTP secrets")
			}
			for _, r := range changed {
				if _, err := tx.ExecContext(ctx, "UPDATE "+t.table+" SET "+t.col+" = $1 WHERE "+t.key+" = $2", r.value, r.id); err != nil {
					return errs.Wrap(err, "reseal TOTP secret")
				}
			}
			n += len(changed)
		}
		if n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, "secrets.reseal", "totp", "all", map[string]any{"key": to.ID(), "changed": n})
	})
	return n, err
}
