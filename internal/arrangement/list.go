package arrangement

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The states an arrangement can be in on a day (StateOn), as the state
// facet spells them.
const (
	StateInForce       = "in_force"
	StateNotYetInForce = "not_yet_in_force"
	StateExpired       = "expired"
	StateEnded         = "ended"
	StatePending       = "pending"
)

// States lists the state facet's values in display order.
var States = []string{StateInForce, StateNotYetInForce, StateExpired, StateEnded, StatePending}

// StateLabel is the words StateOn uses for a state facet value.
func StateLabel(state string) string {
	switch state {
	case StateInForce:
		return "in force"
	case StateNotYetInForce:
		return "not yet in force"
	case StatePending:
		return "pending SSC confirmation"
	}
	return state
}

// MaxExpiringWithin is the largest look-ahead expiring_within takes (ten
// years: beyond that "expiring" means nothing).
const MaxExpiringWithin = 3650

// noExpiry sorts an arrangement without an expiry date after every dated
// one. A bare string literal is a DATE on PostgreSQL (the type of the other
// COALESCE argument) and the text SQLite keeps dates as.
const noExpiry = "9999-12-31"

// ListSpec is what the arrangement list accepts (issue 15), on the shared
// paging core: newest in force first unless sorted otherwise, filtered by
// state on today, kind, each party, marking, materiality, expiry and the day
// it takes effect, searched over the reference, title and the parties. The
// former parameters (kind by label, party, in_force_on) still work.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "reference", Label: "Reference", Expr: "a.reference", Kind: listing.Text},
		{Name: "kind", Label: "Kind", Expr: "a.kind", Kind: listing.Text},
		{Name: "supplier", Label: "Supplier", Expr: "COALESCE(so.code, '')", Kind: listing.Text},
		{Name: "map", Label: "MAP", Expr: "COALESCE(mo.code, '')", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "COALESCE(fo.code, '')", Kind: listing.Text},
		{Name: "effective", Label: "Effective", Expr: "a.effective", Kind: listing.Date},
		{Name: "expires", Label: "Expires", Expr: "COALESCE(a.expires, '" + noExpiry + "')", Kind: listing.Date},
		{Name: "updated", Label: "Updated", Expr: "a.updated_at", Kind: listing.Time},
	},
	Default: "-effective",
	ID:      "a.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only arrangements in this state today (in force, not yet in force, expired, ended, or a scheme enrolment pending SSC confirmation)", Enum: States},
		{Name: "kind", Description: "only this kind (a kind's label, or loi, mou, scheme, is read as its code too)", Enum: listing.Enum(Kinds)},
		{Name: "supplier", Description: "only arrangements whose Supplier (or, for a contract with a manufacturer, User) is this organisation code"},
		{Name: "map", Description: "only arrangements naming this MAP (organisation code)"},
		{Name: "manufacturer", Description: "only arrangements naming this manufacturer (organisation code)"},
		{Name: "party", Description: "only arrangements naming this organisation code on any side"},
		{Name: "classification", Description: "only arrangements with this marking", Enum: []string{string(sec.White), string(sec.Green), string(sec.Amber), string(sec.Red)}},
		{Name: "materiality_text", Description: "text in the parties' agreed definition of a material security vulnerability"},
		{Name: "in_force_on", Description: "only arrangements in force on this day", Type: "date"},
		{Name: "expires_from", Description: "only arrangements expiring on or after this day", Type: "date"},
		{Name: "expires_to", Description: "only arrangements expiring on or before this day", Type: "date"},
		{Name: "expiring_within", Description: "only active arrangements that expire from today to this many days ahead, without being ended first: the dashboard's count of expiring arrangements", Type: "integer"},
	},
	Search: "text in the reference, the title, or the code or name of a party",
	Dates:  "day it takes effect (its start)",
}

