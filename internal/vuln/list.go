package vuln

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// Severities are the CVSS qualitative ratings a vulnerability may carry.
var Severities = []string{"Critical", "High", "Medium", "Low", "None"}

// ListSpec is what the vulnerability list accepts (issue 15): sorted by
// these columns, filtered by state, open, severity, classification (the
// colour), manufacturer and affected model, q over the reference and title,
// and a range of the day it was reported.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "reported_on", Label: "Reported", Expr: "v.reported_on", Kind: listing.Date},
		{Name: "ref", Label: "Reference", Expr: "v.ref", Kind: listing.Text},
		{Name: "title", Label: "Title", Expr: "v.title", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "m.code", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "v.state", Kind: listing.Text},
		{Name: "score", Label: "Severity", Expr: "v.cvss_score", Kind: listing.Float},
		{Name: "updated_at", Label: "Updated", Expr: "v.updated_at", Kind: listing.Time},
	},
	Default: "-reported_on",
	ID:      "v.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only vulnerabilities in this state", Enum: listing.Enum(sec.VulnLifecycle.States())},
		{Name: "open", Description: "true for open vulnerabilities only, false for closed ones only", Type: "boolean"},
		{Name: "severity", Description: "only vulnerabilities of this CVSS severity", Enum: Severities},
		{Name: "classification", Description: "only vulnerabilities of this colour (classification)", Enum: listing.Enum(sec.Classifications)},
		{Name: "manufacturer", Description: "only this manufacturer's vulnerabilities (its code)"},
		{Name: "model", Description: "only vulnerabilities affecting this Device model (its code or name)"},
	},
	Search: "text in the reference or title",
	Dates:  "the day the vulnerability was reported",
}

// Filter narrows a listing of vulnerabilities, for callers without a query
// string (the CLI, the overview, the demo). Pages and the API use ListSpec.
type Filter struct {
	State sec.VulnState
	Open  bool   // not closed
	Query string // in the reference or title
	Limit int    // 500 when 0
}

// Summary is a vulnerability in a listing, with counts over the recipient
// rows the caller may see (a Supplier sees only its own).
type Summary struct {
	ID             int64              `json:"id"`
	Ref            string             `json:"ref"`
	Title          string             `json:"title"`
	State          sec.VulnState      `json:"state"`
	Classification sec.Classification `json:"classification"`
	Manufacturer   OrgRef             `json:"manufacturer"`
	Material       *bool              `json:"material"`
	Severity       string             `json:"severity,omitempty"`
	Score          float64            `json:"score,omitempty"`
	ReportedOn     sec.Date           `json:"reported_on"`
	UpdatedAt      time.Time          `json:"updated_at"`
	Recipients     int                `json:"recipients"`
	Devices        int64              `json:"devices"`
	Unacknowledged int                `json:"unacknowledged"`
	OverduePlans   int                `json:"overdue_plans"`
}

// List lists the vulnerabilities the caller may see, newest first: the first
// f.Limit (at most 500).
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]Summary, error) {
	q := url.Values{"q": {f.Query}, "state": {string(f.State)}}
	if f.Open {
		q.Set("open", "true")
	}
	if f.Limit > 0 && f.Limit < listing.MaxLimit {
		q.Set("limit", strconv.Itoa(f.Limit))
	} else {
		q.Set("limit", strconv.Itoa(listing.MaxLimit))
	}
	req, err := ListSpec.Parse(q)
	if err != nil {
		return nil, err
	}
	p, err := s.Page(ctx, c, req)
	return p.Items, err
}

// listWhere is the WHERE of the list: what the caller may see, narrowed by
// the request's filters.
func listWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := []string{visibleVuln(args, c, "v")}
	if st := req.Facet("state"); st != "" {
		where = append(where, "v.state = "+args.Add(st))
	}
	if open := req.Bool("open"); open != nil {
		not := ""
		if *open {
			not = "NOT "
		}
		where = append(where, "v.state "+not+"IN ('closed', 'closed_not_material')")
	}
	switch sev := req.Facet("severity"); sev {
	case "":
	case "None":
		where = append(where, "v.cvss_severity IN ('', 'None')")
	default:
		where = append(where, "v.cvss_severity = "+args.Add(sev))
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "v.classification = "+args.Add(cl))
	}
	if m := req.Facet("manufacturer"); m != "" {
		where = append(where, "lower(m.code) = "+args.Add(strings.ToLower(m)))
	}
	if m := req.Facet("model"); m != "" {
		p := args.Add(strings.ToLower(m))
		where = append(where, "EXISTS (SELECT 1 FROM vuln_ranges vr JOIN device_models dm ON dm.id = vr.model_id WHERE vr.vuln_id = v.id AND (lower(dm.code) = "+p+" OR lower(dm.name) = "+p+"))")
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(v.ref) LIKE "+like+" ESCAPE '\\' OR lower(v.title) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "v.reported_on >= "+args.Add(req.From.String()))
	}
	if !req.To.IsZero() {
		where = append(where, "v.reported_on <= "+args.Add(req.To.String()))
	}
	return strings.Join(where, " AND ")
}

