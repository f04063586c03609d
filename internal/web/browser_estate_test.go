package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// TestBrowserSupplierLooksUpDevices: a Supplier types a Device ID in a
// spelling of its own, lands on the Device's page with its supply history,
// fails to find another Supplier's Device (told the same as for no Device),
// and sees its portfolio with the chart by manufacturer and generation.
func TestBrowserSupplierLooksUpDevices(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
		chromedp.Navigate(w.ts.URL+"/estate"),
		chromedp.WaitVisible(chromedp.CSS("#f-device_id")),
		chromedp.SendKeys(chromedp.CSS("#f-device_id"), "5e:ed:00:00:00:00:00:01"),
		chromedp.Submit(chromedp.CSS("#f-device_id")),
		chromedp.WaitVisible(chromedp.CSS("#supply")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "5E-ED-00-00-00-00-00-01") {
		t.Errorf("device page heading %q", h)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "SUPA") || !strings.Contains(s, "2022-01-01") {
		t.Errorf("device page lacks its supply period:\n%s", s)
	}
	// Device 2 is SUPB's.
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/estate?device=5EED000000000002"),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); strings.Contains(s, "SUPB") || !strings.Contains(strings.ToLower(s), "no device") {
		t.Errorf("another Supplier's Device:\n%s", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/portfolio"),
		chromedp.WaitVisible(chromedp.CSS("svg.estate-chart")),
	)
	if err != nil {
		t.Fatal(err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("svg.estate-chart"), "aria-label"))
	if err != nil {
		t.Fatal(err)
	}
	label := attr.Value
	if !strings.Contains(label, "by manufacturer and generation") || !strings.Contains(label, "MANA") {
		t.Errorf("chart label %q", label)
	}
	if s := text(t, ctx, "table"); !strings.Contains(s, "EST-MOD-1") || strings.Contains(s, "EST-MOD-2") {
		t.Errorf("portfolio table:\n%s", s)
	}
}
