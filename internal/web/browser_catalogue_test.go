package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// TestBrowserManufacturerAddsFirmware: a manufacturer signs in, finds its
// model in the catalogue browser, opens the add-firmware form by keyboard,
// first sends a bad version (the form comes back open with the problem),
// then a good one, and sees the firmware in version order.
func TestBrowserManufacturerAddsFirmware(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	model := catalogueSeeds[w].models["MANA/GREEN"]
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "manufacturer@mana.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
		chromedp.Click(chromedp.CSS(`a[href="/catalogue"]`)),
		chromedp.WaitVisible(chromedp.CSS("table")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/catalogue/models/%d"]`, model))),
		chromedp.WaitVisible(chromedp.CSS("#firmware")),
		chromedp.Focus(chromedp.CSS(`section[aria-labelledby="firmware"] > details > summary`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#f-version")),
		chromedp.SendKeys(chromedp.CSS("#f-version"), "1..2"),
		chromedp.Submit(chromedp.CSS("#f-version")),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, ".error-summary"); !strings.Contains(s, "version") {
		t.Errorf("error summary %q", s)
	}
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#f-version")), // the form came back open
		chromedp.SetValue(chromedp.CSS("#f-version"), "0x5EED0000"),
		chromedp.Submit(chromedp.CSS("#f-version")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	table := text(t, ctx, `section[aria-labelledby="firmware"] table`)
	first, second := strings.Index(table, "0x5EED0000"), strings.Index(table, "0x5EED0002")
	if first < 0 || second < 0 || first > second || !strings.Contains(table, "Conditional") {
		t.Errorf("firmware table after adding 0x5EED0000:\n%s", table)
	}
}
