package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// TestBrowserSupplierRegistersAUserSystem: a Supplier opens User Systems
// from the menu and registers one, first naming an organisation that is not
// a manufacturer (the form comes back naming the field), then correctly. It
// is the Supplier's fourth (the world seeds three), so the page says the SSC
// was notified under SECMP0057, and the SSC's inbox holds the notice.
func TestBrowserSupplierRegistersAUserSystem(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	fill := func(manufacturer string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.CSS("#f-name"), "Meter data service"),
			chromedp.SetValue(chromedp.CSS("#f-description"), "Reads and stores consumption"),
			chromedp.SetValue(chromedp.CSS("#f-in_service_from"), "2099-03-01"),
			chromedp.SetValue(chromedp.CSS(`[id="f-components[0].manufacturer"]`), manufacturer),
			chromedp.SetValue(chromedp.CSS(`[id="f-components[0].supplies"]`), "software"),
			chromedp.Submit(chromedp.CSS("#f-name")),
		)
	}
	for i, step := range []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(w.ts.URL + "/user-systems"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS(`header nav a[href="/coverage"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/user-systems"]`)),
		chromedp.Click(chromedp.CSS("details summary")),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		fill("MAPA"),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	} {
		if err := chromedp.Do(ctx, step); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if s := text(t, ctx, ".error-summary"); !strings.Contains(s, "components[0].manufacturer") || !strings.Contains(s, "MAPA") {
		t.Errorf("error summary %q", s)
	}
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		fill("MANA"),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, ".flash"); !strings.Contains(s, "SSC has been notified") {
		t.Errorf("flash %q", s)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "Meter data service") || !strings.Contains(s, "User System 4 of SUPA") ||
		!strings.Contains(s, "before its first use") || !strings.Contains(s, "MANA") {
		t.Errorf("the User System's page:\n%s", s)
	}
	var n int
	if err := w.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notices n JOIN organisations o ON o.id = n.org_id
		WHERE o.code = 'SSC' AND n.kind = 'user_system.notified' AND n.title LIKE '%number 4%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the SSC's notices of the fourth User System: %d, %v", n, err)
	}
}
