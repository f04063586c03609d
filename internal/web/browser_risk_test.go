package web_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/demo"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// The risk register's heat map is one image with a description of its
// cells: axe-core finds no serious or critical issue on /risks (it used to
// report aria-required-parent, list items with no list, in the SVG), and
// the description reads the counts of every risk the filters match.
func TestBrowserRisksPassAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a browser")
	}
	chromePath := chromium(t)
	axeJS := axeScript(t)
	db := storetest.Open(t, store.SQLite)
	if err := demo.Seed(context.Background(), db, demo.Options{Devices: 2000}); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{DB: db, Log: testLogger(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	bctx := pageBrowser(t, chromePath, axeJS)
	client := signInDemo(t, ts.URL, db, pageRoles[0].email)
	if err := setCookies(bctx, ts.URL, client); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/risks", "/risks?limit=2&sort=-review_date", "/reports"} {
		m, err := measurePage(bctx, ts.URL+path, true)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(m.axe) > 0 {
			t.Errorf("%s: axe: %s", path, strings.Join(m.axe, "; "))
		}
		if m.height > maxPageHeight {
			t.Errorf("%s: %d px tall", path, m.height)
		}
	}
	resp, err := client.Get(ts.URL + "/risks?limit=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	body := b.String()
	if !strings.Contains(body, `<desc id="heatmap-desc">likelihood `) || strings.Contains(body, `role="listitem"`) || !strings.Contains(body, `rel="next"`) {
		t.Errorf("/risks?limit=2: %.3000s", body)
	}
}
