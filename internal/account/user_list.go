package account

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// UserSpec is what the list of accounts accepts (issue 15): sorted by email,
// name, organisation or when added; filtered by organisation, role, whether
// disabled and whether a second factor is set up; q over email and name.
var UserSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "email", Label: "Email", Expr: "u.email", Kind: listing.Text},
		{Name: "name", Label: "Name", Expr: "u.name", Kind: listing.Text},
		{Name: "org", Label: "Organisation", Expr: "o.code", Kind: listing.Text},
		{Name: "created_at", Label: "Added", Expr: "u.id", Kind: listing.Int},
	},
	Default: "email",
	ID:      "u.id",
	Facets: []listing.Facet{
		{Name: "org", Description: "only this organisation's accounts (its code)"},
		{Name: "role", Description: "only accounts holding this role", Enum: RoleNames()},
		{Name: "disabled", Description: "true for disabled accounts only, false for those that may sign in", Type: "boolean"},
		{Name: "second_factor", Description: "true for accounts with an authenticator set up, false for those without", Type: "boolean"},
	},
	Search: "text in the account's email or name",
}

// UserCSVHeader names the columns of an accounts export.
var UserCSVHeader = []string{"email", "name", "org", "roles", "red_cleared", "second_factor", "second_factor_required", "disabled", "created_at"}

// CSV is the account as a row of the export (ISO dates; roles space
// separated).
func (u User) CSV() []string {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return []string{u.Email, u.Name, u.OrgCode, strings.Join(roles, " "), strconv.FormatBool(u.RedCleared),
		strconv.FormatBool(u.MFAEnrolled), strconv.FormatBool(u.MFARequired), strconv.FormatBool(u.Disabled),
		u.CreatedAt.UTC().Format(time.RFC3339)}
}

// usersWhere is the accounts the caller may list (every one for an
// administrator, their own organisation's for anyone else) that the
// request's filters match.
func usersWhere(c access.Caller, a *access.Args, req listing.Request) string {
	where := []string{}
	if !MayManageUsers(c) {
		where = append(where, "u.org_id = "+a.Add(c.OrgID))
	}
	if org := strings.ToUpper(strings.TrimSpace(req.Facet("org"))); org != "" {
		where = append(where, "o.code = "+a.Add(org))
	}
	if role := req.Facet("role"); role != "" {
		where = append(where, "EXISTS (SELECT 1 FROM user_roles fr WHERE fr.user_id = u.id AND fr.role = "+a.Add(role)+")")
	}
	if b := req.Bool("disabled"); b != nil {
		where = append(where, map[bool]string{true: "u.disabled_at IS NOT NULL", false: "u.disabled_at IS NULL"}[*b])
	}
	if b := req.Bool("second_factor"); b != nil {
		where = append(where, map[bool]string{true: "u.mfa_enrolled_at IS NOT NULL", false: "u.mfa_enrolled_at IS NULL"}[*b])
	}
	if req.Q != "" {
		like := a.Add(listing.Like(req.Q))
		where = append(where, "(lower(u.email) LIKE "+like+" ESCAPE '\\' OR lower(u.name) LIKE "+like+" ESCAPE '\\')")
	}
	if len(where) == 0 {
		return "TRUE"
	}
	return strings.Join(where, " AND ")
}

// userListQuery is the accounts list's SQL. Each role is a column (the set
// is small and closed), so a row carries its roles without a second query
// and an export streams.
func userListQuery(c access.Caller) listing.Query[User] {
	return listing.Query[User]{
		What: "list users",
		Columns: func(a *access.Args) string {
			cols := []string{"u.id, u.org_id, o.code, u.email, u.name, u.red_cleared, u.mfa_enrolled_at IS NOT NULL, u.disabled_at IS NOT NULL, u.created_at"}
			for _, r := range sec.Roles {
				cols = append(cols, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = "+a.Add(string(r))+")")
			}
			return strings.Join(cols, ", ")
		},
		From:  " FROM users u JOIN organisations o ON o.id = u.org_id",
		Where: func(a *access.Args, req listing.Request) string { return usersWhere(c, a, req) },
		Scan: func(s listing.Scanner) (User, error) {
			var u User
			held := make([]bool, len(sec.Roles))
			dest := []any{&u.ID, &u.OrgID, &u.OrgCode, &u.Email, &u.Name, &u.RedCleared, &u.MFAEnrolled, &u.Disabled, &u.CreatedAt}
			for i := range held {
				dest = append(dest, &held[i])
			}
			if err := s.Scan(dest...); err != nil {
				return User{}, err
			}
			u.CreatedAt = u.CreatedAt.UTC()
			for i, h := range held {
				if h {
					u.Roles = append(u.Roles, sec.Roles[i])
				}
			}
			slices.Sort(u.Roles) // by code, as scanUsers reads them
			u.MFARequired = sec.RequiresMFA(u.Roles, u.RedCleared)
			return u, nil
		},
		Key: func(u User, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "name":
				return u.Name, u.ID
			case "org":
				return u.OrgCode, u.ID
			case "created_at":
				return u.ID, u.ID
			}
			return u.Email, u.ID
		},
	}
}

func usersReader(c access.Caller) error {
	if !MayManageUsers(c) && c.UserID == 0 {
		return errs.E(errs.Unauthenticated, "sign in to see users")
	}
	return nil
}

// UsersPage is one page of the accounts the caller may see (every one for
// an administrator, else their organisation's), with the total the
// filters match.
func (s *Service) UsersPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[User], error) {
	var page listing.Page[User]
	if err := usersReader(c); err != nil {
		return page, err
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = userListQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportUsers writes every account the caller may see that the filters
// match to w, row by row. Nothing secret is in a row.
func (s *Service) ExportUsers(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := usersReader(c); err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return userListQuery(c).Export(ctx, tx, req, w, User.CSV)
	})
}
