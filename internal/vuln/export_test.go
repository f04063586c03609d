package vuln

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
)

// ListNaive is List as it was, with four correlated counting subqueries per
// row: the oracle the tests compare List's grouped counts with.
func (s *Service) ListNaive(ctx context.Context, c access.Caller, f Filter) ([]Summary, error) {
	var args access.Args
	recip := visibleRecipient(&args, c, "r")
	plan := visiblePlan(&args, c, "p")
	man := partyName(&args, c, "m")
	where := []string{visibleVuln(&args, c, "v")}
	if f.State != "" {
		where = append(where, "v.state = "+args.Add(string(f.State)))
	}
	if f.Open {
		where = append(where, "v.state NOT IN ('closed', 'closed_not_material')")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := args.Add("%" + strings.ToLower(q) + "%")
		where = append(where, "(lower(v.ref) LIKE "+like+" OR lower(v.title) LIKE "+like+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT v.id, v.ref, v.title, v.state, v.classification, m.code, `+man+`, v.material,
		v.cvss_severity, v.cvss_score, v.reported_on, v.updated_at,
		(SELECT count(*) FROM vuln_recipients r WHERE r.vuln_id = v.id AND r.active AND `+recip+`),
		(SELECT COALESCE(SUM(r.devices), 0) FROM vuln_recipients r WHERE r.vuln_id = v.id AND r.active AND r.role = 'supplier' AND `+recip+`),
		(SELECT count(*) FROM vuln_recipients r WHERE r.vuln_id = v.id AND r.active AND r.first_notified_at IS NOT NULL
			AND r.acknowledged_at IS NULL AND r.role IN ('supplier', 'dcc', 'manufacturer')
			AND v.state NOT IN ('closed', 'closed_not_material') AND `+recip+`),
		(SELECT count(*) FROM vuln_plans p WHERE p.vuln_id = v.id AND p.state = 'overdue' AND `+plan+`)
		FROM vulnerabilities v JOIN organisations m ON m.id = v.manufacturer_id
		WHERE `+strings.Join(where, " AND ")+" ORDER BY v.id DESC LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, errs.Wrap(err, "list vulnerabilities")
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var x Summary
		var material sql.NullBool
		if err := rows.Scan(&x.ID, &x.Ref, &x.Title, &x.State, &x.Classification, &x.Manufacturer.Code, &x.Manufacturer.Name,
			&material, &x.Severity, &x.Score, &x.ReportedOn, &x.UpdatedAt, &x.Recipients, &x.Devices, &x.Unacknowledged, &x.OverduePlans); err != nil {
			return nil, errs.Wrap(err, "list vulnerabilities")
		}
		if material.Valid {
			m := material.Bool
			x.Material = &m
		}
		x.UpdatedAt = x.UpdatedAt.UTC()
		out = append(out, x)
	}
	return out, errs.Wrap(rows.Err(), "list vulnerabilities")
}
