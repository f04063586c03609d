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

// deliveryQuery is the deliveries list's SQL as the caller sees it; where
// is the list's filters (deliveriesWhere, or the problems' narrowing of it).
func deliveryQuery(c access.Caller, where func(*access.Args, access.Caller, listing.Request) string) listing.Query[Delivery] {
	return listing.Query[Delivery]{
		What:    "deliveries",
		Columns: func(*access.Args) string { return deliveryColumns(c) },
		From:    " FROM delivery_jobs j",
		Where:   func(args *access.Args, req listing.Request) string { return where(args, c, req) },
		Scan:    func(r listing.Scanner) (Delivery, error) { return scanDelivery(r) },
		Key:     deliveryKey,
	}
}

// deliveryKey is a delivery's value of the column req sorts on, and its id.
func deliveryKey(d Delivery, req listing.Request) (any, int64) {
	switch req.Sort.Name {
	case "kind":
		return d.Kind, d.ID
	case "state":
		return string(d.State), d.ID
	case "attempts":
		return int64(d.Attempts), d.ID
	}
	return d.ID, d.ID
}

// Deliveries is one page of the deliveries the caller may see, with the
// total the filters match.
func (s *Service) Deliveries(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Delivery], error) {
	if !c.SignedIn() {
		return listing.Page[Delivery]{}, errs.E(errs.Unauthenticated, "sign in to see deliveries")
	}
	return deliveryQuery(c, deliveriesWhere).Page(ctx, s.DB, req)
}

// DeliveryCSVHeader names the columns of a deliveries export.
var DeliveryCSVHeader = []string{"id", "kind", "channel", "email", "endpoint_id", "record_kind", "record_id", "state", "attempts",
	"last_error", "created_at", "delivered_at"}

// CSV is the delivery as a row of an export (ISO times).
func (d Delivery) CSV() []string {
	delivered := ""
	if d.DeliveredAt != nil {
		delivered = d.DeliveredAt.UTC().Format(time.RFC3339)
	}
	return []string{strconv.FormatInt(d.ID, 10), d.Kind, string(d.Channel), d.Email, strconv.FormatInt(d.EndpointID, 10),
		d.RecordKind, strconv.FormatInt(d.RecordID, 10), string(d.State), strconv.Itoa(d.Attempts), d.LastError,
		d.CreatedAt.UTC().Format(time.RFC3339), delivered}
}

// ExportDeliveries writes every delivery the request's filters match.
func (s *Service) ExportDeliveries(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see deliveries")
	}
	return deliveryQuery(c, deliveriesWhere).Export(ctx, s.DB, req, w, Delivery.CSV)
}
