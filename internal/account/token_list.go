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

// tokensWhere is the tokens the caller may list: its own, or every one for
// administrators.
func tokensWhere(a *access.Args, c access.Caller, req listing.Request) (string, error) {
	where := []string{}
	switch {
	case MayManageUsers(c):
		if user := req.Facet("user"); user != "" {
			where = append(where, "u.email = "+a.Add(normaliseEmail(user)))
		}
	case c.UserID != 0:
		where = append(where, "t.user_id = "+a.Add(c.UserID))
	default:
		return "", errs.E(errs.Unauthenticated, "sign in first")
	}
	if b := req.Bool("revoked"); b != nil {
		where = append(where, map[bool]string{true: "t.revoked_at IS NOT NULL", false: "t.revoked_at IS NULL"}[*b])
	}
	if req.Q != "" {
		like := a.Add(listing.Like(req.Q))
		where = append(where, "(lower(t.name) LIKE "+like+" ESCAPE '\\' OR lower(t.prefix) LIKE "+like+" ESCAPE '\\')")
	}
	if len(where) == 0 {
		return "TRUE", nil
	}
	return strings.Join(where, " AND "), nil
}

const tokenFrom = " FROM api_tokens t JOIN users u ON u.id = t.user_id"

// TokensPage is one page of the API tokens the caller may see, with the
// total the filters match.
func (s *Service) TokensPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Token], error) {
	var zero listing.Page[Token]
	if err := tokenManager(c); err != nil {
		return zero, err
	}
	var items []Token
	if err := s.scanTokens(ctx, c, req, func(t Token) error { items = append(items, t); return nil }); err != nil {
		return zero, err
	}
	var a access.Args
	where, err := tokensWhere(&a, c, req)
	if err != nil {
		return zero, err
	}
	var total int64
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*)"+tokenFrom+" WHERE "+where, a...).Scan(&total); err != nil {
		return zero, errs.Wrap(err, "count tokens")
	}
	return listing.Finish(req, items, total, func(t Token) (any, int64) {
		switch req.Sort.Name {
		case "name":
			return t.Name, t.ID
		case "user":
			return t.User, t.ID
		}
		return t.ID, t.ID
	}), nil
}

// TokenCSVHeader names the columns of a tokens export.
var TokenCSVHeader = []string{"id", "user", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"}

// ExportTokens writes every token the request's filters match (never a
// secret: only its prefix is kept).
func (s *Service) ExportTokens(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := tokenManager(c); err != nil {
		return err
	}
	iso := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return s.scanTokens(ctx, c, req.Export(), func(t Token) error {
		exp := t.ExpiresAt
		return w.Row([]string{strconv.FormatInt(t.ID, 10), t.User, t.Name, t.Prefix, strings.Join(t.Scopes, " "),
			t.CreatedAt.UTC().Format(time.RFC3339), iso(&exp), iso(t.RevokedAt), iso(t.LastUsedAt)}, t)
	})
}

func (s *Service) scanTokens(ctx context.Context, c access.Caller, req listing.Request, yield func(Token) error) error {
	var a access.Args
	where, err := tokensWhere(&a, c, req)
	if err != nil {
		return err
	}
	page, order, limit := req.Keyset(&a)
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, u.email, t.name, t.prefix, t.scopes, t.created_at, t.expires_at,
		t.revoked_at, t.last_used_at`+tokenFrom+" WHERE "+where+" AND "+page+" ORDER BY "+order+listing.LimitSQL(limit), a...)
	if err != nil {
		return errs.Wrap(err, "list tokens")
	}
	defer rows.Close()
	for rows.Next() {
		var t Token
		var scopes string
		if err := rows.Scan(&t.ID, &t.User, &t.Name, &t.Prefix, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
			return errs.Wrap(err, "list tokens")
		}
		t.Scopes = strings.Split(scopes, ",")
		if err := yield(t); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), "list tokens")
}
