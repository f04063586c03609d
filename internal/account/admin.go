package account

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"github.com/metersec/metersec/internal/uk"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Administration of accounts (issue 15 point 7): enable what was disabled,
// edit roles, reset a password and second factor, see and end sessions.
// An administrator manages accounts and never acts as their users (issue 14
// point 1): nothing here lets them learn or choose a usable password, open a
// session, or make a credential for someone else.

// MayManageSessions reports whether the caller may see and end the sessions
// of the account with the email: their own, or anyone's for an
// administrator.
func MayManageSessions(c access.Caller, self User) bool {
	return MayManageUsers(c) || (c.UserID != 0 && c.UserID == self.ID)
}

// Mail is an email to one person (never an organisation's contacts),
// written to the delivery outbox in the transaction of the change it tells
// of.
type Mail struct {
	Kind          string
	OrgID, UserID int64
	To            string
	Subject, Body string
	// Link is the page the email leads to; it may hold a secret meant for
	// the recipient alone, so the outbox never shows it to anyone else.
	Link string
	Key  string
}

// Outbox writes a Mail in tx. internal/delivery, which owns the outbox,
// sets it when it is linked in: this package may not import delivery
// (delivery's tests build accounts).
var Outbox func(ctx context.Context, tx *store.Tx, m Mail) error

// ResetTTL is how long the link sent by a reset may be used.
const ResetTTL = 72 * time.Hour

// unusableHash is stored as the password of a reset account: VerifyPassword
// accepts nothing against it (it is not an argon2id hash).
const unusableHash = "!reset"

// Enable undoes Disable: the user may sign in again. Sessions and tokens
// the disable ended stay ended.
func (s *Service) Enable(ctx context.Context, c access.Caller, email string) error {
	if !MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators may enable users")
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if !u.Disabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled_at = NULL WHERE id = $1", u.ID); err != nil {
			return errs.Wrap(err, "enable user")
		}
		u.Disabled = false
		return audit.Record(ctx, tx, "user.enable", "user", u.Email, u)
	})
}

// RolesChange is a new set of roles for an account, and whether it may be
// named on RED records.
type RolesChange struct {
	Roles      []sec.Role `json:"roles"`
	RedCleared bool       `json:"red_cleared"`
}

// SetRoles replaces an account's roles and RED clearance. The roles must
// fit the organisation (sec.CheckUserRoles). An administrator may not take
// the administrator role from themselves (another must), so the platform
// never loses its last way in by a slip. If the change makes a second factor
// required that the user has not set up, their sessions end: the next
// sign-in asks for one.
func (s *Service) SetRoles(ctx context.Context, c access.Caller, email string, in RolesChange) (User, error) {
	if !MayManageUsers(c) {
		return User{}, errs.E(errs.Forbidden, "only platform administrators may change roles")
	}
	var roles []sec.Role
	var fields []errs.Field
	for _, r := range in.Roles {
		role, err := sec.ParseRole(string(r))
		if err != nil {
			fields = append(fields, errs.Field{Field: "roles", Message: err.Error()})
			continue
		}
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	if len(in.Roles) == 0 {
		fields = append(fields, errs.Field{Field: "roles", Message: "at least one role is required"})
	}
	if len(fields) > 0 {
		return User{}, errs.Fields("the roles are not valid", fields...)
	}
	slices.Sort(roles)
	var out User
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := sec.CheckUserRoles(roles, u.orgRoles); err != nil {
			return errs.FieldError("roles", "%v (%s holds %v)", err, u.OrgCode, u.orgRoles)
		}
		if u.ID == c.UserID && slices.Contains(u.Roles, sec.RoleAdmin) && !slices.Contains(roles, sec.RoleAdmin) {
			return errs.FieldError("roles", "you may not take the administrator role from yourself: ask another administrator")
		}
		before := struct {
			Roles      []sec.Role `json:"roles"`
			RedCleared bool       `json:"red_cleared"`
		}{u.Roles, u.RedCleared}
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_roles WHERE user_id = $1", u.ID); err != nil {
			return errs.Wrap(err, "change roles")
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", u.ID, r); err != nil {
				return errs.Wrap(err, "change roles")
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET red_cleared = $1 WHERE id = $2", in.RedCleared, u.ID); err != nil {
			return errs.Wrap(err, "change roles")
		}
		ended := false
		if sec.RequiresMFA(roles, in.RedCleared) && !u.MFARequired && !u.MFAEnrolled {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", u.ID); err != nil {
				return errs.Wrap(err, "change roles")
			}
			ended = true
		}
		if out, err = userByID(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "user.roles", "user", u.Email, map[string]any{
			"before": before, "roles": out.Roles, "red_cleared": out.RedCleared, "sessions_ended": ended})
	})
	return out, err
}

