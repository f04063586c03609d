package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// chromium finds Debian's Chromium, or skips the test, unless
// METERSEC_REQUIRE_BROWSER is set (CI sets it), when a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("METERSEC_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("METERSEC_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found (apt-get install chromium, or set METERSEC_CHROMIUM)")
	}
	t.Skip("no Chromium found; install Debian's chromium to run the browser tests")
	return ""
}

// newBrowser starts headless Chromium with the flags this sandbox needs.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first call starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return tctx
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func title(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBrowserSignInWithMFAAndClassification(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	// Give the second SSC member an authenticator, as enrolment would.
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["ssc2"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	base := w.ts.URL

	// Sign in with password, then the authenticator code, by keyboard.
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/parties"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "ssc2@ssc.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
	)
	if err != nil {
		t.Fatalf("password step: %v", err)
	}
	if got := title(t, ctx); !strings.Contains(got, "Authenticator code") {
		t.Fatalf("after the password the page is %q", got)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	if err != nil {
		t.Fatalf("code step: %v", err)
	}
	if got := title(t, ctx); !strings.Contains(got, "Directory") {
		t.Fatalf("after the code the page is %q, want the directory it asked for", got)
	}
	// The directory shows AMBER entries to the SSC, but not the RED entry
	// that names only the other SSC member.
	main := text(t, ctx, "main")
	for _, want := range []string{marker("party", "PWHITE"), marker("party", "PGREEN"), marker("party", "PAMBER"), marker("party", "SUPA")} {
		if !strings.Contains(main, want) {
			t.Errorf("the directory lacks %s", want)
		}
	}
	if strings.Contains(main, marker("party", "PRED")) {
		t.Error("the directory shows a RED entry that does not name this user")
	}
	// Asking for it directly is the same as asking for something absent.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/parties/PRED"), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if main := text(t, ctx, "main"); !strings.Contains(main, "404") || strings.Contains(main, marker("party", "PRED")) {
		t.Fatalf("RED entry page: %q", main)
	}

	// The skip link is the first thing the keyboard reaches.
	err = chromedp.Do(ctx, chromedp.Navigate(base+"/parties"), chromedp.WaitVisible(chromedp.CSS("table")), chromedp.KeyEvent("\t"))
	if err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(focused) != "Skip to content" {
		t.Errorf("first tab stop is %q, want the skip link", focused)
	}
}

func TestBrowserSupplierCannotSeeAnotherSupplier(t *testing.T) {
	ctx := newBrowser(t)
	w := newWorld(t, store.SQLite)
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.ts.URL+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "suppliera@supa.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
		chromedp.Click(chromedp.CSS(`a[href="/parties"]`)),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	if err != nil {
		t.Fatal(err)
	}
	main := text(t, ctx, "main")
	if !strings.Contains(main, marker("party", "SUPA")) || !strings.Contains(main, marker("party", "PAMBER")) {
		t.Error("a Supplier must see itself and the AMBER entry naming it")
	}
	if strings.Contains(main, marker("party", "SUPB")) || strings.Contains(main, marker("party", "PRED")) {
		t.Errorf("a Supplier sees another Supplier or a RED entry: %q", main)
	}
}
