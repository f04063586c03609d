package party

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ListSpec is what the directory accepts (issue 15), on the shared paging
// core: by name unless sorted otherwise, filtered by role and marking,
// searched by code and name. The directory is short (hundreds of
// organisations), but it is paged like every list so that no page or
// response grows with the registry.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "code", Label: "Code", Expr: "p.code", Kind: listing.Text},
		{Name: "name", Label: "Name", Expr: "p.name", Kind: listing.Text},
		{Name: "classification", Label: "Marking", Expr: "p.classification", Kind: listing.Text},
		{Name: "updated", Label: "Updated", Expr: "p.updated_at", Kind: listing.Time},
	},
	Default: "name",
	ID:      "p.id",
	Facets: []listing.Facet{
		{Name: "role", Description: "only organisations holding this role", Enum: listing.Enum(sec.OrgRoles)},
		{Name: "classification", Description: "only entries with this marking", Enum: listing.Enum(sec.Classifications)},
	},
	Search: "text in the organisation's code or name",
}

// ParseList reads a directory request from the query. role has always
// taken a role's label too ("Large Supplier", any case): that spelling is
// turned into the code before the spec checks it, so old links still work.
func ParseList(q url.Values) (listing.Request, error) {
	if v := q.Get("role"); v != "" {
		if r, err := sec.ParseOrgRole(v); err == nil && string(r) != v {
			q = cloneValues(q)
			q.Set("role", string(r))
		}
	}
	return ListSpec.Parse(q)
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = v
	}
	return out
}

// ExportHeader is the header of the directory's CSV export (CSVHeader is
// the import's).
var ExportHeader = []string{"code", "name", "roles", "classification", "created_at", "updated_at"}

// CSV is the party as a row of the export: roles separated by ";" as the
// import reads them; times in ISO 8601.
func (p Party) CSV() []string {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return []string{p.Code, p.Name, strings.Join(roles, ";"), string(p.Classification),
		p.CreatedAt.UTC().Format(time.RFC3339), p.UpdatedAt.UTC().Format(time.RFC3339)}
}

// rolesColumn is a party's roles as one integer, bit i for sec.OrgRoles[i]:
// one correlated aggregate over the party's few role rows, the same on both
// engines, so that a page and a streamed export read a party's roles with
// its row and never query again while the rows are open.
func rolesColumn(args *access.Args) string {
	var b strings.Builder
	b.WriteString("(SELECT COALESCE(SUM(CASE r.role")
	for i, r := range sec.OrgRoles {
		b.WriteString(" WHEN " + args.Add(string(r)) + " THEN " + strconv.Itoa(1<<i))
	}
	b.WriteString(" ELSE 0 END), 0) FROM organisation_roles r WHERE r.org_id = p.id)")
	return b.String()
}

func rolesOf(mask int64) []sec.OrgRole {
	var out []sec.OrgRole
	for i, r := range sec.OrgRoles {
		if mask&(1<<i) != 0 {
			out = append(out, r)
		}
	}
	return out
}

func listWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, Kind, "p", "p.id")}
	if v := req.Facet("role"); v != "" {
		where = append(where, "EXISTS (SELECT 1 FROM organisation_roles r WHERE r.org_id = p.id AND r.role = "+args.Add(v)+")")
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "p.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(p.name) LIKE "+like+" ESCAPE '\\' OR lower(p.code) LIKE "+like+" ESCAPE '\\')")
	}
	return strings.Join(where, " AND ")
}

// listQuery is the directory's SQL as the caller sees it.
func listQuery(c access.Caller) listing.Query[Party] {
	return listing.Query[Party]{
		What:    "list parties",
		Columns: func(args *access.Args) string { return partyColumns + ", " + rolesColumn(args) },
		From:    " FROM organisations p",
		Where:   func(args *access.Args, req listing.Request) string { return listWhere(c, args, req) },
		Scan: func(r listing.Scanner) (Party, error) {
			var p Party
			var mask int64
			if err := r.Scan(&p.ID, &p.Code, &p.Name, &p.Classification, &p.CreatedAt, &p.UpdatedAt, &mask); err != nil {
				return p, err
			}
			p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
			p.Roles = rolesOf(mask)
			return p, nil
		},
		Key: func(p Party, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "code":
				return p.Code, p.ID
			case "classification":
				return string(p.Classification), p.ID
			case "updated":
				return p.UpdatedAt, p.ID
			}
			return p.Name, p.ID
		},
	}
}

// ListPage is one page of the organisations the caller may see, with the
// total the filters match.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Party], error) {
	var page listing.Page[Party]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = listQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// Export writes every organisation the caller may see that the filters
// match to w, row by row.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return listQuery(c).Export(ctx, tx, req, w, Party.CSV)
	})
}

// List returns every organisation the caller may see that f matches, by
// name: the directory's query without paging, for the system's own use
// (the forward plan, the demo) and the CLI.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]Party, error) {
	req := ListSpec.First().Export()
	req.Facets = map[string]string{}
	if f.Role != "" {
		req.Facets["role"] = string(f.Role)
	}
	req.Q = strings.TrimSpace(f.Query)
	var out []Party
	err := listQuery(c).Each(ctx, s.DB, req, func(p Party) error { out = append(out, p); return nil })
	return out, err
}
