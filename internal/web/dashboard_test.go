package web_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// dashboardOf reads GET /api/v1/dashboard as a role, by key.
func dashboardOf(t *testing.T, w *world, role string) map[web.DashboardKey]web.DashboardItem {
	t.Helper()
	status, body := w.do(w.byRole[role], "GET", "/api/v1/dashboard", "")
	if status != 200 {
		t.Fatalf("dashboard as %s: %d %s", role, status, body)
	}
	var d web.Dashboard
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	out := map[web.DashboardKey]web.DashboardItem{}
	for _, it := range d.Items {
		out[it.Key] = it
	}
	return out
}

// TestDashboard: each role sees the counts that fit it, as the services
// say, and the home page shows the same counts with their links.
func TestDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		supA := dashboardOf(t, w, "supplierA")
		// Supplier A is told of vulnerabilities: what it owes links to its
		// inbox (the seeding acknowledged them; the counts are the
		// service's, tested in internal/vuln).
		if it, ok := supA[web.KeyVulnsUnacknowledged]; !ok || it.Link != "/inbox?view=vulnerabilities&awaiting=true" {
			t.Errorf("supplierA unacknowledged: %+v", it)
		}
		for _, key := range []web.DashboardKey{web.KeyPlansToWrite, web.KeyCoverageGaps, web.KeyNoticesUnread, web.KeyResponsesDue} {
			if _, ok := supA[key]; !ok {
				t.Errorf("supplierA lacks %s", key)
			}
		}
		for _, key := range []web.DashboardKey{web.KeyPlansToReview, web.KeyAcknowledgementsAwaited} {
			if _, ok := supA[key]; ok {
				t.Errorf("supplierA has the SSC's %s", key)
			}
		}
		if it := supA[web.KeyCoverageGaps]; !strings.HasPrefix(it.Link, "/coverage/SUPA") {
			t.Errorf("supplierA's gaps link to %q", it.Link)
		}
		ssc := dashboardOf(t, w, "ssc")
		if it, ok := ssc[web.KeyAcknowledgementsAwaited]; !ok || it.Count < 1 || it.Link != "/vulnerabilities/overview#unacked" {
			t.Errorf("ssc acknowledgements awaited: %+v", it)
		} else {
			// The overview's list of them, paged, totals the same.
			status, body := w.do(w.byRole["ssc"], "GET", it.Link, "")
			want := fmt.Sprintf("<strong>%d acknowledgement", it.Count)
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("ssc: the dashboard counts %d acknowledgements awaited, the overview lacks %q: %d", it.Count, want, status)
			}
			status, body = w.do(w.byRole["ssc"], "GET", "/vulnerabilities/overview?limit=1&format=csv", "")
			if rows := readCSV(t, body); status != 200 || int64(len(rows)-1) != it.Count {
				t.Errorf("ssc: the overview's export has %d rows for %d awaited", len(rows)-1, it.Count)
			}
			for _, bad := range []string{"role=ssc", "sort=title", "limit=0"} {
				if status, body := w.do(w.byRole["ssc"], "GET", "/vulnerabilities/overview?"+bad, ""); status != 422 || !strings.Contains(body, strings.Split(bad, "=")[0]) {
					t.Errorf("overview?%s: %d", bad, status)
				}
			}
		}
		mapd := dashboardOf(t, w, "map")
		for _, key := range []web.DashboardKey{web.KeyCoverageGaps, web.KeyResponsesDue, web.KeyPlansToReview} {
			if _, ok := mapd[key]; ok {
				t.Errorf("a MAP has %s", key)
			}
		}
		status, body := w.do(w.byRole["supplierA"], "GET", "/", "")
		if status != 200 || !strings.Contains(body, "What SUPA must act on") || !strings.Contains(body, `href="/inbox"`) {
			t.Errorf("home as supplierA: %d", status)
		}
		if strings.Contains(body, "Acknowledgements awaited") {
			t.Error("supplierA's home shows the SSC's count")
		}
	})
}