// Reset says what a reset did.
type Reset struct {
	Email string `json:"email"`
	// ExpiresAt is when the link sent to the user stops working.
	ExpiresAt time.Time `json:"expires_at"`
	// SessionsEnded counts the user's sessions that were ended.
	SessionsEnded int64 `json:"sessions_ended"`
}

// ResetCredentials resets an account's password and second factor: the old
// password stops working, the authenticator is removed, every session ends,
// and the user is sent (through the delivery outbox, to their own address
// only) a one-time link to choose a new password; a user who needs a second
// factor sets up a new authenticator straight after. The administrator
// never sees the link: it is in the email only, and only its hash is kept.
// API tokens stay: revoke them separately if the account was compromised.
func (s *Service) ResetCredentials(ctx context.Context, c access.Caller, email string) (Reset, error) {
	if !MayManageUsers(c) {
		return Reset{}, errs.E(errs.Forbidden, "only platform administrators may reset passwords")
	}
	code := newSecret()
	var out Reset
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.ID == c.UserID {
			return errs.E(errs.Conflict, "reset your own password on your account page, or ask another administrator")
		}
		out = Reset{Email: u.Email, ExpiresAt: tx.Now.Add(ResetTTL).UTC()}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE users SET password_hash = $1, password_changed_at = $2, mfa_secret = NULL, mfa_enrolled_at = NULL WHERE id = $3", []any{unusableHash, tx.Now, u.ID}},
			{"DELETE FROM mfa_pending WHERE user_id = $1", []any{u.ID}},
			{"DELETE FROM password_resets WHERE user_id = $1", []any{u.ID}},
			{"INSERT INTO password_resets (user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)", []any{u.ID, hashSecret(code), tx.Now, out.ExpiresAt}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return errs.Wrap(err, "reset password")
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", u.ID)
		if err != nil {
			return errs.Wrap(err, "reset password")
		}
		out.SessionsEnded, _ = res.RowsAffected()
		body := "A platform administrator has reset your metersec password" +
			map[bool]string{true: " and authenticator", false: ""}[u.MFAEnrolled] +
			". Your old password no longer works and you have been signed out everywhere.\n\n" +
			"Open the link below before " + uk.DateTime(out.ExpiresAt) + " to choose a new password"
		if u.MFARequired || u.MFAEnrolled {
			body += " and then set up your authenticator again"
		}
		body += ". Nobody else, the administrator included, knows the link.\n\n" +
			"If you did not expect this, tell your security contact."
		if Outbox == nil {
			return errs.E(errs.Internal, "no delivery outbox to send the reset link through")
		}
		if err := Outbox(ctx, tx, Mail{
			Kind: "user.reset", OrgID: u.OrgID, UserID: u.ID, To: u.Email,
			Subject: "Your metersec password has been reset", Body: body,
			Link: "/signin/reset?code=" + code,
			Key:  "user:" + u.Email + ":reset:" + hex.EncodeToString(hashSecret(code)[:8]),
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "user.reset", "user", u.Email, map[string]any{
			"expires_at": out.ExpiresAt, "second_factor_removed": u.MFAEnrolled, "sessions_ended": out.SessionsEnded})
	})
	return out, err
}

var errBadReset = errs.E(errs.Unauthenticated, "this reset link is not valid or has expired: ask a platform administrator for a new one")

// CheckReset reports whether a reset link's code is still good, and for whom.
func (s *Service) CheckReset(ctx context.Context, code string) (string, error) {
	u, err := s.resetUser(ctx, s.DB, code)
	return u.Email, err
}

func (s *Service) resetUser(ctx context.Context, q store.Querier, code string) (User, error) {
	if code == "" {
		return User{}, errBadReset
	}
	var id int64
	var expires time.Time
	err := q.QueryRowContext(ctx, "SELECT user_id, expires_at FROM password_resets WHERE code_hash = $1", hashSecret(code)).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errBadReset
	}
	if err != nil {
		return User{}, errs.Wrap(err, "read reset")
	}
	if s.DB.Now().After(expires) {
		return User{}, errBadReset
	}
	u, err := userByID(ctx, q, id)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, errs.E(errs.Unauthenticated, "this account is disabled: ask a platform administrator")
	}
	return u, nil
}

