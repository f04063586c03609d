package account

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// TokenSpec is what the list of API tokens accepts (issue 15): newest first,
// filtered by user (administrators) and revoked, q over the name and prefix.
var TokenSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "created_at", Label: "Created", Expr: "t.id", Kind: listing.Int},
		{Name: "name", Label: "Name", Expr: "t.name", Kind: listing.Text},
		{Name: "user", Label: "User", Expr: "u.email", Kind: listing.Text},
	},
	Default: "-created_at",
	ID:      "t.id",
	Facets: []listing.Facet{
		{Name: "user", Description: "administrators: only this user's tokens (email)"},
		{Name: "revoked", Description: "true for revoked tokens only, false for those not revoked", Type: "boolean"},
	},
	Search: "text in the token's name or prefix",
}

// tokenLister says why the caller may not list tokens, if it may not: a
// token without the tokens scope, or nobody signed in.
func tokenLister(c access.Caller) error {
	if err := tokenManager(c); err != nil {
		return err
	}
	if !MayManageUsers(c) && c.UserID == 0 {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	return nil
}

// tokensWhere is the tokens the caller may list: its own, or every one for
// administrators (none for a caller tokenLister refuses).
func tokensWhere(a *access.Args, c access.Caller, req listing.Request) string {
	where := []string{}
	switch {
	case MayManageUsers(c):
		if user := req.Facet("user"); user != "" {
			where = append(where, "u.email = "+a.Add(normaliseEmail(user)))
		}
	case c.UserID != 0:
		where = append(where, "t.user_id = "+a.Add(c.UserID))
	default:
		return "FALSE"
	}
	if b := req.Bool("revoked"); b != nil {
		where = append(where, map[bool]string{true: "t.revoked_at IS NOT NULL", false: "t.revoked_at IS NULL"}[*b])
	}
	if req.Q != "" {
		like := a.Add(listing.Like(req.Q))
		where = append(where, "(lower(t.name) LIKE "+like+" ESCAPE '\\' OR lower(t.prefix) LIKE "+like+" ESCAPE '\\')")
	}
	if len(where) == 0 {
		return "TRUE"
	}
	return strings.Join(where, " AND ")
}

const tokenFrom = " FROM api_tokens t JOIN users u ON u.id = t.user_id"

// TokensPage is one page of the API tokens the caller may see, with the
// total the filters match.
func (s *Service) TokensPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Token], error) {
	if err := tokenLister(c); err != nil {
		return listing.Page[Token]{}, err
	}
	return tokenQuery(c).Page(ctx, s.DB, req)
}

// tokenQuery is the token list's SQL as the caller sees it.
func tokenQuery(c access.Caller) listing.Query[Token] {
	return listing.Query[Token]{
		What: "list tokens",
		Columns: func(*access.Args) string {
			return "t.id, u.email, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.last_used_at"
		},
		From:  tokenFrom,
		Where: func(a *access.Args, req listing.Request) string { return tokensWhere(a, c, req) },
		Scan: func(r listing.Scanner) (Token, error) {
			var t Token
			var scopes string
			err := r.Scan(&t.ID, &t.User, &t.Name, &t.Prefix, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
			t.Scopes = strings.Split(scopes, ",")
			return t, err
		},
		Key: func(t Token, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "name":
				return t.Name, t.ID
			case "user":
				return t.User, t.ID
			}
			return t.ID, t.ID
		},
	}
}

// TokenCSVHeader names the columns of a tokens export.
var TokenCSVHeader = []string{"id", "user", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"}

// ExportTokens writes every token the request's filters match (never a
// secret: only its prefix is kept).
func (s *Service) ExportTokens(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := tokenLister(c); err != nil {
		return err
	}
	iso := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return tokenQuery(c).Export(ctx, s.DB, req, w, func(t Token) []string {
		exp := t.ExpiresAt
		return []string{strconv.FormatInt(t.ID, 10), t.User, t.Name, t.Prefix, strings.Join(t.Scopes, " "),
			t.CreatedAt.UTC().Format(time.RFC3339), iso(&exp), iso(t.RevokedAt), iso(t.LastUsedAt)}
	})
}
