package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// ScopeTokens lets a token list, create and revoke its user's tokens. A
	// token it creates has no scope it lacks and does not outlive it.
	ScopeTokens = "tokens"
)

// Scopes lists every scope.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeImport, ScopeTokens}

// MaxTokenDays is the longest a token may live, in days: a system's
// credential should be rotated at least yearly.
const MaxTokenDays = 366

// MaxTokenTTL is MaxTokenDays as a duration.
const MaxTokenTTL = MaxTokenDays * 24 * time.Hour

// DefaultTokenDays is a token's lifetime when the request does not say.
const DefaultTokenDays = 90

// DefaultRecentMFA is how recent a session's second factor must be for it to
// create a token, unless Service.RecentMFA says otherwise.
const DefaultRecentMFA = 15 * time.Minute

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

// NewToken is a request for a token. A token always acts as the user who
// creates it: User, if given, must be the caller's own email.
type NewToken struct {
	User   string   `json:"user,omitempty"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// Days is the lifetime in days, 1 to 366; 90 when absent.
	Days *int `json:"days,omitempty"`
	// Code is the current code from the caller's authenticator, needed when
	// the session's second factor is older than Service.RecentMFA.
	Code string `json:"code,omitempty"`
}

// Days returns a pointer to n, for NewToken.Days.
func Days(n int) *int { return &n }

// CreateToken issues a token for the caller and returns its secret, which is
// shown once and never stored. Nobody may create a token that acts as someone
// else: an administrator manages accounts, never reads as them. The caller
// is a signed-in session whose second factor (if the account has one) is
// recent, or a token with the "tokens" scope; the new token never has a
// scope, or an expiry, beyond what created it.
func (s *Service) CreateToken(ctx context.Context, c access.Caller, in NewToken) (string, Token, error) {
	switch {
	case c.UserID == 0 && c.System:
		return "", Token{}, errs.E(errs.Forbidden, "a token acts as the user who creates it: "+
			"the user creates it signed in, or with metersec token create --user EMAIL --password-stdin")
	case c.UserID == 0:
		return "", Token{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	ttl, err := in.check()
	if err != nil {
		return "", Token{}, err
	}
	u, err := userByID(ctx, s.DB, c.UserID)
	if err != nil {
		return "", Token{}, err
	}
	if in.User != "" && normaliseEmail(in.User) != u.Email {
		return "", Token{}, errs.E(errs.Forbidden, "a token acts as the user who creates it: nobody, administrators included, "+
			"may create one for another user (%s signs in and creates their own)", normaliseEmail(in.User))
	}
	if u.Disabled {
		return "", Token{}, errs.E(errs.Conflict, "%s is disabled", u.Email)
	}
	codeStep, err := s.mayCreateToken(ctx, c, u, in, ttl)
	if err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + newSecret()
	t := Token{User: u.Email, Name: in.Name, Prefix: secret[:len(TokenPrefix)+6], Scopes: in.Scopes}
	var parent *int64
	if c.Via == "token" && c.TokenID != 0 {
		parent = &c.TokenID
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if codeStep != 0 {
			// The step guard makes a code count once, as at sign-in.
			res, err := tx.ExecContext(ctx, "UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND mfa_last_step < $1", codeStep, u.ID)
			if err != nil {
				return errs.Wrap(err, "verify code")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.E(errs.Unauthenticated, "that code has been used already: wait for the next one")
			}
		}
		t.CreatedAt, t.ExpiresAt = tx.Now, tx.Now.Add(ttl)
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, hash, scopes, created_at, expires_at, created_by, parent_token_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, u.ID, t.Name, t.Prefix, hashSecret(secret),
			strings.Join(t.Scopes, ","), t.CreatedAt, t.ExpiresAt, c.UserID, parent).Scan(&t.ID); err != nil {
			return errs.Wrap(err, "create token")
		}
		return audit.Record(ctx, tx, "token.create", "token", t.ID, t)
	})
	return secret, t, err
}

// check validates a token request, fills in its defaults and returns the
// lifetime.
func (in *NewToken) check() (time.Duration, error) {
	in.Name = strings.TrimSpace(in.Name)
	var fields []errs.Field
	if m := validate.Text(in.Name, 100); m != "" {
		fields = append(fields, errs.Field{Field: "name", Message: m})
	}
	days := DefaultTokenDays
	if in.Days != nil {
		days = *in.Days
		if days < 1 || days > MaxTokenDays {
			fields = append(fields, errs.Field{Field: "days",
				Message: fmt.Sprintf("must be a whole number of days from 1 to %d, not %d", MaxTokenDays, days)})
		}
	}
	if len(in.Scopes) == 0 {
		in.Scopes = []string{ScopeRead}
	}
	for _, sc := range in.Scopes {
		if !slices.Contains(Scopes, sc) {
			fields = append(fields, errs.Field{Field: "scopes", Message: "unknown scope " + sc + " (one of " + strings.Join(Scopes, ", ") + ")"})
		}
	}
	if len(fields) > 0 {
		return 0, errs.Fields("the token request is not valid", fields...)
	}
	slices.Sort(in.Scopes)
	in.Scopes = slices.Compact(in.Scopes)
	return time.Duration(days) * 24 * time.Hour, nil
}

// mayCreateToken decides whether c, acting as u, may create the token: a
// token needs the tokens scope and yields nothing beyond itself; a session
// (or the command line) needs a recent second factor where the account has
// one, or a current code in the request. It returns the code's time step
// to spend, or 0.
func (s *Service) mayCreateToken(ctx context.Context, c access.Caller, u User, in NewToken, ttl time.Duration) (int64, error) {
	now := s.DB.Now()
	if c.Via == "token" {
		if !slices.Contains(c.Scopes, ScopeTokens) {
			return 0, errs.E(errs.Forbidden, "this API token lacks the %q scope that creating a token needs", ScopeTokens)
		}
		for _, sc := range in.Scopes {
			if !slices.Contains(c.Scopes, sc) {
				return 0, errs.FieldError("scopes", "a token may not create one with a scope it lacks (%s; it has %s)",
					sc, strings.Join(c.Scopes, ", "))
			}
		}
		if limit := c.TokenExpiresAt; now.Add(ttl).After(limit) {
			return 0, errs.FieldError("days", "a token may not create one that outlives it: this one expires on %s, "+
				"so at most %d days", limit.UTC().Format("2006-01-02"), int(limit.Sub(now)/(24*time.Hour)))
		}
		return 0, nil
	}
	if !u.MFAEnrolled || (!c.SecondFactorAt.IsZero() && now.Sub(c.SecondFactorAt) <= s.recentMFA()) {
		return 0, nil
	}
	if strings.TrimSpace(in.Code) == "" {
		return 0, errs.Fields(fmt.Sprintf("creating an API token needs a second factor from the last %d minutes: "+
			"enter the current code from your authenticator", int(s.recentMFA().Minutes())),
			errs.Field{Field: "code", Message: "enter the current code from your authenticator"})
	}
	seed, err := s.totpSecret(u)
	if err != nil {
		return 0, err
	}
	return s.checkCode(ctx, "user:"+u.Email, seed, in.Code, u.mfaLastStep)
}

func (s *Service) recentMFA() time.Duration {
	if s.RecentMFA > 0 {
		return s.RecentMFA
	}
	return DefaultRecentMFA
}

// CreateTokenSignedIn is CreateToken for a user at the command line, who
// proves who they are as at sign-in: their password and, if their account
// has one, a current code from their authenticator. An operator with the
// database in hand cannot make a token for anyone without these.
func (s *Service) CreateTokenSignedIn(ctx context.Context, email, password, code string, in NewToken) (string, Token, error) {
	email = normaliseEmail(email)
	now := s.DB.Now()
	blocked, wait, err := s.byAccount.blocked(ctx, email, now)
	if err != nil {
		return "", Token{}, err
	}
	if blocked {
		return "", Token{}, errs.E(errs.RateLimited, "too many failed attempts: try again in %d minutes", int(wait.Minutes())+1)
	}
	u, err := userByEmail(ctx, s.DB, email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", Token{}, err
	}
	hash := u.passwordHash
	if err != nil || u.Disabled {
		hash = dummyHash
	}
	if !VerifyPassword(hash, password) || err != nil || u.Disabled {
		if err := s.byAccount.fail(ctx, email, now); err != nil {
			return "", Token{}, err
		}
		return "", Token{}, errBadCredentials
	}
	if err := s.DB.Write(ctx, access.SystemCaller("token sign-in"), func(tx *store.Tx) error {
		return s.byAccount.reset(ctx, tx, email)
	}); err != nil {
		return "", Token{}, err
	}
	if u.MFARequired && !u.MFAEnrolled {
		return "", Token{}, errs.E(errs.Forbidden, "%s must set up an authenticator (at sign-in) before creating tokens", u.Email)
	}
	c := u.Caller("cli", nil)
	if in.User != "" && normaliseEmail(in.User) != u.Email {
		return "", Token{}, errs.E(errs.Forbidden, "a token acts as the user who creates it")
	}
	in.Code = code
	return s.CreateToken(ctx, c, in)
}

// Tokens lists the caller's tokens, or for administrators every token (or
// one user's).
func (s *Service) Tokens(ctx context.Context, c access.Caller, user string) ([]Token, error) {
	if err := tokenManager(c); err != nil {
		return nil, err
	}
	var a access.Args
	where := "TRUE"
	switch {
	case MayManageUsers(c):
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
	if err := tokenManager(c); err != nil {
		return err
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var owner int64
		var revoked *time.Time
		err := tx.QueryRowContext(ctx, "SELECT user_id, revoked_at FROM api_tokens WHERE id = $1", id).Scan(&owner, &revoked)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != c.UserID && !MayManageUsers(c)) {
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

// tokenManager refuses a token caller without the "tokens" scope: managing
// tokens is for signed-in people and for tokens given that power.
func tokenManager(c access.Caller) error {
	if c.Via == "token" && !slices.Contains(c.Scopes, ScopeTokens) {
		return errs.E(errs.Forbidden, "this API token lacks the %q scope that managing tokens needs", ScopeTokens)
	}
	return nil
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
	c := u.Caller("token", strings.Split(scopes, ","))
	c.TokenID, c.TokenExpiresAt = id, expires.UTC()
	return c, nil
}
