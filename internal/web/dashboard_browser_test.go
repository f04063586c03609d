package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// The page limits of issue 15 (maxPageBytes, maxPageHeight) are those of
// the walk of every page (browser_pagesize_test.go).

// pageSize is the HTML size and the document height of the page shown.
func pageSize(t *testing.T, ctx context.Context) (bytes, height int) {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollHeight"))
	if err != nil {
		t.Fatal(err)
	}
	return len(html), h
}

func checkLimits(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	b, h := pageSize(t, ctx)
	t.Logf("%s: %d KB, %d px", what, b>>10, h)
	if b > maxPageBytes {
		t.Errorf("%s is %d KB, over %d KB", what, b>>10, maxPageBytes>>10)
	}
	if h > maxPageHeight {
		t.Errorf("%s is %d px tall at 1366 px wide, over %d", what, h, maxPageHeight)
	}
}

func signInBrowser(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		// Signing in lands on the home page: the dashboard.
		chromedp.WaitVisible(chromedp.CSS("ul.dashboard")),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrowserDashboardAndVulnerabilityPage: a Supplier and a manufacturer
// open the home page and a vulnerability told to 3,000 more organisations;
// each page stays within the limits at 1366 px, the timeline's fan-out is
// one line that opens, and only the Supplier is offered its Devices.
func TestBrowserDashboardAndVulnerabilityPage(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ref := vulnRef(t, w, "AMBER")
	addRecipients(t, w, ref, 3000)
	for _, who := range []struct {
		email, org string
		export     bool
	}{{"suppliera@supa.example.org", "SUPA", true}, {"manufacturer@mana.example.org", "MANA", false}} {
		t.Run(who.org, func(t *testing.T) {
			ctx := newBrowser(t)
			signInBrowser(t, ctx, w.ts.URL, who.email)
			if h := text(t, ctx, "main h1"); !strings.Contains(h, who.org) {
				t.Errorf("home heading %q", h)
			}
			checkLimits(t, ctx, "home as "+who.org)
			err := chromedp.Do(ctx, chromedp.Navigate(w.ts.URL+"/vulnerabilities/"+ref), chromedp.WaitVisible(chromedp.CSS("#recipients")))
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, ctx, "vulnerability as "+who.org)
			main := text(t, ctx, "main")
			if got := strings.Contains(main, "Your affected Devices (CSV)"); got != who.export {
				t.Errorf("export offered: %v, want %v", got, who.export)
			}
			if who.org != "MANA" {
				return
			}
			// The manufacturer sees every recipient: the fan-out is one
			// line of the timeline, and it opens by keyboard.
			summary := `section[aria-labelledby=timeline] details > summary`
			if s := text(t, ctx, summary); !strings.Contains(s, "Told") {
				t.Fatalf("timeline group %q", s)
			}
			err = chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(summary)), chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=timeline] details[open] li`)))
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, ctx, "vulnerability with its timeline open")
			if s := text(t, ctx, "#recipients ~ ul.summary"); !strings.Contains(s, "3,00") || !strings.Contains(s, "told") {
				t.Errorf("recipient summary %q: the manufacturer sees the 3,000 told", s)
			}
			if !strings.Contains(main, "Next page") {
				t.Error("3,000 recipients on one page")
			}
		})
	}
}