const listFrom = " FROM vulnerabilities v JOIN organisations m ON m.id = v.manufacturer_id"

// Page is one page of the vulnerabilities the caller may see, with the total
// the same filters match.
func (s *Service) Page(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Summary], error) {
	return listQuery(c).Page(ctx, s.DB, req)
}

// Export writes every vulnerability the request's filters match, in its
// order, row by row.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return listQuery(c).Export(ctx, s.DB, req, w, Summary.CSV)
}

// CSVHeader names the columns of Summary.CSV.
var CSVHeader = []string{"ref", "title", "manufacturer", "state", "severity", "score", "classification", "material",
	"reported_on", "updated_at", "recipients", "supplier_devices", "unacknowledged", "overdue_plans"}

// CSV is the summary as a CSV row, dates in ISO 8601.
func (x Summary) CSV() []string {
	material := ""
	if x.Material != nil {
		material = strconv.FormatBool(*x.Material)
	}
	return []string{x.Ref, x.Title, x.Manufacturer.Code, string(x.State), x.Severity, strconv.FormatFloat(x.Score, 'f', 1, 64),
		string(x.Classification), material, x.ReportedOn.String(), x.UpdatedAt.UTC().Format(time.RFC3339),
		strconv.Itoa(x.Recipients), strconv.FormatInt(x.Devices, 10), strconv.Itoa(x.Unacknowledged), strconv.Itoa(x.OverduePlans)}
}

func summaryKey(x Summary, req listing.Request) (any, int64) {
	switch req.Sort.Name {
	case "ref":
		return x.Ref, x.ID
	case "title":
		return x.Title, x.ID
	case "manufacturer":
		return x.Manufacturer.Code, x.ID
	case "state":
		return string(x.State), x.ID
	case "score":
		return x.Score, x.ID
	case "updated_at":
		return x.UpdatedAt, x.ID
	}
	return x.ReportedOn, x.ID
}

// listQuery is the vulnerability list's SQL as the caller sees it: the page
// first (its rank kept for the final order), then its counts in one grouped
// pass over the recipients and one over the plans of those vulnerabilities,
// so each recipient row's visibility is decided once, not once per count
// (four correlated subqueries per listed vulnerability grew the list to
// 80–180 ms once a few hundred vulnerabilities had been reported).
func listQuery(c access.Caller) listing.Query[Summary] {
	return listing.Query[Summary]{
		What: "list vulnerabilities",
		Columns: func(args *access.Args) string {
			return `v.id, v.ref, v.title, v.state, v.classification, m.code AS mcode, ` + partyName(args, c, "m") +
				` AS mname, v.material, v.cvss_severity, v.cvss_score, v.reported_on, v.updated_at`
		},
		From:  listFrom,
		Where: func(args *access.Args, req listing.Request) string { return listWhere(args, c, req) },
		Around: func(args *access.Args, page string) string {
			return `WITH page AS (` + page + `),
		rc AS (SELECT r.vuln_id, COUNT(*) AS n, SUM(CASE WHEN r.role = 'supplier' THEN r.devices ELSE 0 END) AS devices,
			SUM(CASE WHEN r.first_notified_at IS NOT NULL AND r.acknowledged_at IS NULL AND r.role IN ('supplier', 'dcc', 'manufacturer')
				THEN 1 ELSE 0 END) AS unack
			FROM vuln_recipients r WHERE r.vuln_id IN (SELECT id FROM page) AND r.active AND ` + visibleRecipient(args, c, "r") + ` GROUP BY r.vuln_id),
		pc AS (SELECT p.vuln_id, COUNT(*) AS n FROM vuln_plans p
			WHERE p.vuln_id IN (SELECT id FROM page) AND p.state = 'overdue' AND ` + visiblePlan(args, c, "p") + ` GROUP BY p.vuln_id)
		SELECT page.id, page.ref, page.title, page.state, page.classification, page.mcode, page.mname, page.material,
			page.cvss_severity, page.cvss_score, page.reported_on, page.updated_at,
			COALESCE(rc.n, 0), COALESCE(rc.devices, 0),
			CASE WHEN page.state IN ('closed', 'closed_not_material') THEN 0 ELSE COALESCE(rc.unack, 0) END, COALESCE(pc.n, 0)
		FROM page LEFT JOIN rc ON rc.vuln_id = page.id LEFT JOIN pc ON pc.vuln_id = page.id ORDER BY page.rank`
		},
		Scan: scanSummary,
		Key:  summaryKey,
	}
}

func scanSummary(r listing.Scanner) (Summary, error) {
	var x Summary
	var material sql.NullBool
	if err := r.Scan(&x.ID, &x.Ref, &x.Title, &x.State, &x.Classification, &x.Manufacturer.Code, &x.Manufacturer.Name,
		&material, &x.Severity, &x.Score, &x.ReportedOn, &x.UpdatedAt, &x.Recipients, &x.Devices, &x.Unacknowledged, &x.OverduePlans); err != nil {
		return x, err
	}
	if material.Valid {
		m := material.Bool
		x.Material = &m
	}
	x.UpdatedAt = x.UpdatedAt.UTC()
	return x, nil
}
