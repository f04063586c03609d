package account

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// Single sign-on: an identity at an OpenID Connect provider (its issuer and
// the subject it gives the person) is linked by an administrator to one
// existing account. This package owns oidc_identities; the web layer runs the
// protocol (internal/web/oidc.go) and hands over only a verified ID token's
// issuer, subject and "amr".

// Identity is an identity at an OpenID Connect provider linked to an account.
type Identity struct {
	Issuer   string    `json:"issuer"`
	Subject  string    `json:"subject"`
	Email    string    `json:"email"`
	LinkedAt time.Time `json:"linked_at"`
}

// DefaultStrongAMR are the RFC 8176 authentication method references that
// count as a second factor when an identity provider reports them in "amr":
// multiple factors, one-time passwords, hardware and software keys, and
// biometrics (which a platform authenticator only releases to its holder).
// A password alone ("pwd") does not.
var DefaultStrongAMR = []string{"mfa", "otp", "hwk", "swk", "fpt", "face", "iris", "retina", "vbm", "sc"}

// StrongAMR reports whether the methods an identity provider says it used
// include one of the strong ones. Methods are compared exactly: RFC 8176
// values are case-sensitive.
func StrongAMR(amr, strong []string) bool {
	for _, m := range amr {
		if slices.Contains(strong, m) {
			return true
		}
	}
	return false
}

// checkIdentity validates an issuer and subject as an administrator types
// them: an https URL (http only for a local test provider) and a non-empty
// subject of at most 255 characters (OIDC Core 2).
func checkIdentity(issuer, subject string) error {
	var fields []errs.Field
	switch {
	case issuer == "":
		fields = append(fields, errs.Field{Field: "issuer", Message: "is required"})
	case !strings.HasPrefix(issuer, "https://") && !strings.HasPrefix(issuer, "http://127.0.0.1") && !strings.HasPrefix(issuer, "http://localhost"):
		fields = append(fields, errs.Field{Field: "issuer", Message: "must be the provider's https:// issuer URL, exactly as its ID tokens give it"})
	case len(issuer) > 500:
		fields = append(fields, errs.Field{Field: "issuer", Message: "is longer than 500 characters"})
	}
	switch {
	case subject == "":
		fields = append(fields, errs.Field{Field: "subject", Message: "is required"})
	case len(subject) > 255:
		fields = append(fields, errs.Field{Field: "subject", Message: "is longer than 255 characters (OpenID Connect allows no more)"})
	}
	if len(fields) > 0 {
		return errs.Fields("the identity is not valid", fields...)
	}
	return nil
}

// LinkOIDC links the identity (issuer, subject) to the account with the
// email. Only platform administrators (and the system) may. An identity
// already linked to another account is a conflict; linking it again to the
// same account changes nothing.
func (s *Service) LinkOIDC(ctx context.Context, c access.Caller, email, issuer, subject string) (Identity, error) {
	if !MayManageUsers(c) {
		return Identity{}, errs.E(errs.Forbidden, "only platform administrators may link sign-in identities")
	}
	issuer, subject = strings.TrimSpace(issuer), strings.TrimSpace(subject)
	if err := checkIdentity(issuer, subject); err != nil {
		return Identity{}, err
	}
	var id Identity
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		var owner int64
		err = tx.QueryRowContext(ctx, "SELECT user_id FROM oidc_identities WHERE issuer = $1 AND subject = $2", issuer, subject).Scan(&owner)
		switch {
		case err == nil && owner == u.ID:
			id, err = identityOf(ctx, tx, issuer, subject)
			return err
		case err == nil:
			return errs.E(errs.Conflict, "that identity is linked to another account already: unlink it there first")
		case !errors.Is(err, sql.ErrNoRows):
			return errs.Wrap(err, "read identity")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO oidc_identities (issuer, subject, user_id, linked_at) VALUES ($1, $2, $3, $4)",
			issuer, subject, u.ID, tx.Now); err != nil {
			return errs.Wrap(err, "link identity")
		}
		id = Identity{Issuer: issuer, Subject: subject, Email: u.Email, LinkedAt: tx.Now.UTC()}
		return audit.Record(ctx, tx, "user.oidc.link", "user", u.Email, id)
	})
	return id, err
}

// UnlinkOIDC removes the link of an identity to the account with the email.
// Only platform administrators (and the system) may.
func (s *Service) UnlinkOIDC(ctx context.Context, c access.Caller, email, issuer, subject string) error {
	if !MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators may unlink sign-in identities")
	}
	issuer, subject = strings.TrimSpace(issuer), strings.TrimSpace(subject)
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM oidc_identities WHERE issuer = $1 AND subject = $2 AND user_id = $3", issuer, subject, u.ID)
		if err != nil {
			return errs.Wrap(err, "unlink identity")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFoundf("identity", issuer+" "+subject)
		}
		return audit.Record(ctx, tx, "user.oidc.unlink", "user", u.Email, map[string]string{"issuer": issuer, "subject": subject})
	})
}

