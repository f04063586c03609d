package delivery

import (
	"context"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// EndpointSpec is what the list of an organisation's webhook endpoints
// accepts (issue 15): oldest first, filtered by active, q over the address
// and description.
var EndpointSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "created_at", Label: "Added", Expr: "e.id", Kind: listing.Int},
		{Name: "url", Label: "Address", Expr: "e.url", Kind: listing.Text},
	},
	Default: "created_at",
	ID:      "e.id",
	Facets:  []listing.Facet{{Name: "active", Description: "true for active endpoints only, false for disabled ones", Type: "boolean"}},
	Search:  "text in the endpoint's address or description",
}

// EndpointsPage is one page of the caller's organisation's webhook
// endpoints, with the total the filters match.
func (s *Service) EndpointsPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Endpoint], error) {
	var zero listing.Page[Endpoint]
	if !mayManageEndpoints(c, c.OrgID) {
		return zero, errs.E(errs.Forbidden, "only an organisation's own users may see its webhook endpoints")
	}
	var a access.Args
	where := []string{"e.org_id = " + a.Add(c.OrgID)}
	if b := req.Bool("active"); b != nil {
		where = append(where, map[bool]string{true: "e.active", false: "NOT e.active"}[*b])
	}
	if req.Q != "" {
		like := a.Add(listing.Like(req.Q))
		where = append(where, "(lower(e.url) LIKE "+like+" ESCAPE '\\' OR lower(e.description) LIKE "+like+" ESCAPE '\\')")
	}
	cond := strings.Join(where, " AND ")
	var total int64
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM webhook_endpoints e WHERE "+cond, a...).Scan(&total); err != nil {
		return zero, errs.Wrap(err, "count endpoints")
	}
	page, order, limit := req.Keyset(&a)
	rows, err := s.DB.QueryContext(ctx, "SELECT "+endpointColumns+" FROM webhook_endpoints e WHERE "+cond+" AND "+page+
		" ORDER BY "+order+listing.LimitSQL(limit), a...)
	if err != nil {
		return zero, errs.Wrap(err, "list endpoints")
	}
	defer rows.Close()
	var items []Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return zero, errs.Wrap(err, "list endpoints")
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return zero, errs.Wrap(err, "list endpoints")
	}
	return listing.Finish(req, items, total, func(e Endpoint) (any, int64) {
		if req.Sort.Name == "url" {
			return e.URL, e.ID
		}
		return e.ID, e.ID
	}), nil
}

// EndpointCSVHeader names the columns of an endpoints export.
var EndpointCSVHeader = []string{"id", "url", "description", "active", "created_at", "created_by", "last_error"}

// EndpointCSV is an endpoint as a CSV row.
func EndpointCSV(e Endpoint) []string {
	return []string{strconv.FormatInt(e.ID, 10), e.URL, e.Description, strconv.FormatBool(e.Active),
		e.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), e.CreatedBy, e.LastError}
}
