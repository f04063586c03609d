package usersystem

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The states a User System is in on the day it is read for (?date, today by
// default): planned before its first day in service, in service, retired
// after its last.
const (
	Planned   = "planned"
	InService = "in_service"
	Retired   = "retired"
)

func classifications() []string {
	out := make([]string, len(sec.Classifications))
	for i, c := range sec.Classifications {
		out[i] = string(c)
	}
	return out
}

// ListSpec is what the register of User Systems accepts (issue 15): by User
// and number by default, sorted by its columns, filtered by the User, the
// state on the day, the marking and the day registered, searched in the
// name, the description and the User's code.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "user", Label: "User", Expr: "o.code", Kind: listing.Text},
		{Name: "ordinal", Label: "No.", Expr: "u.ordinal", Kind: listing.Int},
		{Name: "name", Label: "System", Expr: "u.name", Kind: listing.Text},
		{Name: "in_service_from", Label: "In service", Expr: "u.in_service_from", Kind: listing.Date},
		{Name: "registered_on", Label: "Registered", Expr: "u.registered_on", Kind: listing.Date},
	},
	Default: "user",
	ID:      "u.id",
	Facets: []listing.Facet{
		{Name: "user", Description: "only this User's systems (its organisation code)"},
		{Name: "state", Description: "only systems planned, in service or retired on the day (date)", Enum: []string{Planned, InService, Retired}},
		{Name: "classification", Description: "only systems with this marking", Enum: classifications()},
	},
	Search: "text in the system's name or description, or the User's code",
	Dates:  "the day the system was registered",
}

func systemsWhere(c access.Caller, args *access.Args, req listing.Request, d sec.Date) string {
	where := []string{c.Visible(args, Kind, "u", "u.org_id")}
	if v := req.Facet("user"); v != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(v)))
	}
	switch req.Facet("state") {
	case Planned:
		where = append(where, "u.in_service_from > "+args.Add(d))
	case InService:
		day := args.Add(d)
		where = append(where, "u.in_service_from <= "+day+" AND (u.in_service_to IS NULL OR u.in_service_to >= "+day+")")
	case Retired:
		where = append(where, "u.in_service_to < "+args.Add(d))
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "u.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(u.name) LIKE "+like+" ESCAPE '\\' OR lower(u.description) LIKE "+like+" ESCAPE '\\' OR lower(o.code) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "u.registered_on >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "u.registered_on <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

// systemsQuery is the register's SQL as the caller sees it, on day d. The
// rows come without their components: evaluate adds them a batch at a time.
func systemsQuery(c access.Caller, d sec.Date) listing.Query[System] {
	return listing.Query[System]{
		What:    "User Systems",
		Columns: func(*access.Args) string { return systemColumns },
		From:    systemFrom,
		Where:   func(args *access.Args, req listing.Request) string { return systemsWhere(c, args, req, d) },
		Scan:    func(r listing.Scanner) (System, error) { return scanSystem(r) },
		Key: func(s System, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "ordinal":
				return int64(s.Ordinal), s.ID
			case "name":
				return s.Name, s.ID
			case "in_service_from":
				return s.InServiceFrom, s.ID
			case "registered_on":
				return s.RegisteredOn, s.ID
			}
			return s.User, s.ID
		},
	}
}

// Page is one page of the User Systems the caller may see, read for day on
// (today when zero), with the total the filters match.
func (s *Service) Page(ctx context.Context, c access.Caller, req listing.Request, on sec.Date) (listing.Page[System], error) {
	var page listing.Page[System]
	if !c.SignedIn() {
		return page, errs.E(errs.Unauthenticated, "sign in to see User Systems")
	}
	if on.IsZero() {
		on = s.today(time.Now())
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if page, err = systemsQuery(c, on).Page(ctx, tx, req); err != nil {
			return err
		}
		return evaluate(ctx, tx, page.Items, on)
	})
	return page, err
}

// exportBatch is how many systems an export reads the components of at once.
const exportBatch = 200

