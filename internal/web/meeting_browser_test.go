package web_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// TestBrowserRecordDecision: the SSC member present records a decision on
// a RED item of meeting 902 from its page, by keyboard and the form alone.
func TestBrowserRecordDecision(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["ssc"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	red := w.ids[marker("mitem", "902R")]
	sel := "#item-" + itoa(red)
	err := chromedp.Do(ctx,
		// The agenda is folded; the item a person works on is opened (as
		// the forms' redirects open it).
		chromedp.Navigate(w.ts.URL+"/meetings/902?item="+itoa(red)),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "ssc@ssc.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
	if err != nil {
		t.Fatalf("second factor: %v", err)
	}
	if got := text(t, ctx, sel+" h3"); !strings.Contains(got, marker("mitem", "902R")) || !strings.Contains(got, "TLP:RED") {
		t.Fatalf("the RED item's heading is %q", got)
	}
	// The page shows a flash already (after signing in, after the first
	// decision): take it away before each submission, so that waiting for
	// p.flash waits for the next page's, not the one before it.
	dropFlash := func() {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelectorAll("p.flash").forEach(e => e.remove()), true)`)); err != nil {
			t.Fatal(err)
		}
	}
	dropFlash()
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#verb-"+itoa(red)), "NOTED"),
		chromedp.SendKeys(chromedp.CSS("#dtext-"+itoa(red)), "the update from the browser\n"),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if err != nil {
		t.Fatalf("record decision: %v", err)
	}
	if got := text(t, ctx, "p.flash"); !strings.Contains(got, "Decision recorded") {
		t.Errorf("flash %q", got)
	}
	if got := text(t, ctx, sel+" ul.decisions"); !strings.Contains(got, "The SSC NOTED the update from the browser") {
		t.Errorf("the item's decisions are %q", got)
	}
	// A verb outside the list, typed into the form by hand, is refused
	// with the reason and nothing recorded.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector("#verb-`+itoa(red)+`").add(new Option("PONDERED", "PONDERED", true, true)), true)`)); err != nil {
		t.Fatal(err)
	}
	dropFlash()
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#dtext-"+itoa(red)), "never\n"),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "p.flash"); !strings.Contains(got, "unknown decision verb") {
		t.Errorf("flash after a bad verb: %q", got)
	}
	if got := text(t, ctx, sel+" ul.decisions"); strings.Contains(got, "never") {
		t.Errorf("a refused decision was recorded: %q", got)
	}
}

// TestBrowserPublicHeadlines: anyone reads the published headlines without
// signing in; RED and AMBER items show only what seeds/003 shows.
func TestBrowserPublicHeadlines(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/public/meetings"),
		chromedp.WaitVisible(chromedp.CSS("main ul")),
		chromedp.Click(chromedp.CSS(`a[href="/public/meetings/901"]`)),
		chromedp.WaitVisible(chromedp.CSS("section.headline")),
	)
	if err != nil {
		t.Fatal(err)
	}
	main := text(t, ctx, "main")
	for _, want := range []string{"Security Sub-Committee (SSC) Meeting Headlines", "This document is classified as WHITE",
		marker("mpub", "901G"), "The Agenda Item was marked as RED and therefore recorded in the Confidential Minutes.",
		"The Agenda Item was marked as AMBER and therefore recorded in the Confidential Minutes.", "The SSC AGREED."} {
		if !strings.Contains(main, want) {
			t.Errorf("the headlines lack %q", want)
		}
	}
	for _, m := range w.markersIn(main) {
		if rec := w.records[m]; rec.Class != "WHITE" {
			t.Errorf("LEAK: the public headlines show %s (%s)", m, rec)
		}
	}
	if strings.Contains(main, "Sign out") {
		t.Error("the public page thinks someone is signed in")
	}
	// An unpublished meeting is not found, as an absent one.
	if err := chromedp.Do(ctx, chromedp.Navigate(w.ts.URL+"/public/meetings/902"), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if main := text(t, ctx, "main"); !strings.Contains(main, "404") || strings.Contains(main, "SSC_902") {
		t.Errorf("unpublished meeting page: %q", main)
	}
}

// TestBrowserMeetingPagesFit: on the demo world every meeting's page, the
// list of meetings and the action tracker stay within issue 15's limits
// for the SSC chair, who sees the most (the agenda is folded, the carried
// actions cut to the first few with a link to the rest).
func TestBrowserMeetingPagesFit(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo world and opens pages in a browser")
	}
	chromePath := chromium(t)
	axeJS := axeScript(t)
	db := pageWorld(t)
	srv, err := web.New(web.Config{DB: db, Log: testLogger(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	const chair = "chair@ssc.example.org"
	client := signInDemo(t, ts.URL, db, chair)
	bctx := pageBrowser(t, chromePath, axeJS)
	if err := setCookies(bctx, ts.URL, client); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/meetings", "/meeting-actions", "/meeting-actions?state=overdue"}
	p, err := srv.Meetings.MeetingPage(context.Background(), access.SystemCaller("test"), meeting.MeetingSpec.First())
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("the demo world's meetings: %v %v", p.Items, err)
	}
	for _, m := range p.Items {
		paths = append(paths, "/meetings/"+strconv.Itoa(m.Number))
	}
	for _, path := range paths {
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		m, err := measurePage(bctx, ts.URL+path, true)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Logf("%-40s %7d B %6d px %d axe", path, len(body), m.height, len(m.axe))
		if len(body) > maxPageBytes || m.height > maxPageHeight {
			t.Errorf("%s: %d bytes, %d px tall at %d px wide (at most %d bytes, %d px)", path, len(body), m.height, pageWidth, maxPageBytes, maxPageHeight)
		}
		for _, v := range m.axe {
			t.Errorf("%s: axe %s", path, v)
		}
	}
}