// ParseList reads an arrangement list request from the query. It accepts
// what the list always has: kind as a label or short name ("loi"), read as
// its code. A day facet that is not a date, or a look-ahead out of range,
// is a field error naming it.
func ParseList(q url.Values) (listing.Request, error) {
	if v := q.Get("kind"); v != "" {
		if k, err := ParseKind(v); err == nil && string(k) != v {
			c := make(url.Values, len(q))
			for key, vs := range q {
				c[key] = vs
			}
			c.Set("kind", string(k))
			q = c
		}
	}
	req, err := ListSpec.Parse(q)
	if err != nil {
		return req, err
	}
	for _, name := range []string{"in_force_on", "expires_from", "expires_to"} {
		if v := req.Facet(name); v != "" {
			if _, err := sec.ParseDate(v); err != nil {
				return req, errs.FieldError(name, "must be a date as YYYY-MM-DD")
			}
		}
	}
	if v := req.Facet("expiring_within"); v != "" {
		if n, _ := strconv.Atoi(v); n < 0 || n > MaxExpiringWithin {
			return req, errs.FieldError("expiring_within", "must be a whole number of days from 0 to %d", MaxExpiringWithin)
		}
	}
	return req, nil
}

// ExpiringLink is the list of the arrangements Expiring counts for days
// ahead: the dashboard links its count there.
func ExpiringLink(days int) string {
	return "/arrangements?expiring_within=" + strconv.Itoa(days) + "&sort=expires"
}

// expiringWhere is the condition on an arrangement that expires from today
// to today+days while active and not ended first: Expiring counts it, the
// expiring_within facet lists it, the alert job announces it.
func expiringWhere(args *access.Args, today sec.Date, days int) string {
	return "a.status = 'active' AND a.expires IS NOT NULL AND a.expires >= " + args.Add(today) +
		" AND a.expires <= " + args.Add(today.AddDays(days)) + " AND (a.ended IS NULL OR a.ended > a.expires)"
}

// inForceWhere is InForce on day d as SQL.
func inForceWhere(args *access.Args, d sec.Date) string {
	p := args.Add(d)
	return "a.status <> 'pending' AND a.effective <= " + p + " AND (a.expires IS NULL OR a.expires >= " + p +
		") AND (a.ended IS NULL OR a.ended > " + p + ")"
}

// stateWhere is StateOn(today) == state as SQL, tested in the same order
// StateOn tests them.
func stateWhere(args *access.Args, today sec.Date, state string) string {
	switch state {
	case StatePending:
		return "a.status = 'pending'"
	case StateInForce, "":
		return inForceWhere(args, today)
	}
	// Every parameter added is used: PostgreSQL cannot type one that is not.
	d := args.Add(today)
	notEnded := "(a.ended IS NULL OR a.ended > " + d + ")"
	switch state {
	case StateEnded:
		return "a.status <> 'pending' AND a.ended IS NOT NULL AND a.ended <= " + d
	case StateNotYetInForce:
		return "a.status <> 'pending' AND " + notEnded + " AND a.effective > " + d
	case StateExpired:
		return "a.status <> 'pending' AND " + notEnded + " AND a.effective <= " + d + " AND a.expires IS NOT NULL AND a.expires < " + d
	}
	return "FALSE"
}