// Export writes every User System the caller may see that the filters match,
// read for day on, in batches.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, on sec.Date, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see User Systems")
	}
	if on.IsZero() {
		on = s.today(time.Now())
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var batch []System
		flush := func() error {
			if err := evaluate(ctx, tx, batch, on); err != nil {
				return err
			}
			for _, sys := range batch {
				if err := w.Row(sys.CSV(), sys); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		// The rows are read whole before their components: one statement
		// at a time on the transaction.
		var all []System
		if err := systemsQuery(c, on).Each(ctx, tx, req.Export(), func(sys System) error { all = append(all, sys); return nil }); err != nil {
			return err
		}
		for _, sys := range all {
			batch = append(batch, sys)
			if len(batch) == exportBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// CSVHeader names the columns of System.CSV.
var CSVHeader = []string{"id", "user", "ordinal", "name", "in_service_from", "in_service_to", "classification", "registered_on",
	"registered_by", "on", "status", "manufacturers"}

// CSV is the system as a row of the register's export (ISO dates); the
// manufacturers are "CODE:status" separated by semicolons.
func (s System) CSV() []string {
	var ms []string
	for _, cp := range s.Components {
		ms = append(ms, cp.Manufacturer+":"+string(cp.Status))
	}
	return []string{strconv.FormatInt(s.ID, 10), s.User, strconv.Itoa(s.Ordinal), s.Name, s.InServiceFrom.String(), s.InServiceTo.String(),
		string(s.Classification), s.RegisteredOn.String(), s.RegisteredBy, s.On.String(), string(s.Status), strings.Join(ms, ";")}
}

// NoticeSpec is what the list of SECMP0057 notifications accepts: newest
// first, sorted by its columns, filtered by the User, acknowledged or not,
// in time or late, the marking and the day notified, searched in the
// system's name and the User's code.
var NoticeSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Notice", Expr: "n.id", Kind: listing.Int},
		{Name: "notified_on", Label: "Notified", Expr: "n.notified_on", Kind: listing.Date},
		{Name: "user", Label: "User", Expr: "o.code", Kind: listing.Text},
		{Name: "system", Label: "System", Expr: "u.name", Kind: listing.Text},
		{Name: "first_use", Label: "First use", Expr: "n.first_use", Kind: listing.Date},
	},
	Default: "-id",
	ID:      "n.id",
	Facets: []listing.Facet{
		{Name: "user", Description: "only this User's notifications (its organisation code)"},
		{Name: "state", Description: "acknowledged by the SSC, or not yet", Enum: []string{"acknowledged", "unacknowledged"}},
		{Name: "on_time", Description: "true for notifications made before the system's first use, false for late ones", Type: "boolean"},
		{Name: "classification", Description: "only notifications with this marking", Enum: classifications()},
	},
	Search: "text in the system's name or the User's code",
	Dates:  "the day of the notification",
}

func noticesWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, NoticeKind, "n", "n.org_id")}
	if v := req.Facet("user"); v != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(v)))
	}
	switch req.Facet("state") {
	case "acknowledged":
		where = append(where, "n.acknowledged_at IS NOT NULL")
	case "unacknowledged":
		where = append(where, "n.acknowledged_at IS NULL")
	}
	if b := req.Bool("on_time"); b != nil {
		where = append(where, "n.on_time = "+args.Add(*b))
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "n.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(u.name) LIKE "+like+" ESCAPE '\\' OR lower(o.code) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "n.notified_on >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "n.notified_on <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

func noticesQuery(c access.Caller) listing.Query[Notification] {
	return listing.Query[Notification]{
		What:    "User System notifications",
		Columns: func(*access.Args) string { return noticeColumns },
		From:    noticeFrom,
		Where:   func(args *access.Args, req listing.Request) string { return noticesWhere(c, args, req) },
		Scan:    func(r listing.Scanner) (Notification, error) { return scanNotification(r) },
		Key: func(n Notification, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "notified_on":
				return n.NotifiedOn, n.ID
			case "user":
				return n.User, n.ID
			case "system":
				return n.SystemName, n.ID
			case "first_use":
				return n.FirstUse, n.ID
			}
			return n.ID, n.ID
		},
	}
}

// NoticePage is one page of the SECMP0057 notifications the caller may see,
// with the total the filters match.
func (s *Service) NoticePage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Notification], error) {
	var page listing.Page[Notification]
	if !c.SignedIn() {
		return page, errs.E(errs.Unauthenticated, "sign in to see User System notifications")
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = noticesQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportNotices writes every notification the caller may see that the
// filters match.
func (s *Service) ExportNotices(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see User System notifications")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return noticesQuery(c).Export(ctx, tx, req, w, Notification.CSV)
	})
}

// NoticeCSVHeader names the columns of Notification.CSV.
var NoticeCSVHeader = []string{"id", "user_system_id", "user", "system_name", "ordinal", "notified_on", "first_use", "due", "on_time",
	"classification", "acknowledged_at", "acknowledged_by"}

// CSV is the notification as a row of an export (ISO dates and times).
func (n Notification) CSV() []string {
	ack := ""
	if n.AcknowledgedAt != nil {
		ack = n.AcknowledgedAt.UTC().Format(time.RFC3339)
	}
	return []string{strconv.FormatInt(n.ID, 10), strconv.FormatInt(n.UserSystemID, 10), n.User, n.SystemName, strconv.Itoa(n.Ordinal),
		n.NotifiedOn.String(), n.FirstUse.String(), n.Due.String(), strconv.FormatBool(n.OnTime), string(n.Classification), ack, n.AcknowledgedBy}
}