// TestDashboardUnacknowledgedLink: the count of vulnerabilities to
// acknowledge links to the inbox filter that lists exactly those rows, for
// every role told of some, with some acknowledged and some not.
func TestDashboardUnacknowledgedLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		// Leave some unacknowledged: the seeding acknowledged them all.
		if _, err := db.Writer().Exec(`UPDATE vuln_recipients SET acknowledged_at = NULL, acknowledged_by = NULL
			WHERE id IN (SELECT min(id) FROM vuln_recipients WHERE first_notified_at IS NOT NULL GROUP BY org_id)`); err != nil {
			t.Fatal(err)
		}
		roles := slices.Sorted(maps.Keys(w.byRole))
		nonzero := 0
		for _, role := range roles {
			it, ok := dashboardOf(t, w, role)[web.KeyVulnsUnacknowledged]
			if !ok {
				continue
			}
			u, err := url.Parse(it.Link)
			if err != nil || u.Path != "/inbox" {
				t.Fatalf("%s: the count links to %q", role, it.Link)
			}
			status, body := w.do(w.byRole[role], "GET", "/api/v1/vulnerabilities/inbox?"+u.RawQuery+"&limit=500", "")
			var page struct {
				Items []struct {
					Ref       string `json:"ref"`
					Recipient struct {
						AwaitsAck bool `json:"awaits_acknowledgement"`
					} `json:"recipient"`
				} `json:"items"`
				Total int64 `json:"total"`
			}
			if status != 200 || json.Unmarshal([]byte(body), &page) != nil {
				t.Fatalf("%s: the link's list: %d %s", role, status, body)
			}
			for _, x := range page.Items {
				if !x.Recipient.AwaitsAck {
					t.Errorf("%s: the link lists %s, which awaits no acknowledgement", role, x.Ref)
				}
			}
			if page.Total != it.Count || int64(len(page.Items)) != it.Count {
				t.Errorf("%s: the dashboard counts %d to acknowledge, its link lists %d (%d rows)", role, it.Count, page.Total, len(page.Items))
			}
			status, body = w.do(w.byRole[role], "GET", it.Link, "")
			if want := fmt.Sprintf(`<strong>%d vulnerabilit`, it.Count); status != 200 || !strings.Contains(body, want) {
				t.Errorf("%s: the link's page: %d, lacks %q", role, status, want)
			}
			if it.Count > 0 {
				nonzero++
			}
		}
		if nonzero == 0 {
			t.Error("no role has anything to acknowledge: the test tests nothing")
		}
	})
}

// TestDashboardGapsLink: a Supplier's coverage gaps, counted from the
// latest monthly snapshot, link to its Gaps on the snapshot's day, which
// list as many models.
func TestDashboardGapsLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		if status, body := w.do(w.byRole["ssc"], "POST", "/api/v1/coverage/alerts", `{"date": "2025-06-15"}`); status != 200 {
			t.Fatalf("the month's snapshot: %d %s", status, body)
		}
		nonzero := 0
		for _, role := range []string{"supplierA", "supplierB"} {
			it, ok := dashboardOf(t, w, role)[web.KeyCoverageGaps]
			if it.Count > 0 {
				nonzero++
			}
			if !ok || !strings.Contains(it.Link, "date=2025-06-15") || !strings.Contains(it.Link, "status=gap") {
				t.Fatalf("%s: gaps %+v", role, it)
			}
			status, body := w.do(w.byRole[role], "GET", it.Link, "")
			legend := between(body, `id="legend"`, "</ul>")
			gaps := between(legend, ">Gaps</a>: ", "</li>")
			want := fmt.Sprintf("%d model", it.Count)
			if status != 200 || !strings.Contains(gaps, want) {
				t.Errorf("%s: the dashboard counts %d models with a gap, its link (%s) shows %q", role, it.Count, it.Link, gaps)
			}
		}
		if nonzero == 0 {
			t.Error("no Supplier has a gap: the test tests nothing")
		}
	})
}

