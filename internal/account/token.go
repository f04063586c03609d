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
	"github.com/metersec/metersec/internal/validate"
)

// Token scopes. A token acts as its user, narrowed to its scopes.
const (
	ScopeRead   = "read"   // GET requests
	ScopeWrite  = "write"  // every other request
	ScopeImport = "import" // bulk uploads (estate, churn, catalogue)
)

// Scopes lists every scope.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeImport}

// MaxTokenTTL is the longest a token may live: a system's credential should
// be rotated at least yearly.
const MaxTokenTTL = 366 * 24 * time.Hour

// TokenPrefix starts every token, so a leaked one is easy to recognise.
const TokenPrefix = "mst_"

// Token is an API token as listed: never the secret itself.
type Token struct {
	ID         int64      `json:"id"`
	User       string     `json:"user"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// NewToken is a request for a token.
type NewToken struct {
	User   string        `json:"user,omitempty"` // email; the caller's own account when empty
	Name   string        `json:"name"`
	Scopes []string      `json:"scopes"`
	TTL    time.Duration `json:"-"`
	Days   int           `json:"days,omitempty"` // lifetime in days, for the API
}

// CreateToken issues a token and returns its secret, which is shown once and
// never stored. Users issue tokens for themselves; administrators for anyone.
func (s *Service) CreateToken(ctx context.Context, c access.Caller, in NewToken) (string, Token, error) {
	if in.TTL == 0 && in.Days > 0 {
		in.TTL = time.Duration(in.Days) * 24 * time.Hour
	}
	if in.TTL == 0 {
		in.TTL = 90 * 24 * time.Hour
	}
	in.Name = strings.TrimSpace(in.Name)
	var fields []errs.Field
	if m := validate.Text(in.Name, 100); m != "" {
		fields = append(fields, errs.Field{Field: "name", Message: m})
	}
	if in.TTL < 0 || in.TTL > MaxTokenTTL {
		fields = append(fields, errs.Field{Field: "days", Message: "a token lives between 1 and 366 days"})
	}
	if len(in.Scopes) == 0 {
		in.Scopes = []string{ScopeRead}
	}
	for _, sc := range in.Scopes {
		if !slices.Contains(Scopes, sc) {
			fields = append(fields, errs.Field{Field: "scopes", Message: "unknown scope " + sc + " (one of read, write, import)"})
		}
	}
	if len(fields) > 0 {
		return "", Token{}, errs.Fields("the token request is not valid", fields...)
	}
	slices.Sort(in.Scopes)
	in.Scopes = slices.Compact(in.Scopes)
	var u User
	var err error
	switch {
	case in.User == "" && c.UserID != 0:
		u, err = userByID(ctx, s.DB, c.UserID)
	case in.User == "":
		return "", Token{}, errs.FieldError("user", "say which user the token is for")
	default:
		u, err = userByEmail(ctx, s.DB, in.User)
		if err == nil && u.ID != c.UserID && !mayManageUsers(c) {
			return "", Token{}, errs.E(errs.Forbidden, "you may only create tokens for yourself")
		}
	}
	if err != nil {
		return "", Token{}, err
	}
	if u.Disabled {
		return "", Token{}, errs.E(errs.Conflict, "%s is disabled", u.Email)
	}
	secret := TokenPrefix + newSecret()
	t := Token{User: u.Email, Name: in.Name, Prefix: secret[:len(TokenPrefix)+6], Scopes: in.Scopes}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		t.CreatedAt, t.ExpiresAt = tx.Now, tx.Now.Add(in.TTL)
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, hash, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, u.ID, t.Name, t.Prefix, hashSecret(secret),
			strings.Join(t.Scopes, ","), t.CreatedAt, t.ExpiresAt).Scan(&t.ID); err != nil {
			return errs.Wrap(err, "create token")
		}
		return audit.Record(ctx, tx, "token.create", "token", t.ID, t)
	})
	return secret, t, err
}

// Tokens lists the caller's tokens, or for administrators every token (or
// one user's).
func (s *Service) Tokens(ctx context.Context, c access.Caller, user string) ([]Token, error) {
	var a access.Args
	where := "TRUE"
	switch {
	case mayManageUsers(c):
		if user != "" {
			where = "u.email = " + a.Add(normaliseEmail(user))
		}
	case c.UserID != 0:
		where = "t.user_id = " + a.Add(c.UserID)
	default:
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, u.email, t.name, t.prefix, t.scopes, t.created_at, t.expires_at,
		t.revoked_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE `+where+` ORDER BY t.id`, a...)
	if err != nil {
		return nil, errs.Wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var scopes string
		if err := rows.Scan(&t.ID, &t.User, &t.Name, &t.Prefix, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
			return nil, errs.Wrap(err, "list tokens")
		}
		t.Scopes = strings.Split(scopes, ",")
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "list tokens")
}

// RevokeToken ends a token at once. Its owner or an administrator may.
func (s *Service) RevokeToken(ctx context.Context, c access.Caller, id int64) error {
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var owner int64
		var revoked *time.Time
		err := tx.QueryRowContext(ctx, "SELECT user_id, revoked_at FROM api_tokens WHERE id = $1", id).Scan(&owner, &revoked)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != c.UserID && !mayManageUsers(c)) {
			return errs.NotFoundf("token", id)
		}
		if err != nil {
			return errs.Wrap(err, "revoke token")
		}
		if revoked != nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", tx.Now, id); err != nil {
			return errs.Wrap(err, "revoke token")
		}
		return audit.Record(ctx, tx, "token.revoke", "token", id, map[string]any{"revoked_at": tx.Now})
	})
}

// AuthenticateToken finds who a bearer token acts for.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (access.Caller, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return access.Caller{}, errs.E(errs.Unauthenticated, "that is not a metersec API token")
	}
	var id, userID int64
	var scopes string
	var expires time.Time
	var revoked, lastUsed *time.Time
	err := s.DB.QueryRowContext(ctx, "SELECT id, user_id, scopes, expires_at, revoked_at, last_used_at FROM api_tokens WHERE hash = $1",
		hashSecret(secret)).Scan(&id, &userID, &scopes, &expires, &revoked, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Caller{}, errs.E(errs.Unauthenticated, "unknown API token")
	}
	if err != nil {
		return access.Caller{}, errs.Wrap(err, "read token")
	}
	now := s.DB.Now()
	switch {
	case revoked != nil:
		return access.Caller{}, errs.E(errs.Unauthenticated, "this API token was revoked")
	case now.After(expires):
		return access.Caller{}, errs.E(errs.Unauthenticated, "this API token expired on %s", expires.UTC().Format("2006-01-02"))
	}
	u, err := userByID(ctx, s.DB, userID)
	if err != nil {
		return access.Caller{}, err
	}
	if u.Disabled {
		return access.Caller{}, errs.E(errs.Unauthenticated, "the account of this API token is disabled")
	}
	if lastUsed == nil || now.Sub(*lastUsed) > time.Minute {
		s.DB.Write(ctx, access.SystemCaller("token use"), func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", tx.Now, id)
			return err
		})
	}
	return u.Caller("token", strings.Split(scopes, ",")), nil
}