// ListOIDC lists the identities linked to accounts: every one for platform
// administrators (only those of the account with the email, if given);
// anyone else sees only their own.
func (s *Service) ListOIDC(ctx context.Context, c access.Caller, email string) ([]Identity, error) {
	var a access.Args
	where := "TRUE"
	if email != "" {
		where = "u.email = " + a.Add(normaliseEmail(email))
	}
	switch {
	case MayManageUsers(c):
	case c.UserID != 0:
		where += " AND u.id = " + a.Add(c.UserID)
	default:
		return nil, errs.E(errs.Unauthenticated, "sign in to see sign-in identities")
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT i.issuer, i.subject, u.email, i.linked_at FROM oidc_identities i
		JOIN users u ON u.id = i.user_id WHERE `+where+` ORDER BY u.email, i.issuer, i.subject`, a...)
	if err != nil {
		return nil, errs.Wrap(err, "read identities")
	}
	defer rows.Close()
	out := []Identity{}
	for rows.Next() {
		var id Identity
		if err := rows.Scan(&id.Issuer, &id.Subject, &id.Email, &id.LinkedAt); err != nil {
			return nil, errs.Wrap(err, "read identities")
		}
		id.LinkedAt = id.LinkedAt.UTC()
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "read identities")
}

func identityOf(ctx context.Context, q store.Querier, issuer, subject string) (Identity, error) {
	var id Identity
	err := q.QueryRowContext(ctx, `SELECT i.issuer, i.subject, u.email, i.linked_at FROM oidc_identities i
		JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`, issuer, subject).
		Scan(&id.Issuer, &id.Subject, &id.Email, &id.LinkedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Identity{}, errs.NotFoundf("identity", issuer+" "+subject)
	}
	id.LinkedAt = id.LinkedAt.UTC()
	return id, errs.Wrap(err, "read identity")
}

// OIDCSignIn is what a verified ID token says about who signed in.
type OIDCSignIn struct {
	Issuer, Subject string
	// AMR is the token's "amr" claim: how the provider authenticated them.
	AMR []string
	// StrongAMR lists the methods that count as a second factor
	// (DefaultStrongAMR when nil).
	StrongAMR []string
	Addr      string
	UserAgent string
}

var errUnlinkedIdentity = errs.E(errs.Unauthenticated,
	"your identity provider signed you in, but that identity is not linked to a metersec account: ask a platform administrator to link it (metersec user link-oidc)")

// SignInOIDC opens a session for the account an identity provider's verified
// ID token names, as SignIn does for a password. Nothing is created: an
// identity no administrator linked is refused, and so is a disabled account.
// An account that needs a second factor (its roles require one, or it has
// enrolled an authenticator) passes it when the provider reports a strong
// method in "amr"; otherwise the session is pending, and the authenticator
// code (or enrolment) is asked for as after a password.
func (s *Service) SignInOIDC(ctx context.Context, in OIDCSignIn) (string, Session, error) {
	strong := in.StrongAMR
	if strong == nil {
		strong = DefaultStrongAMR
	}
	var userID int64
	err := s.DB.QueryRowContext(ctx, "SELECT user_id FROM oidc_identities WHERE issuer = $1 AND subject = $2", in.Issuer, in.Subject).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		// Not audited (no account to name) but logged by the caller; counted
		// against the address like a wrong password.
		if err := s.byAddress.fail(ctx, in.Addr, s.DB.Now()); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, errUnlinkedIdentity
	}
	if err != nil {
		return "", Session{}, errs.Wrap(err, "read identity")
	}
	u, err := userByID(ctx, s.DB, userID)
	if err != nil {
		return "", Session{}, err
	}
	if u.Disabled {
		return "", Session{}, errs.E(errs.Unauthenticated, "this account is disabled: ask a platform administrator")
	}
	needsSecond := u.MFARequired || u.MFAEnrolled
	viaAMR := needsSecond && StrongAMR(in.AMR, strong)
	passed := !needsSecond || viaAMR
	secret := newSecret()
	now := s.DB.Now()
	sess := Session{User: u, MFAPassed: passed, CSRF: newSecret(), ExpiresAt: now.Add(s.SessionTTL)}
	err = s.DB.Write(ctx, u.Caller("session", nil), func(tx *store.Tx) error {
		var mfaAt *time.Time
		if viaAMR {
			t := tx.Now
			mfaAt = &t
			sess.MFAAt = t.UTC()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, mfa_passed, created_at, expires_at, last_seen_at, ip, user_agent, mfa_at)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8, $9)`, hashSecret(secret), u.ID, sess.CSRF, sess.MFAPassed, tx.Now,
			sess.ExpiresAt, in.Addr, truncate(in.UserAgent, 200), mfaAt); err != nil {
			return errs.Wrap(err, "open session")
		}
		amr := in.AMR
		if amr == nil {
			amr = []string{}
		}
		return audit.Record(ctx, tx, "user.signin", "user", u.Email, map[string]any{"addr": in.Addr, "mfa_pending": !sess.MFAPassed,
			"method": "oidc", "issuer": in.Issuer, "subject": in.Subject, "amr": amr, "second_factor_by_amr": viaAMR})
	})
	return secret, sess, err
}
