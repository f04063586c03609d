package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestBrowserForwardPlan: an SSC member opens the forward plan, reads why
// each party is due what, moves to the next year, and overrides one party's
// assessment from the form; the row then says so.
func TestBrowserForwardPlan(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["ssc2"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/assessments/plan?year=2026"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "ssc2@ssc.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
		chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#plan")),
		// The world's FUSAs were planned for 2026: the next year is year 2.
		chromedp.Click(chromedp.CSS(`a[rel="next"]`)),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "2027") {
		t.Fatalf("next year's heading %q", h)
	}
	row := text(t, ctx, `tr[data-party="SUPA"]`)
	if !strings.Contains(row, "VUSA") || !strings.Contains(row, "year 2 of the cycle begun in 2026") {
		t.Errorf("SUPA's row in 2027: %q", row)
	}
	if s := text(t, ctx, "#plan-total"); !strings.Contains(s, "FUSA") {
		t.Errorf("total %q", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("details summary")),
		chromedp.SetValue(chromedp.CSS("#f-party"), "OTHA"),
		chromedp.SetValue(chromedp.CSS("#f-role"), "other_user"),
		chromedp.SetValue(chromedp.CSS("#f-type"), "VUSA"),
		chromedp.SetValue(chromedp.CSS("#f-reason"), "second User System"),
		chromedp.Submit(chromedp.CSS("#f-party")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	typ, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-party="OTHA"]').dataset.type`))
	if err != nil || typ != "VUSA" {
		t.Errorf("OTHA after the override: %q, %v", typ, err)
	}
	if row := text(t, ctx, `tr[data-party="OTHA"]`); !strings.Contains(row, "SSC override") || !strings.Contains(row, "second User System") {
		t.Errorf("OTHA's row: %q", row)
	}
}

// TestBrowserRemediationUpdate: a Supplier opens its overdue remediation
// plan from the list, sends a progress update (first empty, which the
// browser's own check stops, then with text), and the plan goes back to the
// SSC with the update in its history.
func TestBrowserRemediationUpdate(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	id := w.ids[marker("plan", "SA1")]
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/remediation-plans?overdue=true"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#plans-total")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "1 plan matches") || !strings.Contains(s, "update overdue") || strings.Contains(s, "~SA2~") {
		t.Errorf("overdue list:\n%s", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/remediation-plans/%d"]`, id))),
		chromedp.WaitVisible(chromedp.CSS("#f-note-update")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "#plan-state"); !strings.Contains(s, "agreed") || !strings.Contains(s, "overdue") {
		t.Errorf("state before the update %q", s)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-note-update"), "Patching finished on 3 of 4 head-end systems."),
		chromedp.Submit(chromedp.CSS("#f-note-update")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "#plan-state"); !strings.Contains(s, "submitted") || strings.Contains(s, "overdue") {
		t.Errorf("state after the update %q", s)
	}
	if s := text(t, ctx, "#plan-history"); !strings.Contains(s, "update. Patching finished on 3 of 4 head-end systems.") {
		t.Errorf("history %q", s)
	}
}
