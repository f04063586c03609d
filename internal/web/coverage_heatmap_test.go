package web_test

import (
	"encoding/csv"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestCoverageHeatMapAndExports: the heat map's key and bands, a cell as a
// link to the Supplier × manufacturer, that page listing only the
// manufacturer's models with each status's Devices under it alone, and the
// CSV exports of coverage, the matrix, alerts and the certificate report
// with the pages' filters (issue 15 point 5).
func TestCoverageHeatMapAndExports(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			ssc, supA := w.byRole["ssc"], w.byRole["supplierA"]
			status, body := w.do(ssc, "GET", "/coverage?date=2025-06-15", "")
			if status != 200 {
				t.Fatalf("matrix page: %d", status)
			}
			for _, want := range []string{"100% covered", "50–99% covered", "under 50% covered", "0% covered", "reasonable steps", "no Devices",
				`href="/coverage/SUPA?date=2025-06-15&amp;manufacturer=MANA"`, `data-band="`,
				`href="/api/v1/coverage/matrix?date=2025-06-15&amp;format=csv"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the heat map page lacks %q", want)
				}
			}
			// Each cell's accessible name holds the text it shows (axe's
			// label-content-name-mismatch, WCAG 2.5.3).
			cells := regexp.MustCompile(`<a href="[^"]*" aria-label="([^"]*)" data-band="[^"]*"><title>.*?</title><rect [^>]*/><text [^>]*>([^<]*)</text></a>`).FindAllStringSubmatch(body, -1)
			if len(cells) == 0 {
				t.Errorf("no heat map cell links")
			}
			for _, m := range cells {
				name, text := html.UnescapeString(m[1]), html.UnescapeString(m[2])
				if text != "—" && !strings.HasPrefix(name, text+" ") {
					t.Errorf("a cell shows %q but is named %q", text, name)
				}
			}
			// The cell's page: only MANA's models.
			status, body = w.do(ssc, "GET", "/coverage/SUPA?date=2025-06-15&manufacturer=MANA", "")
			if status != 200 || !strings.Contains(body, "Only MANA") || !strings.Contains(body, "MANA/") || strings.Contains(body, "MANB/") ||
				!strings.Contains(body, `id="legend"`) || !strings.Contains(body, "manufacturer=MANA") {
				t.Errorf("SUPA × MANA: %d %s", status, section(body, "<main", 3000))
			}
			// Under Gaps, nothing but gaps.
			if gaps := section(body, `id="gap"`, -1); strings.Contains(between(gaps, "<tbody>", "</tbody>"), "status-covered") {
				t.Errorf("a covered share is listed under Gaps: %s", gaps)
			}

			// One status at a time, a page at a time: every covered model of
			// SUPA, walked one row a page, is each listed once.
			status, body = w.do(supA, "GET", "/coverage/SUPA?date=2025-06-15&status=covered", "")
			if status != 200 || !strings.Contains(body, `<h2 id="covered">`) || strings.Contains(body, `<h2 id="gap">`) {
				t.Fatalf("covered: %d", status)
			}
			seen := map[string]bool{}
			next := "/coverage/SUPA?date=2025-06-15&status=covered&limit=1&sort=model"
			for i := 0; next != "" && i < 100; i++ {
				status, body = w.do(supA, "GET", next, "")
				if status != 200 {
					t.Fatalf("%s: %d", next, status)
				}
				row := between(between(body, `id="covered"`, "</table>"), `<th scope="row">`, "</th>")
				if seen[row] {
					t.Errorf("page %d repeats %q", i, row)
				}
				seen[row] = true
				next = ""
				if j := strings.Index(body, `" rel="next"`); j >= 0 {
					k := strings.LastIndex(body[:j], `href="`)
					next = strings.ReplaceAll(body[k+len(`href="`):j], "&amp;", "&")
				}
			}
			if len(seen) < 2 {
				t.Errorf("SUPA's covered models, a page each: %v", seen)
			}
			for _, bad := range []string{"status=nope", "sort=colour", "cursor=zz", "limit=0"} {
				if status, body := w.do(supA, "GET", "/coverage/SUPA?"+bad, ""); status != 422 {
					t.Errorf("%s: %d %.200s", bad, status, body)
				}
			}

			// Coverage as CSV, the Supplier's own, filtered as the page.
			status, body = w.do(supA, "GET", "/api/v1/coverage?supplier=SUPA&date=2025-06-15&manufacturer=MANA&format=csv", "")
			rows := readCSV(t, body)
			if status != 200 || len(rows) < 2 || strings.Join(rows[0], ",") != "date,supplier,manufacturer,model,model_name,device_type,generation,status,route,devices,map,arrangements,until,reason" {
				t.Fatalf("coverage CSV: %d %s", status, body)
			}
			for _, r := range rows[1:] {
				if r[1] != "SUPA" || r[2] != "MANA" || r[0] != "2025-06-15" {
					t.Errorf("coverage CSV row %v", r)
				}
			}
			if status, _ := w.do(supA, "GET", "/api/v1/coverage?supplier=SUPB&format=csv", ""); status != 404 {
				t.Errorf("another Supplier's coverage CSV: %d", status)
			}
			status, body = w.do(ssc, "GET", "/api/v1/coverage/matrix?date=2025-06-15&format=csv", "")
			if rows := readCSV(t, body); status != 200 || len(rows) < 2 || rows[0][3] != "band" {
				t.Errorf("matrix CSV: %d %s", status, body)
			}
			status, body = w.do(ssc, "GET", "/api/v1/catalogue/cert-report?date=2025-06-15&format=csv", "")
			if rows := readCSV(t, body); status != 200 || len(rows) < 1 || rows[0][0] != "date" || rows[0][7] != "devices" {
				t.Errorf("certificate report CSV: %d %s", status, body)
			}
			status, body = w.do(ssc, "GET", "/api/v1/arrangement-alerts?format=csv", "")
			if rows := readCSV(t, body); status != 200 || len(rows) < 1 || rows[0][1] != "created_at" {
				t.Errorf("alerts CSV: %d %s", status, body)
			}
			if status, body := w.do(ssc, "GET", "/api/v1/coverage?format=xml", ""); status != 422 || !strings.Contains(body, "format") {
				t.Errorf("format=xml: %d %s", status, body)
			}
			status, body = w.do(ssc, "GET", "/catalogue/cert-report?date=2025-06-15", "")
			if status != 200 || !strings.Contains(body, `/catalogue/cert-report?date=2025-06-15&amp;format=csv`) {
				t.Errorf("certificate report page's export link: %d", status)
			}
		})
	}
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return rows
}

// section is body from the first occurrence of from, n bytes (all for -1).
func section(body, from string, n int) string {
	i := strings.Index(body, from)
	if i < 0 {
		return ""
	}
	body = body[i:]
	if n >= 0 && len(body) > n {
		body = body[:n]
	}
	return body
}

// between is the text between the first a and the b after it.
func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}