// CompleteReset sets the new password chosen through a reset link and signs
// the user in, as SignIn does: the session is pending until they set up (or
// pass) their second factor. The link works once.
func (s *Service) CompleteReset(ctx context.Context, code, password, addr, userAgent string) (string, Session, error) {
	blocked, wait, err := s.byAddress.blocked(ctx, addr, s.DB.Now())
	if err != nil {
		return "", Session{}, err
	}
	if blocked {
		return "", Session{}, errs.E(errs.RateLimited, "too many failed attempts: try again in %d minutes", int(wait.Minutes())+1)
	}
	u, err := s.resetUser(ctx, s.DB, code)
	if err != nil {
		if errs.Is(err, errs.Unauthenticated) {
			if ferr := s.byAddress.fail(ctx, addr, s.DB.Now()); ferr != nil {
				return "", Session{}, ferr
			}
		}
		return "", Session{}, err
	}
	if m := CheckPassword(password, u.Email, u.Name, u.OrgCode); m != "" {
		return "", Session{}, errs.FieldError("new_password", "%s", m)
	}
	hash := HashPassword(password)
	secret := newSecret()
	now := s.DB.Now()
	sess := Session{User: u, MFAPassed: !u.MFARequired && !u.MFAEnrolled, CSRF: newSecret(), ExpiresAt: now.Add(s.SessionTTL)}
	err = s.DB.Write(ctx, u.Caller("session", nil), func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM password_resets WHERE code_hash = $1 AND user_id = $2", hashSecret(code), u.ID)
		if err != nil {
			return errs.Wrap(err, "complete reset")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errBadReset // used by a racing request
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3", hash, tx.Now, u.ID); err != nil {
			return errs.Wrap(err, "complete reset")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, mfa_passed, created_at, expires_at, last_seen_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)`, hashSecret(secret), u.ID, sess.CSRF, sess.MFAPassed, tx.Now,
			sess.ExpiresAt, addr, truncate(userAgent, 200)); err != nil {
			return errs.Wrap(err, "open session")
		}
		return audit.Record(ctx, tx, "user.reset.complete", "user", u.Email, map[string]any{"addr": addr, "mfa_pending": !sess.MFAPassed})
	})
	if err != nil {
		return "", Session{}, err
	}
	return secret, sess, nil
}

// SessionInfo is one signed-in browser of a user, as its owner and the
// administrators see it.
type SessionInfo struct {
	CreatedAt    time.Time `json:"created_at"`
	LastSeenAt   time.Time `json:"last_seen_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Addr         string    `json:"addr"`
	UserAgent    string    `json:"user_agent"`
	SecondFactor bool      `json:"second_factor"`
	// Current marks the session the request came from.
	Current bool `json:"current"`
}

// Sessions lists the open sessions of the account with the email, newest
// first: the caller's own, or anyone's for an administrator. current is the
// caller's session secret (empty for a token), to mark that one. Another
// user's sessions answer to anyone else exactly as an unknown account does.
func (s *Service) Sessions(ctx context.Context, c access.Caller, email, current string) ([]SessionInfo, error) {
	u, err := s.sessionOwner(ctx, c, email)
	if err != nil {
		return nil, err
	}
	var cur []byte
	if current != "" {
		cur = hashSecret(current)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id_hash, created_at, last_seen_at, expires_at, ip, user_agent, mfa_passed
		FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC`, u.ID, s.DB.Now())
	if err != nil {
		return nil, errs.Wrap(err, "read sessions")
	}
	defer rows.Close()
	out := []SessionInfo{}
	for rows.Next() {
		var si SessionInfo
		var h []byte
		if err := rows.Scan(&h, &si.CreatedAt, &si.LastSeenAt, &si.ExpiresAt, &si.Addr, &si.UserAgent, &si.SecondFactor); err != nil {
			return nil, errs.Wrap(err, "read sessions")
		}
		si.CreatedAt, si.LastSeenAt, si.ExpiresAt = si.CreatedAt.UTC(), si.LastSeenAt.UTC(), si.ExpiresAt.UTC()
		si.Current = cur != nil && string(h) == string(cur)
		out = append(out, si)
	}
	return out, errs.Wrap(rows.Err(), "read sessions")
}

func (s *Service) sessionOwner(ctx context.Context, c access.Caller, email string) (User, error) {
	return s.UserByEmail(ctx, c, email)
}

// EndSessions signs the account with the email out everywhere: every one of
// its sessions ends, the caller's own included when it is theirs. Its owner
// or an administrator may. It returns how many ended.
func (s *Service) EndSessions(ctx context.Context, c access.Caller, email string) (int64, error) {
	u, err := s.sessionOwner(ctx, c, email)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", u.ID)
		if err != nil {
			return errs.Wrap(err, "sign out everywhere")
		}
		n, _ = res.RowsAffected()
		return audit.Record(ctx, tx, "user.signout.everywhere", "user", u.Email, map[string]any{"sessions_ended": n})
	})
	return n, err
}

// UserByEmail is the account with the email as the caller may see it: any
// account for an administrator, their own for anyone else; another's
// answers exactly as an unknown one.
func (s *Service) UserByEmail(ctx context.Context, c access.Caller, email string) (User, error) {
	if !c.SignedIn() {
		return User{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	u, err := userByEmail(ctx, s.DB, email)
	if err == nil && !MayManageSessions(c, u) {
		err = errs.NotFoundf("user", email)
	}
	return u, err
}
