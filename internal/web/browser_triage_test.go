package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/store"
)

// TestBrowserScanningWorkflow: an operator opens the facility's scanning
// page, scans a Device never triaged and receives it, then takes a Device
// already received through its boundary check (refused without a reason
// while the boundary is breached, recorded with one), a seal and release,
// each with the one form under the Device's history.
func TestBrowserScanningWorkflow(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	mark := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.getElementById("`+id+`").setAttribute("data-old", "1"); true`)(ctx, t)
			return err
		})
	}
	step := func(fields map[string]string) chromedp.Action[chromedp.Void] {
		var acts []chromedp.Action[chromedp.Void]
		for sel, v := range fields {
			if strings.HasPrefix(sel, "select:") {
				acts = append(acts, chromedp.SetValue(chromedp.CSS(strings.TrimPrefix(sel, "select:")), v))
			} else {
				acts = append(acts, chromedp.SendKeys(chromedp.CSS(sel), v))
			}
		}
		// Mark the page, submit, and wait for a page without the mark.
		acts = append(acts, mark("scan-step"),
			chromedp.Click(chromedp.CSS("#scan-step button[type=submit]")),
			chromedp.WaitNotPresent(chromedp.CSS("#scan-step[data-old]")),
			chromedp.WaitVisible(chromedp.CSS("#f-device")))
		return chromedp.Steps(acts...)
	}
	scan := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Clear(chromedp.CSS("#f-device")),
			chromedp.SendKeys(chromedp.CSS("#f-device"), id),
			mark("scan-lookup"),
			chromedp.Submit(chromedp.CSS("#f-device")),
			chromedp.WaitNotPresent(chromedp.CSS("#scan-lookup[data-old]")),
			chromedp.WaitVisible(chromedp.CSS("#scan-state")),
		)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "triage@tria.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
		chromedp.Navigate(w.ts.URL+"/triage"),
		chromedp.Click(chromedp.CSS(`a[href="/triage/facilities"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/triage/facilities/"]`)),
		chromedp.Click(chromedp.CSS(`a[href^="/triage/facilities/"]`)),
		chromedp.Click(chromedp.CSS(`a[href$="/scan"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-device")),
		scan("5e:ed:00:00:00:00:00:01"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "#scan-state"); !strings.Contains(s, "Not in triage") {
		t.Fatalf("a Device never triaged: %q", s)
	}
	if err := chromedp.Do(ctx, step(map[string]string{"select:#f-step": "receive", "#f-received_from": "SUPA returns depot"})); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "Recorded receive of 5E-ED-00-00-00-00-00-01") || !strings.Contains(s, "Now: received") ||
		!strings.Contains(s, "SUPA returns depot") {
		t.Fatalf("after receiving:\n%s", s)
	}
	// The seeded Device of Supplier B, received already.
	if err := chromedp.Do(ctx, scan("7E1A00000000AA02"),
		step(map[string]string{"select:#f-step": "boundary_check", "select:#f-outer": "breached"})); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "There is a problem") || !strings.Contains(s, "legitimate") || !strings.Contains(s, "Now: received") {
		t.Fatalf("a breach without a reason:\n%s", s)
	}
	if err := chromedp.Do(ctx,
		step(map[string]string{"select:#f-step": "boundary_check", "select:#f-outer": "breached", "#f-reason": "battery failure alert"}),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "Now: checked") || !strings.Contains(s, "battery failure alert") {
		t.Fatalf("a legitimate breach:\n%s", s)
	}
	if err := chromedp.Do(ctx,
		step(map[string]string{"select:#f-step": "fit_seal", "#f-seal": "web-seal-1"}),
		step(map[string]string{"select:#f-step": "release", "#f-released_to": "SUPB stores"}),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "Now: released") || !strings.Contains(s, "seal WEB-SEAL-1") || !strings.Contains(s, "to SUPB stores") {
		t.Fatalf("sealed and released:\n%s", s)
	}
}
