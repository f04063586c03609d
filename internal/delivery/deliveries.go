package delivery

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// DeliverySpec is what the list of deliveries accepts (issue 15): newest
// first, filtered by state, channel, failing, kind and the record a job is
// about. q searches the kind and the last error, never the address, which
// not every operator may see.
var DeliverySpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "created_at", Label: "#", Expr: "j.id", Kind: listing.Int},
		{Name: "kind", Label: "Kind", Expr: "j.kind", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "j.state", Kind: listing.Text},
		{Name: "attempts", Label: "Attempts", Expr: "j.attempts", Kind: listing.Int},
	},
	Default: "-created_at",
	ID:      "j.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only deliveries in this state", Enum: []string{"pending", "sending", "delivered", "dead"}},
		{Name: "channel", Description: "only deliveries by this channel", Enum: []string{"email", "webhook"}},
		{Name: "failing", Description: "true for deliveries that failed at least once and are not delivered", Type: "boolean"},
		{Name: "notice_kind", Description: "only deliveries of this kind of notice"},
		{Name: "record_kind", Description: "only deliveries about records of this kind"},
		{Name: "record_id", Description: "only deliveries about the record with this id (with record_kind)", Type: "integer"},
	},
	Search: "text in the kind or the last error",
	Dates:  "the day the delivery was queued (UTC)",
}

// deliveriesWhere is what the caller may see of the queue: operators every
// job (an administrator without the recipient, deliveryColumns), anyone else
// its own organisation's; narrowed by the request.
func deliveriesWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := []string{"TRUE"}
	if !mayOperate(c) {
		where = append(where, "j.org_id = "+args.Add(c.OrgID))
	}
	if st := req.Facet("state"); st != "" {
		where = append(where, "j.state = "+args.Add(st))
	}
	if ch := req.Facet("channel"); ch != "" {
		where = append(where, "j.channel = "+args.Add(ch))
	}
	if b := req.Bool("failing"); b != nil {
		failing := "(j.state <> 'delivered' AND j.last_error <> '')"
		if !*b {
			failing = "NOT " + failing
		}
		where = append(where, failing)
	}
	if k := req.Facet("notice_kind"); k != "" {
		where = append(where, "j.kind = "+args.Add(k))
	}
	if k := req.Facet("record_kind"); k != "" {
		where = append(where, "j.record_kind = "+args.Add(k))
	}
	if id := req.Facet("record_id"); id != "" {
		n, _ := strconv.ParseInt(id, 10, 64)
		where = append(where, "j.record_id = "+args.Add(n))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(j.kind) LIKE "+like+" ESCAPE '\\' OR lower(j.last_error) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "j.created_at >= "+args.Add(req.From.Time().UTC()))
	}
	if !req.To.IsZero() {
		where = append(where, "j.created_at < "+args.Add(req.To.Time().UTC().AddDate(0, 0, 1)))
	}
	return strings.Join(where, " AND ")
}

// Deliveries is one page of the deliveries the caller may see, with the
// total the filters match.
func (s *Service) Deliveries(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Delivery], error) {
	var zero listing.Page[Delivery]
	if !c.SignedIn() {
		return zero, errs.E(errs.Unauthenticated, "sign in to see deliveries")
	}
	var items []Delivery
	if err := s.scanJobs(ctx, c, req, func(d Delivery) error { items = append(items, d); return nil }); err != nil {
		return zero, err
	}
	var args access.Args
	var total int64
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM delivery_jobs j WHERE "+deliveriesWhere(&args, c, req), args...).Scan(&total); err != nil {
		return zero, errs.Wrap(err, "count deliveries")
	}
	return listing.Finish(req, items, total, func(d Delivery) (any, int64) {
		switch req.Sort.Name {
		case "kind":
			return d.Kind, d.ID
		case "state":
			return string(d.State), d.ID
		case "attempts":
			return int64(d.Attempts), d.ID
		}
		return d.ID, d.ID
	}), nil
}

// DeliveryCSVHeader names the columns of a deliveries export.
var DeliveryCSVHeader = []string{"id", "kind", "channel", "email", "endpoint_id", "record_kind", "record_id", "state", "attempts",
	"last_error", "created_at", "delivered_at"}

// ExportDeliveries writes every delivery the request's filters match.
func (s *Service) ExportDeliveries(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see deliveries")
	}
	return s.scanJobs(ctx, c, req.Export(), func(d Delivery) error {
		delivered := ""
		if d.DeliveredAt != nil {
			delivered = d.DeliveredAt.UTC().Format(time.RFC3339)
		}
		return w.Row([]string{strconv.FormatInt(d.ID, 10), d.Kind, string(d.Channel), d.Email, strconv.FormatInt(d.EndpointID, 10),
			d.RecordKind, strconv.FormatInt(d.RecordID, 10), string(d.State), strconv.Itoa(d.Attempts), d.LastError,
			d.CreatedAt.UTC().Format(time.RFC3339), delivered}, d)
	})
}

func (s *Service) scanJobs(ctx context.Context, c access.Caller, req listing.Request, yield func(Delivery) error) error {
	var args access.Args
	where := deliveriesWhere(&args, c, req)
	page, order, limit := req.Keyset(&args)
	rows, err := s.DB.QueryContext(ctx, "SELECT "+deliveryColumns(c)+" FROM delivery_jobs j WHERE "+where+" AND "+page+
		" ORDER BY "+order+listing.LimitSQL(limit), args...)
	if err != nil {
		return errs.Wrap(err, "deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return errs.Wrap(err, "deliveries")
		}
		if err := yield(d); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), "deliveries")
}
