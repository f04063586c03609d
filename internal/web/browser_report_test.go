package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestBrowserStandingReportPage: the SSC member's standing report page opens
// with its summary and a contents list, stays within the page limits at
// 1366 px, and its references and codes stay on one line however narrow the
// window (issue 15 points 6 and 9).
func TestBrowserStandingReportPage(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["ssc"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(w.ts.URL+"/reports/standing"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "ssc@ssc.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"), chromedp.WaitVisible(chromedp.CSS("nav.contents"))); err != nil {
		t.Fatalf("second factor: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main section, section").id`))
	if err != nil || first != "summary" {
		t.Errorf("the first section is %q (%v), want the summary", first, err)
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("nav.contents a")].filter(a => document.getElementById(a.hash.slice(1))).length`))
	if err != nil || links < 5 {
		t.Errorf("the contents list links to %d sections (%v)", links, err)
	}
	height, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil || height > 5000 {
		t.Errorf("the page is %d px tall at 1366 px (%v), limit 5,000", height, err)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.outerHTML.length`))
	if err != nil || size > 500_000 {
		t.Errorf("the page is %d bytes (%v), limit 500 KB", size, err)
	}

	t.Logf("the standing report page is %d px tall at 1366 px and %d bytes", height, size)

	// However narrow the window, a reference is one line.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800)); err != nil {
		t.Fatal(err)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".ref")].filter(e => {
		const r = document.createRange(); r.selectNodeContents(e);
		const lines = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
		return getComputedStyle(e).whiteSpace !== "nowrap" || lines.size > 1;
	}).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".ref").length`))
	if refs == 0 {
		t.Error("no reference on the page is marked class=\"ref\"")
	}
	if len(bad) > 0 {
		t.Errorf("references that wrap: %s", strings.Join(bad, ", "))
	}
}