// TestVulnerabilityPageAtScale: with thousands of recipients the page holds
// the summary, one page of rows and a grouped timeline, well under 500 KB;
// a told Supplier downloads its own affected Devices and nobody else's; an
// event that tells everyone asks for confirmation first.
func TestVulnerabilityPageAtScale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		ref := vulnRef(t, w, "AMBER")
		const many = 3000
		vid := addRecipients(t, w, ref, many)
		status, body := w.do(w.byRole["ssc"], "GET", "/vulnerabilities/"+ref, "")
		if status != 200 {
			t.Fatalf("page as ssc: %d", status)
		}
		if len(body) > 500<<10 {
			t.Errorf("the page is %d KB with %d recipients, over 500 KB", len(body)>>10, many)
		}
		for _, want := range []string{"Told 3,0", "Next page", "awaited", "no email server set"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if n := strings.Count(body, "<tr>"); n > 60 {
			t.Errorf("%d table rows: the recipients are not paged", n)
		}
		status, body = w.do(w.byRole["ssc"], "GET", "/vulnerabilities/"+ref+"?status=nope", "")
		if status != 422 && status != 400 {
			t.Errorf("a bad status filter answers %d", status)
		}

		// Supplier A's own affected Devices, and nobody else's.
		var model, fw int64
		if err := db.QueryRowContext(t.Context(), "SELECT model_id, firmware_id FROM vuln_firmware WHERE vuln_id = $1 ORDER BY firmware_id LIMIT 1", vid).Scan(&model, &fw); err != nil {
			t.Fatal(err)
		}
		mine, theirs := estate.DeviceID(0x00AB000000000001), estate.DeviceID(0x00AB000000000002)
		for _, d := range []struct {
			id  estate.DeviceID
			org string
		}{{mine, "supplierA"}, {theirs, "supplierB"}} {
			w.exec(`INSERT INTO devices (id, model_id, firmware_id, premises, status, supplier_id, supply_start, firmware_since)
				VALUES ($1, $2, $3, 'domestic', 'installed', $4, '2025-01-01', '2025-01-01')`, d.id.Int64(), model, fw, w.byRole[d.org].Caller.OrgID)
		}
		status, body = w.do(w.byRole["supplierA"], "GET", "/vulnerabilities/"+ref+"/devices.csv", "")
		if status != 200 || !strings.HasPrefix(body, "device_id,") || !strings.Contains(body, mine.String()) || strings.Contains(body, theirs.String()) {
			t.Errorf("supplierA's export: %d %q", status, body)
		}
		if status, _ := w.do(w.byRole["manufacturer"], "GET", "/api/v1/vulnerabilities/"+ref+"/devices", ""); status != 403 {
			t.Errorf("the manufacturer's export answers %d, want 403", status)
		}
		if status, _ := w.do(w.byRole["other"], "GET", "/api/v1/vulnerabilities/"+ref+"/devices", ""); status != 404 {
			t.Errorf("an outsider's export answers %d, want 404", status)
		}
		_, page := w.do(w.byRole["supplierA"], "GET", "/vulnerabilities/"+ref, "")
		if !strings.Contains(page, "/devices.csv") {
			t.Error("supplierA's page lacks its export link")
		}
		if _, page := w.do(w.byRole["manufacturer"], "GET", "/vulnerabilities/"+ref, ""); strings.Contains(page, "/devices.csv") {
			t.Error("the manufacturer's page offers the Supplier export")
		}

		// Mitigated tells everyone: confirm first.
		if status, body := w.do(w.byRole["ssc"], "POST", "/api/v1/vulnerabilities/"+ref+"/events", `{"event": "start_remediation"}`); status != 200 {
			t.Fatalf("start remediation: %d %s", status, body)
		}
		form := url.Values{"event": {"mitigate"}, "note": {"Patch out."}, "csrf": {w.byRole["ssc"].csrf}}
		status, body = w.do(w.byRole["ssc"], "POST", "/vulnerabilities/"+ref+"/events", form.Encode())
		if status != 200 || !strings.Contains(body, "tells every recipient") || !strings.Contains(body, `name="confirm" value="yes"`) {
			t.Fatalf("mitigate without confirmation: %d", status)
		}
		var state string
		db.QueryRowContext(t.Context(), "SELECT state FROM vulnerabilities WHERE id = $1", vid).Scan(&state)
		if state == "mitigated" {
			t.Fatal("mitigated without confirmation")
		}
		form.Set("confirm", "yes")
		if status, _ = w.do(w.byRole["ssc"], "POST", "/vulnerabilities/"+ref+"/events", form.Encode()); status != 303 {
			t.Errorf("confirmed: %d", status)
		}
		db.QueryRowContext(t.Context(), "SELECT state FROM vulnerabilities WHERE id = $1", vid).Scan(&state)
		if state != "mitigated" {
			t.Errorf("state %s after confirming, want mitigated", state)
		}
	})
}

// addRecipients tells n more Suppliers of the vulnerability, as a fan-out
// to a crowded market would, each with its timeline entry, and returns the
// vulnerability's id.
func addRecipients(t *testing.T, w *world, ref string, many int) int64 {
	t.Helper()
	db := w.db
	var vid int64
	if err := db.QueryRowContext(t.Context(), "SELECT id FROM vulnerabilities WHERE ref = $1", ref).Scan(&vid); err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	for from := 0; from < many; from += 500 {
		var rows []string
		var args []any
		for i := from; i < from+500; i++ {
			code := fmt.Sprintf("BULK%04d", i)
			rows = append(rows, fmt.Sprintf("($%d, $%d, $%d, $%d)", len(args)+1, len(args)+2, len(args)+3, len(args)+3))
			args = append(args, code, "Bulk "+code, now)
		}
		w.exec("INSERT INTO organisations (code, name, created_at, updated_at) VALUES "+strings.Join(rows, ", "), args...)
	}
	w.exec(`INSERT INTO vuln_recipients (vuln_id, org_id, role, classification, devices, active, added_at, first_notified_at, last_notified_at, notices)
			SELECT $1, o.id, 'supplier', 'AMBER', 10, TRUE, $2, $2, $2, 1 FROM organisations o WHERE o.code LIKE 'BULK%' ORDER BY o.id`, vid, now)
	w.exec(`INSERT INTO vuln_events (vuln_id, at, kind, recipient_id, private, actor_as)
			SELECT $1, $2, 'notified', r.id, FALSE, 'system' FROM vuln_recipients r JOIN organisations o ON o.id = r.org_id
			WHERE r.vuln_id = $1 AND o.code LIKE 'BULK%' ORDER BY r.id`, vid, now)
	// Each row's audience, as the fan-out writes it: the organisation told
	// and the manufacturer (the SSC sees AMBER anyway).
	for _, who := range []string{"r.org_id", "v.manufacturer_id"} {
		w.exec(`INSERT INTO audience_orgs (record_kind, record_id, org_id) SELECT 'vuln_recipient', r.id, `+who+`
			FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id JOIN organisations o ON o.id = r.org_id
			WHERE r.vuln_id = $1 AND o.code LIKE 'BULK%'`, vid)
	}
	return vid
}