// listWhere is the caller's visibility and the request's filters. today is
// the day the state facets are read on.
func listWhere(c access.Caller, args *access.Args, req listing.Request, today sec.Date) string {
	where := []string{c.Visible(args, RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id")}
	code := func(v string) string { return args.Add(strings.ToUpper(strings.TrimSpace(v))) }
	if v := req.Facet("state"); v != "" {
		where = append(where, stateWhere(args, today, v))
	}
	if v := req.Facet("kind"); v != "" {
		where = append(where, "a.kind = "+args.Add(v))
	}
	if v := req.Facet("supplier"); v != "" {
		where = append(where, "so.code = "+code(v))
	}
	if v := req.Facet("map"); v != "" {
		where = append(where, "mo.code = "+code(v))
	}
	if v := req.Facet("manufacturer"); v != "" {
		where = append(where, "fo.code = "+code(v))
	}
	if v := req.Facet("party"); v != "" {
		p := code(v)
		where = append(where, "(so.code = "+p+" OR mo.code = "+p+" OR fo.code = "+p+")")
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "a.classification = "+args.Add(v))
	}
	if v := req.Facet("materiality_text"); v != "" {
		where = append(where, "lower(a.materiality) LIKE "+args.Add(listing.Like(v))+" ESCAPE '\\'")
	}
	if v := req.Facet("in_force_on"); v != "" {
		d, _ := sec.ParseDate(v)
		where = append(where, inForceWhere(args, d))
	}
	if v := req.Facet("expires_from"); v != "" {
		d, _ := sec.ParseDate(v)
		where = append(where, "a.expires >= "+args.Add(d))
	}
	if v := req.Facet("expires_to"); v != "" {
		d, _ := sec.ParseDate(v)
		where = append(where, "a.expires <= "+args.Add(d))
	}
	if v := req.Facet("expiring_within"); v != "" {
		n, _ := strconv.Atoi(v)
		where = append(where, expiringWhere(args, today, n))
	}
	if !req.From.IsZero() {
		where = append(where, "a.effective >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "a.effective <= "+args.Add(req.To))
	}
	if req.Q != "" {
		// A party's name is searched only where the caller may see the
		// party's own record, as the list shows it: else a search would
		// tell an AMBER Supplier's name by what it finds.
		like := args.Add(listing.Like(req.Q))
		or := []string{"lower(a.reference) LIKE " + like + " ESCAPE '\\'", "lower(a.title) LIKE " + like + " ESCAPE '\\'"}
		for _, o := range []string{"so", "mo", "fo"} {
			or = append(or, "lower(COALESCE("+o+".code, '')) LIKE "+like+" ESCAPE '\\'",
				"(CASE WHEN "+c.Visible(args, "party", o, o+".id")+" THEN lower("+o+".name) ELSE '' END) LIKE "+like+" ESCAPE '\\'")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(where, " AND ")
}

const arrangementFrom = ` FROM arrangements a
		LEFT JOIN organisations so ON so.id = a.supplier_id
		LEFT JOIN organisations mo ON mo.id = a.map_id
		LEFT JOIN organisations fo ON fo.id = a.manufacturer_id`

// columns is the SELECT list scanArrangement reads. Names of the parties
// come only where the caller may see the party's own record. The covered
// models come as one "MAN/MODEL MAN/MODEL" aggregate (string_agg with an
// ORDER BY is the same on both engines), so that an export streams each row
// without another query while its rows are open; pages then load the
// models' names (loadModels).
func columns(c access.Caller, args *access.Args) string {
	nameOf := func(alias string) string {
		return "CASE WHEN " + c.Visible(args, "party", alias, alias+".id") + " THEN " + alias + ".name ELSE '' END"
	}
	return `a.id, a.reference, a.kind, a.title, a.all_models, a.materiality, a.sec_version,
		a.legacy, a.signed, a.effective, a.expires, a.ended, a.status, a.classification, a.confirmed_at, a.confirmed_by,
		a.created_at, a.updated_at,
		a.supplier_id, so.code, ` + nameOf("so") + `, a.map_id, mo.code, ` + nameOf("mo") + `, a.manufacturer_id, fo.code, ` + nameOf("fo") + `,
		a.first_signatory, a.first_signed, a.second_signatory, a.second_signed,
		(SELECT string_agg(mm.code || '/' || m.code, ' ' ORDER BY mm.code, m.code) FROM arrangement_models am
			JOIN device_models m ON m.id = am.model_id JOIN organisations mm ON mm.id = m.manufacturer_id
			WHERE am.arrangement_id = a.id)`
}

// scanArrangement reads one row of columns; its state is read on today.
func scanArrangement(r listing.Scanner, today sec.Date) (Arrangement, error) {
	var a Arrangement
	var conf sql.NullTime
	var ids [3]sql.NullInt64
	var codes, names [3]sql.NullString
	var sigBy [2]sql.NullInt64
	var sigOn [2]sec.Date
	var models sql.NullString
	if err := r.Scan(&a.ID, &a.Reference, &a.Kind, &a.Title, &a.AllModels, &a.Materiality, &a.SECVersion,
		&a.Legacy, &a.Signed, &a.Effective, &a.Expires, &a.Ended, &a.Status, &a.Classification, &conf, &a.ConfirmedBy,
		&a.CreatedAt, &a.UpdatedAt,
		&ids[0], &codes[0], &names[0], &ids[1], &codes[1], &names[1], &ids[2], &codes[2], &names[2],
		&sigBy[0], &sigOn[0], &sigBy[1], &sigOn[1], &models); err != nil {
		return a, err
	}
	orgs := [3]*Org{}
	for i := range ids {
		if ids[i].Valid {
			orgs[i] = &Org{ID: ids[i].Int64, Code: codes[i].String, Name: names[i].String}
		}
	}
	a.Supplier, a.MAP, a.Manufacturer = orgs[0], orgs[1], orgs[2]
	// A signatory is always one of the parties, named as the arrangement
	// names it.
	for i := range sigBy {
		if !sigBy[i].Valid {
			continue
		}
		for _, o := range orgs {
			if o != nil && o.ID == sigBy[i].Int64 {
				a.Signatures = append(a.Signatures, Signature{Party: *o, Signed: sigOn[i]})
			}
		}
	}
	if conf.Valid {
		t := conf.Time.UTC()
		a.ConfirmedAt = &t
	}
	for _, m := range strings.Fields(models.String) {
		man, code, _ := strings.Cut(m, "/")
		a.Models = append(a.Models, ModelRef{Manufacturer: man, Code: code})
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.KindLabel = a.Kind.Label()
	a.State = a.StateOn(today)
	return a, nil
}

// listQuery is the arrangement list's SQL as the caller sees it on today;
// extra, when given, is one more condition (a reference).
func (s *Service) listQuery(c access.Caller, today sec.Date, extra func(args *access.Args) string) listing.Query[Arrangement] {
	return listing.Query[Arrangement]{
		What:    "list arrangements",
		Columns: func(args *access.Args) string { return columns(c, args) },
		From:    arrangementFrom,
		Where: func(args *access.Args, req listing.Request) string {
			w := listWhere(c, args, req, today)
			if extra != nil {
				w += " AND " + extra(args)
			}
			return w
		},
		Scan: func(r listing.Scanner) (Arrangement, error) { return scanArrangement(r, today) },
		Key: func(a Arrangement, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "reference":
				return a.Reference, a.ID
			case "kind":
				return string(a.Kind), a.ID
			case "supplier":
				return orgCode(a.Supplier), a.ID
			case "map":
				return orgCode(a.MAP), a.ID
			case "manufacturer":
				return orgCode(a.Manufacturer), a.ID
			case "expires":
				if a.Expires.IsZero() {
					return noExpiry, a.ID
				}
				return a.Expires, a.ID
			case "updated":
				return a.UpdatedAt, a.ID
			}
			return a.Effective, a.ID
		},
	}
}

func orgCode(o *Org) string {
	if o == nil {
		return ""
	}
	return o.Code
}

// ListPage is one page of the arrangements the caller may see, with the
// total the filters match and the covered models' names.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Arrangement], error) {
	var page listing.Page[Arrangement]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if page, err = s.listQuery(c, s.today(time.Now()), nil).Page(ctx, tx, req); err != nil {
			return err
		}
		return s.loadModels(ctx, tx, c, page.Items)
	})
	return page, err
}

// Export writes every arrangement the caller may see that the filters
// match to w, row by row (models by code).
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.listQuery(c, s.today(time.Now()), nil).Export(ctx, tx, req, w, Arrangement.CSV)
	})
}

