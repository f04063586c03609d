package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// TestBrowserAcknowledgeVulnerability: a Supplier opens an AMBER
// vulnerability it was told of, sees its own recipient row and plan and
// nobody else's, is told plainly when its acknowledgement lacks a
// justification, and changes its statement with the keyboard.
func TestBrowserAcknowledgeVulnerability(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	ref := vulnRef(t, w, "AMBER")
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/vulnerabilities/"+ref),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#recipients")),
	)
	if err != nil {
		t.Fatal(err)
	}
	main := text(t, ctx, "main")
	for _, want := range []string{marker("vuln", "AMBER"), marker("vuln_recipient", "AMBER-A"), marker("vuln_plan", "AMBER-A"), "1,234,567"} {
		if !strings.Contains(main, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, never := range []string{marker("vuln_recipient", "AMBER-B"), marker("vuln_plan", "AMBER-B"), "7,654,321", "SUPB"} {
		if strings.Contains(main, never) {
			t.Errorf("supplierA sees %s", never)
		}
	}
	// Not affected without a justification: a clear error, the page again.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=statement][value=not_affected]`)),
		chromedp.Click(chromedp.CSS(`#ack button[type=submit], section[aria-labelledby=ack] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, ".error-summary"); !strings.Contains(s, "justification") {
		t.Errorf("error summary %q", s)
	}
	// Under investigation, chosen and sent from the keyboard.
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(`input[name=statement][value=under_investigation]`)),
		chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS("#f-justification")),
		chromedp.SendKeys(chromedp.CSS("#f-justification"), "Checking our firmware inventory."),
		chromedp.Submit(chromedp.CSS("#f-justification")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "section[aria-labelledby=recipients] table"); !strings.Contains(s, "Under investigation") {
		t.Errorf("recipients after the change: %q", s)
	}
}
