package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestBrowserSupplierRecordsAnArrangement: a Supplier records a Letter of
// Intent with its MAP (first with backwards dates, which come back as a
// problem on the form), attaches a signed copy, and finds its coverage page
// from the menu.
func TestBrowserSupplierRecordsAnArrangement(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	letter := filepath.Join(t.TempDir(), "letter.txt")
	if err := os.WriteFile(letter, []byte("We intend to contract. Signed, SUPA and MAPA.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/arrangements/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-kind")),
		chromedp.SetValue(chromedp.CSS("#f-kind"), "letter_of_intent"),
		chromedp.SetValue(chromedp.CSS("#f-reference"), "LOI-B1"),
		chromedp.SetValue(chromedp.CSS("#f-map"), "MAPA"),
		chromedp.SetValue(chromedp.CSS("#f-models"), "MANA/M1 MANB/N1"),
		chromedp.SetValue(chromedp.CSS("#f-materiality"), "As the SSC's suggested wording"),
		chromedp.SetValue(chromedp.CSS("#f-signed"), "2025-02-01"),
		chromedp.SetValue(chromedp.CSS("#f-effective"), "2025-02-01"),
		chromedp.SetValue(chromedp.CSS("#f-expires"), "2025-01-01"),
		chromedp.Submit(chromedp.CSS("#f-kind")),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, ".error-summary"); !strings.Contains(s, "backwards") {
		t.Errorf("error summary %q", s)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#f-expires"), "2026-01-31"),
		chromedp.Submit(chromedp.CSS("#f-kind")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{letter}),
		chromedp.Submit(chromedp.CSS("#f-file")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "LOI-B1") || !strings.Contains(s, "letter.txt") || !strings.Contains(s, "text/plain") {
		t.Errorf("arrangement page after the upload:\n%s", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`header nav a[href="/coverage"]`)),
		chromedp.WaitVisible(chromedp.CSS("#covered")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "G3.20 coverage of") || !strings.Contains(h, "SUPA") {
		t.Errorf("coverage page heading %q", h)
	}
}

// TestBrowserSSCHeatMap: an SSC member reaches a Supplier's coverage from
// the heat map by keyboard: each cell is a link.
func TestBrowserSSCHeatMap(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["ssc2"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/coverage?date=2025-06-15"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "ssc2@ssc.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
		chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"),
		chromedp.WaitVisible(chromedp.CSS("svg.heatmap")),
	)
	if err != nil {
		t.Fatal(err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('svg.heatmap a').getAttribute('aria-label')`))
	if err != nil || !strings.Contains(label, "Devices") {
		t.Fatalf("first cell's label %q (%v)", label, err)
	}
	// Every cell is in one of the bands of the key; every cell with Devices
	// links to its Supplier × manufacturer; cells without Devices do not.
	bands, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const out = [];
		for (const el of document.querySelectorAll('svg.heatmap [data-band]')) {
			const href = el.tagName.toLowerCase() === 'a' ? el.getAttribute('href') : '';
			out.push(el.getAttribute('data-band') + ' ' + (href || '-'));
		}
		return out.join('\n');
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"full": true, "steps": true, "most": true, "some": true, "none": true, "noduty": true, "empty": true}
	lines := strings.Split(bands, "\n")
	if len(lines) < 2 {
		t.Fatalf("cells: %q", bands)
	}
	for _, l := range lines {
		band, href, _ := strings.Cut(l, " ")
		switch {
		case !known[band]:
			t.Errorf("a cell in no band of the key: %q", l)
		case band == "empty" && href != "-":
			t.Errorf("a cell with no Devices links somewhere: %q", l)
		case band != "empty" && !(strings.HasPrefix(href, "/coverage/") && strings.Contains(href, "manufacturer=") && strings.Contains(href, "date=2025-06-15")):
			t.Errorf("a cell does not link to its Supplier × manufacturer on the day: %q", l)
		}
	}
	if key := text(t, ctx, "ul.heat-key"); !strings.Contains(key, "no Devices") || !strings.Contains(key, "0% covered") || !strings.Contains(key, "reasonable steps") {
		t.Errorf("the key: %q", key)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('svg.heatmap a').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS("svg.heatmap a")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#legend")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "G3.20 coverage of") {
		t.Errorf("after the cell: %q", h)
	}
	mfr := href[strings.Index(href, "manufacturer=")+len("manufacturer="):]
	if i := strings.IndexByte(mfr, '&'); i >= 0 {
		mfr = mfr[:i]
	}
	if got := text(t, ctx, "main [role=status]"); !strings.Contains(got, "Only "+mfr) {
		t.Errorf("the cell's page does not say it shows only %s: %q", mfr, got)
	}
	if legend := text(t, ctx, "#legend + p + ul"); !strings.Contains(legend, "Gaps") || !strings.Contains(legend, "Covered") {
		t.Errorf("the legend: %q", legend)
	}
	// Under Gaps, only gaps.
	covered, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('section[aria-labelledby=gap] td.status-covered, section[aria-labelledby=gap] td.status-steps').length`))
	if err != nil || covered != 0 {
		t.Errorf("%d rows under Gaps are not gaps (%v)", covered, err)
	}
}
