// Package account holds the people and systems that use metersec: users of
// an organisation with roles, their passwords (argon2id) and second factor
// (TOTP), sign-in sessions, and API tokens for systems. Secrets given to
// clients (session cookies, tokens) are stored only as SHA-256 hashes.
package account

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
	"github.com/metersec/metersec/internal/validate"
)

// User is a person (or a system's service account) who signs in.
type User struct {
	ID          int64      `json:"id"`
	OrgID       int64      `json:"org_id"`
	OrgCode     string     `json:"org"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Roles       []sec.Role `json:"roles"`
	RedCleared  bool       `json:"red_cleared"`
	MFAEnrolled bool       `json:"mfa_enrolled"`
	MFARequired bool       `json:"mfa_required"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`

	orgRoles     []sec.OrgRole
	passwordHash string
	mfaSecret    string
	mfaLastStep  int64
}

// Caller is the user as the rest of the system sees whoever is asking.
func (u User) Caller(via string, scopes []string) access.Caller {
	return access.Caller{UserID: u.ID, OrgID: u.OrgID, OrgCode: u.OrgCode, Name: u.Email,
		Roles: u.Roles, OrgRoles: u.orgRoles, Via: via, Scopes: scopes}
}

// Service manages accounts, sessions and tokens.
type Service struct {
	DB *store.DB
	// SessionTTL is how long a session lasts from sign-in; IdleTTL how long it
	// lasts unused.
	SessionTTL, IdleTTL time.Duration
	// RecentMFA is how recently a session must have passed its second factor
	// to create an API token (DefaultRecentMFA when zero); older, and the
	// request must carry a fresh code.
	RecentMFA time.Duration
	// Secrets seals TOTP seeds at rest; nil stores them in the clear (serve
	// allows that only with --insecure-dev).
	Secrets *secrets.Box

	byAccount, byAddress, byMFA *limiter
}

// NewService returns a service with the default limits: 5 failed sign-ins per
// account and 30 per address in 15 minutes, 5 wrong codes per session.
func NewService(db *store.DB) *Service {
	return &Service{
		DB:         db,
		SessionTTL: 12 * time.Hour,
		IdleTTL:    2 * time.Hour,
		RecentMFA:  DefaultRecentMFA,
		byAccount:  newLimiter(db, "account", 5, 15*time.Minute),
		byAddress:  newLimiter(db, "address", 30, 15*time.Minute),
		byMFA:      newLimiter(db, "mfa", 5, 15*time.Minute),
	}
}

const userColumns = `u.id, u.org_id, o.code, u.email, u.name, u.red_cleared, u.mfa_enrolled_at IS NOT NULL,
	u.disabled_at IS NOT NULL, u.created_at, u.password_hash, COALESCE(u.mfa_secret, ''), u.mfa_last_step`

func scanUsers(ctx context.Context, q store.Querier, where string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+userColumns+" FROM users u JOIN organisations o ON o.id = u.org_id WHERE "+
		where+" ORDER BY o.code, u.email", args...)
	if err != nil {
		return nil, errs.Wrap(err, "read users")
	}
	defer rows.Close()
	var out []User
	idx := map[int64]int{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.OrgID, &u.OrgCode, &u.Email, &u.Name, &u.RedCleared, &u.MFAEnrolled,
			&u.Disabled, &u.CreatedAt, &u.passwordHash, &u.mfaSecret, &u.mfaLastStep); err != nil {
			return nil, errs.Wrap(err, "read users")
		}
		u.CreatedAt = u.CreatedAt.UTC()
		idx[u.ID] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "read users")
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// Roles of the users found and of their organisations.
	var a access.Args
	ph := make([]string, 0, len(out))
	for _, u := range out {
		ph = append(ph, a.Add(u.ID))
	}
	in := strings.Join(ph, ", ")
	rr, err := q.QueryContext(ctx, "SELECT user_id, role FROM user_roles WHERE user_id IN ("+in+") ORDER BY role", a...)
	if err != nil {
		return nil, errs.Wrap(err, "read user roles")
	}
	for rr.Next() {
		var id int64
		var r sec.Role
		if err := rr.Scan(&id, &r); err != nil {
			rr.Close()
			return nil, errs.Wrap(err, "read user roles")
		}
		out[idx[id]].Roles = append(out[idx[id]].Roles, r)
	}
	rr.Close()
	ro, err := q.QueryContext(ctx, `SELECT u.id, r.role FROM users u JOIN organisation_roles r ON r.org_id = u.org_id
		WHERE u.id IN (`+in+`)`, a...)
	if err != nil {
		return nil, errs.Wrap(err, "read organisation roles")
	}
	defer ro.Close()
	for ro.Next() {
		var id int64
		var r sec.OrgRole
		if err := ro.Scan(&id, &r); err != nil {
			return nil, errs.Wrap(err, "read organisation roles")
		}
		out[idx[id]].orgRoles = append(out[idx[id]].orgRoles, r)
	}
	for i := range out {
		out[i].MFARequired = sec.RequiresMFA(out[i].Roles, out[i].RedCleared)
	}
	return out, errs.Wrap(ro.Err(), "read organisation roles")
}

func userByEmail(ctx context.Context, q store.Querier, email string) (User, error) {
	us, err := scanUsers(ctx, q, "u.email = $1", normaliseEmail(email))
	if err != nil {
		return User{}, err
	}
	if len(us) == 0 {
		return User{}, errs.NotFoundf("user", email)
	}
	return us[0], nil
}

func userByID(ctx context.Context, q store.Querier, id int64) (User, error) {
	us, err := scanUsers(ctx, q, "u.id = $1", id)
	if err != nil {
		return User{}, err
	}
	if len(us) == 0 {
		return User{}, errs.NotFoundf("user", id)
	}
	return us[0], nil
}

func normaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MayManageUsers reports whether the caller runs accounts: platform
// administrators, and the system (an operator at the command line). Every
// account write decides with it; the users page asks it before listing
// every organisation's users.
func MayManageUsers(c access.Caller) bool { return c.System || c.Has(sec.RoleAdmin) }

// NewUser is what it takes to add a user. Nobody types the new user's
// password: they are emailed a one-time link to choose it (issue 15).
type NewUser struct {
	Email      string   `json:"email"`
	Name       string   `json:"name"`
	Org        string   `json:"org"`
	Roles      []string `json:"roles"`
	RedCleared bool     `json:"red_cleared,omitempty"`
	// Password, when set, is the account's password instead of a link: for
	// the system only (the demo, load tests, an operator's script that
	// reads it from standard input). No administrator, page or API sets it.
	Password string `json:"-"`
}

// Invitation is the one-time link a new account's user follows to choose
// their password. The administrator never sees it: it goes in an email to
// the user alone, except that AddUserHandingLink gives it to an operator
// at the command line of a site that has no email server.
type Invitation struct {
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AddUser creates an account. Only platform administrators may. The user
// is emailed (through the delivery outbox, in the same transaction) a
// one-time link to choose their password, valid for ResetTTL, exactly as a
// reset sends one; until then no password signs in to the account.
func (s *Service) AddUser(ctx context.Context, c access.Caller, in NewUser) (User, error) {
	u, _, err := s.addUser(ctx, c, in, false)
	return u, err
}

// AddUserHandingLink is AddUser for an operator at the command line (the
// system) when no email server is set: no email is queued, and the link is
// returned for the operator to give the user.
func (s *Service) AddUserHandingLink(ctx context.Context, c access.Caller, in NewUser) (User, Invitation, error) {
	if !c.System {
		return User{}, Invitation{}, errs.E(errs.Forbidden, "only an operator at the command line may be handed a new user's link")
	}
	return s.addUser(ctx, c, in, true)
}

func (s *Service) addUser(ctx context.Context, c access.Caller, in NewUser, hand bool) (User, Invitation, error) {
	if !MayManageUsers(c) {
		return User{}, Invitation{}, errs.E(errs.Forbidden, "only platform administrators may add users")
	}
	in.Email = normaliseEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Org = strings.ToUpper(strings.TrimSpace(in.Org))
	var fields []errs.Field
	if m := validate.Email(in.Email); m != "" {
		fields = append(fields, errs.Field{Field: "email", Message: m})
	}
	if m := validate.Text(in.Name, 200); m != "" {
		fields = append(fields, errs.Field{Field: "name", Message: m})
	}
	switch {
	case in.Password != "" && !c.System:
		fields = append(fields, errs.Field{Field: "password", Message: "an administrator does not choose a user's password: they are emailed a link to choose their own"})
	case in.Password != "":
		if m := CheckPassword(in.Password, in.Email, in.Name, in.Org); m != "" {
			fields = append(fields, errs.Field{Field: "password", Message: m})
		}
	}
	var roles []sec.Role
	for _, r := range in.Roles {
		role, err := sec.ParseRole(r)
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
		return User{}, Invitation{}, errs.Fields("the user is not valid", fields...)
	}
	hash, code := unusableHash, ""
	if in.Password != "" {
		hash = HashPassword(in.Password)
	} else {
		code = newSecret()
	}
	var u User
	var inv Invitation
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		org, ok := ix.Code(in.Org)
		if !ok {
			return errs.FieldError("org", "no organisation has the code %s", in.Org)
		}
		if err := sec.CheckUserRoles(roles, org.Roles); err != nil {
			return errs.FieldError("roles", "%v (%s holds %v)", err, org.Code, org.Roles)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO users (org_id, email, name, password_hash, red_cleared, created_at, password_changed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, org.ID, in.Email, in.Name, hash, in.RedCleared, tx.Now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.FieldError("email", "a user with the email %s already exists", in.Email)
		}
		if err != nil {
			return errs.Wrap(err, "add user")
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", id, r); err != nil {
				return errs.Wrap(err, "add user role")
			}
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return err
		}
		if code != "" {
			if inv, err = invite(ctx, tx, u, code, hand); err != nil {
				return err
			}
		}
		detail := map[string]any{"user": u, "password": "set by the system"}
		if code != "" {
			detail["password"] = map[bool]string{true: "link handed to the operator", false: "link emailed"}[hand]
			detail["link_expires_at"] = inv.ExpiresAt
		}
		return audit.Record(ctx, tx, "user.add", "user", u.Email, detail)
	})
	return u, inv, err
}

// invite stores the one-time set-password code of a new account and, unless
// the operator is handed it, emails its link to the user.
func invite(ctx context.Context, tx *store.Tx, u User, code string, hand bool) (Invitation, error) {
	inv := Invitation{Link: "/signin/reset?code=" + code, ExpiresAt: tx.Now.Add(ResetTTL).UTC()}
	if _, err := tx.ExecContext(ctx, "INSERT INTO password_resets (user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
		u.ID, hashSecret(code), tx.Now, inv.ExpiresAt); err != nil {
		return Invitation{}, errs.Wrap(err, "add user")
	}
	if hand {
		return inv, nil
	}
	if Outbox == nil {
		return Invitation{}, errs.E(errs.Internal, "no delivery outbox to send the new user's link through")
	}
	body := "A platform administrator has made you a metersec account (" + u.Email + ", " + u.OrgCode + ").\n\n" +
		"Open the link below before " + uk.DateTime(inv.ExpiresAt) + " to choose your password"
	if u.MFARequired {
		body += " and then set up an authenticator app"
	}
	body += ". Nobody else, the administrator included, knows the link or your password.\n\n" +
		"If you did not expect this, tell your security contact."
	err := Outbox(ctx, tx, Mail{
		Kind: "user.invite", OrgID: u.OrgID, UserID: u.ID, To: u.Email,
		Subject: "Your metersec account: choose your password", Body: body, Link: inv.Link,
		Key: "user:" + u.Email + ":invite:" + hex.EncodeToString(hashSecret(code)[:8]),
	})
	inv.Link = "" // in the email only
	return inv, err
}

// ListUsers lists accounts: platform administrators see every account; anyone
// else sees the accounts of their own organisation.
func (s *Service) ListUsers(ctx context.Context, c access.Caller, org string) ([]User, error) {
	var a access.Args
	where := "TRUE"
	if org != "" {
		where = "o.code = " + a.Add(strings.ToUpper(org))
	}
	switch {
	case MayManageUsers(c):
	case c.UserID != 0:
		where += " AND u.org_id = " + a.Add(c.OrgID)
	default:
		return nil, errs.E(errs.Unauthenticated, "sign in to see users")
	}
	return scanUsers(ctx, s.DB, where, a...)
}

// Me returns the caller's own account.
func (s *Service) Me(ctx context.Context, c access.Caller) (User, error) {
	if c.UserID == 0 {
		return User{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	return userByID(ctx, s.DB, c.UserID)
}

// Disable stops a user signing in and ends their sessions and tokens.
func (s *Service) Disable(ctx context.Context, c access.Caller, email string) error {
	if !MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators may disable users")
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.Disabled {
			return nil
		}
		if u.ID == c.UserID {
			return errs.E(errs.Conflict, "you may not disable your own account: ask another administrator")
		}
		// Each statement gets only the arguments it uses: PostgreSQL refuses
		// a parameter that the statement does not mention.
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE users SET disabled_at = $2 WHERE id = $1", []any{u.ID, tx.Now}},
			{"DELETE FROM sessions WHERE user_id = $1", []any{u.ID}},
			{"UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", []any{u.ID, tx.Now}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return errs.Wrap(err, "disable user")
			}
		}
		u.Disabled = true
		return audit.Record(ctx, tx, "user.disable", "user", u.Email, u)
	})
}

// ChangePassword sets a new password for the caller, who must give the
// current one. Other sessions of the user end.
func (s *Service) ChangePassword(ctx context.Context, c access.Caller, current, next string) error {
	if c.UserID == 0 {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	u, err := userByID(ctx, s.DB, c.UserID)
	if err != nil {
		return err
	}
	if m := CheckPassword(next, u.Email, u.Name, u.OrgCode); m != "" {
		return errs.FieldError("new_password", "%s", m)
	}
	if !VerifyPassword(u.passwordHash, current) {
		return errs.FieldError("current_password", "is not your current password")
	}
	hash := HashPassword(next)
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3", hash, tx.Now, u.ID); err != nil {
			return errs.Wrap(err, "change password")
		}
		return audit.Record(ctx, tx, "user.password", "user", u.Email, map[string]any{"changed_at": tx.Now})
	})
}

// RoleNames lists the role codes, for help texts.
func RoleNames() []string {
	out := make([]string, len(sec.Roles))
	for i, r := range sec.Roles {
		out[i] = string(r)
	}
	return out
}

// FindUser is the user with the email, active or disabled, for another area's
// service that names people by email (a Triage Facility's operators, a
// meeting's attendance): it ignores visibility, so the calling service decides
// what of the user its caller may learn.
func FindUser(ctx context.Context, q store.Querier, email string) (User, error) {
	return userByEmail(ctx, q, email)
}

// FindUserByID is FindUser by id.
func FindUserByID(ctx context.Context, q store.Querier, id int64) (User, error) {
	return userByID(ctx, q, id)
}
