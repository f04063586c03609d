package delivery

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestValidateWebhookURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{"https://hooks.example.org/metersec", "https://hooks.example.org/metersec"},
		{"  HTTPS://Hooks.Example.ORG:8443/a?b=c ", "https://hooks.example.org:8443/a?b=c"},
		{"https://203.0.113.5/hook", "https://203.0.113.5/hook"},
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"},
		{"http://localhost/hook", "http://localhost/hook"},
		{"http://[::1]:9000/", "http://[::1]:9000/"},
		{"http://hooks.example.org/metersec", ""},             // plain http off this machine
		{"https://user:pass@hooks.example.org/", ""},          // credentials in the URL
		{"https://hooks.example.org/#frag", ""},               // fragment
		{"ftp://hooks.example.org/", ""},                      // scheme
		{"https://169.254.169.254/latest/meta-data/", ""},     // cloud metadata
		{"https://[fe80::1%25eth0]/", ""},                     // link-local with zone
		{"https://0.0.0.0/", ""},                              // unspecified
		{"https://224.0.0.1/", ""},                            // multicast
		{"https://hooks.example.org:0/", ""},                  // port
		{"https://hooks.example.org:99999/", ""},              // port
		{"https://hooks_example.org/", ""},                    // host name
		{"https://hooks.example.org/a b", ""},                 // space
		{"https://hooks.example.org/\x00", ""},                // control
		{"/relative/path", ""},                                // not absolute
		{"mailto:sec@example.org", ""},                        // opaque
		{"https://" + strings.Repeat("a", 2050) + ".org", ""}, // length
		{"", ""},
	} {
		got, msg := ValidateWebhookURL(tc.in)
		if got != tc.want || (tc.want == "") != (msg != "") {
			t.Errorf("ValidateWebhookURL(%q) = %q, %q; want %q", tc.in, got, msg, tc.want)
		}
	}
}

// FuzzValidateWebhookURL checks what an accepted URL always is: normalised
// (validating it again gives it back), https or loopback http, without
// credentials or fragment, to an allowed address.
func FuzzValidateWebhookURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.example.org/metersec", "http://127.0.0.1:8080/x", "http://localhost", "https://[::1]/",
		"https://u:p@h.example/", "https://169.254.169.254/", "HTTPS://A.B/%41?x=1", "http://[::ffff:127.0.0.1]/",
		"https://a.b:/", "https://a.b/#", "https://xn--bcher-kva.example/", "http://0x7f.1/", "https://a..b/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, msg := ValidateWebhookURL(raw)
		if msg != "" {
			if got != "" {
				t.Fatalf("refused %q but returned %q", raw, got)
			}
			return
		}
		again, msg2 := ValidateWebhookURL(got)
		if msg2 != "" || again != got {
			t.Fatalf("%q normalised to %q, which validates as %q, %q", raw, got, again, msg2)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("accepted %q does not parse: %v", got, err)
		}
		if u.User != nil || u.Fragment != "" || (u.Scheme != "https" && u.Scheme != "http") {
			t.Fatalf("accepted %q", got)
		}
		if u.Scheme == "http" && u.Hostname() != "localhost" && !strings.HasPrefix(u.Hostname(), "127.") &&
			u.Hostname() != "::1" && !strings.HasPrefix(u.Hostname(), "::ffff:127.") {
			t.Fatalf("accepted plain http off this machine: %q", got)
		}
	})
}

func TestSignatureRoundTrip(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := "1800000000"
	sig := Sign("whsec_abc", now.Unix(), body)
	if err := verifyAt(now, "whsec_abc", ts, body, sig, time.Minute); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	for _, tc := range []struct {
		name, secret, ts, header string
		body                     []byte
		now                      time.Time
		want                     error
	}{
		{"wrong secret", "whsec_abd", ts, sig, body, now, ErrSignature},
		{"changed body", "whsec_abc", ts, sig, []byte(`{"id":"y"}`), now, ErrSignature},
		{"changed timestamp", "whsec_abc", "1800000001", sig, body, now, ErrSignature},
		{"too old (a replay)", "whsec_abc", ts, sig, body, now.Add(2 * time.Minute), ErrTimestamp},
		{"from the future", "whsec_abc", ts, sig, body, now.Add(-2 * time.Minute), ErrTimestamp},
		{"timestamp with a sign", "whsec_abc", "+1800000000", sig, body, now, ErrTimestamp},
		{"timestamp with a leading zero", "whsec_abc", "01800000000", sig, body, now, ErrTimestamp},
		{"no header", "whsec_abc", ts, "", body, now, ErrSignature},
		{"short hex", "whsec_abc", ts, "v1=abcd", body, now, ErrSignature},
		{"unknown version only", "whsec_abc", ts, "v2=" + sig[3:], body, now, ErrSignature},
		{"too many", "whsec_abc", ts, strings.Repeat(sig+",", 9) + sig, body, now, ErrSignature},
	} {
		if err := verifyAt(tc.now, tc.secret, tc.ts, tc.body, tc.header, time.Minute); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// During a rotation the sender may list two; either matching is enough.
	two := Sign("whsec_old", now.Unix(), body) + ", v2=ignored, " + sig
	if err := verifyAt(now, "whsec_abc", ts, body, two, time.Minute); err != nil {
		t.Errorf("second signature not accepted: %v", err)
	}
}

// FuzzParseSignatureHeader checks that any header parses or fails cleanly,
// never yields a signature of the wrong length, and that a header made by
// Sign verifies.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("v1=" + strings.Repeat("ab", 32))
	f.Add("v1=" + strings.Repeat("ab", 32) + ", v1=" + strings.Repeat("cd", 32))
	f.Add("v0=zz,v1=")
	f.Add(",,,")
	f.Add("v1=" + strings.Repeat("g", 64))
	f.Fuzz(func(t *testing.T, header string) {
		sigs, err := ParseSignatureHeader(header)
		if err != nil {
			if !errors.Is(err, ErrSignature) || sigs != nil {
				t.Fatalf("%q: %v, %v", header, sigs, err)
			}
			return
		}
		if len(sigs) == 0 || len(sigs) > maxSignatures {
			t.Fatalf("%q: %d signatures", header, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("%q: a signature of %d bytes", header, len(s))
			}
		}
		body := []byte(header)
		if err := VerifySignature(header, "1800000000", body, Sign(header, 1_800_000_000, body), 100*365*24*time.Hour); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
	})
}

func TestEndpointsBelongToTheirOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		addOrg(t, db, "SUPA", "large_supplier")
		addOrg(t, db, "SUPB", "large_supplier")
		addOrg(t, db, "SSC", "ssc")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		bob := addUser(t, db, "SUPB", "bob@supb.example", "supplier")
		chair := addUser(t, db, "SSC", "chair@ssc.example", "ssc_member")
		svc := &Service{DB: db}

		ep, secret, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: "https://hooks.supa.example/m", Description: "SOC"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
			t.Errorf("secret = %q", secret)
		}
		if ep.OrgID != alice.OrgID || !ep.Active || ep.CreatedBy != "alice@supa.example" {
			t.Errorf("endpoint = %+v", ep)
		}
		// Not even the SSC may point another organisation's notices elsewhere.
		if _, _, err := svc.AddEndpoint(ctx, chair, NewEndpoint{OrgID: alice.OrgID, URL: "https://ssc.example/"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("SSC adding SUPA's endpoint: %v", err)
		}
		if _, err := svc.Endpoints(ctx, bob, alice.OrgID); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("bob listing SUPA's endpoints: %v", err)
		}
		if _, err := svc.DisableEndpoint(ctx, bob, ep.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("bob disabling SUPA's endpoint: %v", err)
		}
		if _, err := svc.RotateSecret(ctx, bob, ep.ID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("bob rotating SUPA's secret: %v", err)
		}
		if _, _, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: "http://hooks.supa.example/"}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("plain http accepted: %v", err)
		}
		// A job cannot be routed to another organisation's endpoint.
		err = db.Write(ctx, system, func(tx *store.Tx) error {
			_, err := Enqueue(ctx, tx, Message{Kind: "x", Channel: Webhook, OrgID: bob.OrgID, EndpointID: ep.ID, Subject: "s", Key: "k"})
			return err
		})
		if errs.CodeOf(err) != errs.Invalid {
			t.Errorf("routing SUPB's message to SUPA's endpoint: %v", err)
		}

		list, err := svc.Endpoints(ctx, alice, 0)
		if err != nil || len(list) != 1 || list[0].URL != "https://hooks.supa.example/m" {
			t.Errorf("list = %+v, %v", list, err)
		}
		newSecret, err := svc.RotateSecret(ctx, alice, ep.ID)
		if err != nil || newSecret == secret {
			t.Errorf("rotate: %q, %v", newSecret, err)
		}
		for range maxActiveEndpoints - 1 {
			if _, _, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: "https://hooks.supa.example/more"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: "https://hooks.supa.example/one-too-many"}); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("endpoint over the limit: %v", err)
		}
		if _, err := svc.DisableEndpoint(ctx, alice, ep.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.PingEndpoint(ctx, alice, ep.ID); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("pinging a disabled endpoint: %v", err)
		}
		// Secrets never reach the audit trail's digests or the listing.
		if n := count(t, db, "SELECT count(*) FROM audit_log WHERE object_type = 'webhook_endpoint'"); n != maxActiveEndpoints+2 {
			t.Errorf("%d audit records for endpoints", n)
		}
	})
}

func TestPingReachesTheEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hooks := newReceiver(t, false)
		addOrg(t, db, "SUPA", "large_supplier")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		svc := &Service{DB: db}
		ep, secret, err := svc.AddEndpoint(ctx, alice, NewEndpoint{URL: hooks.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		hooks.setSecret(secret)
		runWorker(t, db, testConfig(t, nil, hooks))
		if err := svc.PingEndpoint(ctx, alice, ep.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the ping", func() bool { _, n := hooks.received(); return n == 1 })
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		if e := hooks.events[0]; e.Kind != "ping" || e.TLP != "GREEN" {
			t.Errorf("ping event = %+v", e)
		}
	})
}

func TestShortError(t *testing.T) {
	long := strings.Repeat("é", 400)
	if s := shortError(errors.New(long)); len(s) > 303 || !strings.HasSuffix(s, "…") || !utf8Valid(s) {
		t.Errorf("shortError cut badly: %d bytes", len(s))
	}
	if s := shortError(errors.New("a\r\nb\tc   d")); s != "a b c d" {
		t.Errorf("shortError = %q", s)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