// ExportHeader is the header of the list's CSV export (CSVHeader is the
// import's).
var ExportHeader = []string{"reference", "kind", "title", "supplier", "map", "manufacturer", "all_models", "models",
	"materiality", "sec_version", "signed", "effective", "expires", "ended", "status", "state", "classification", "updated_at"}

// CSV is the arrangement as a row of the export: days and times in ISO
// 8601, models as "MAN/MODEL" separated by spaces.
func (a Arrangement) CSV() []string {
	day := func(d sec.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	models := make([]string, len(a.Models))
	for i, m := range a.Models {
		models[i] = m.String()
	}
	return []string{a.Reference, string(a.Kind), a.Title, orgCode(a.Supplier), orgCode(a.MAP), orgCode(a.Manufacturer),
		strconv.FormatBool(a.AllModels), strings.Join(models, " "), a.Materiality, a.SECVersion.String(), day(a.Signed),
		day(a.Effective), day(a.Expires), day(a.Ended), string(a.Status), a.State, string(a.Classification),
		a.UpdatedAt.UTC().Format(time.RFC3339)}
}

// all runs the list's query without paging on q (a transaction or the
// database), with the models' names.
func (s *Service) all(ctx context.Context, q store.Querier, c access.Caller, req listing.Request, extra func(*access.Args) string) ([]Arrangement, error) {
	var out []Arrangement
	err := s.listQuery(c, s.today(time.Now()), extra).Each(ctx, q, req.Export(), func(a Arrangement) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.loadModels(ctx, q, c, out)
}
