package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOIDCFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "secret")
	os.WriteFile(good, []byte("the-secret\n"), 0o600)
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("the-secret\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)

	if c, err := (&oidcFlags{}).config("http://x"); c != nil || err != nil {
		t.Fatalf("no issuer: %v %v, want no single sign-on", c, err)
	}
	for _, tc := range []struct {
		f    oidcFlags
		want string
	}{
		{oidcFlags{clientID: "c"}, "need --oidc-issuer"},
		{oidcFlags{issuer: "http://login.example", clientID: "c", secretFile: good, strongAMR: "mfa"}, "https://"},
		{oidcFlags{issuer: "https://login.example", secretFile: good, strongAMR: "mfa"}, "--oidc-client-id"},
		{oidcFlags{issuer: "https://login.example", clientID: "c", secretFile: open, strongAMR: "mfa"}, "chmod 600"},
		{oidcFlags{issuer: "https://login.example", clientID: "c", secretFile: empty, strongAMR: "mfa"}, "is empty"},
		{oidcFlags{issuer: "https://login.example", clientID: "c", secretFile: filepath.Join(dir, "none"), strongAMR: "mfa"}, "no such file"},
		{oidcFlags{issuer: "https://login.example", clientID: "c", secretFile: good, strongAMR: " , "}, "names no method"},
	} {
		if _, err := tc.f.config("http://x"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
	c, err := (&oidcFlags{name: "Login", issuer: "https://login.example", clientID: "c", secretFile: good, strongAMR: "mfa, hwk"}).config("https://metersec.example/")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "the-secret" || c.RedirectURL != "https://metersec.example/signin/oidc/callback" || strings.Join(c.StrongAMR, "|") != "mfa|hwk" || c.Name != "Login" {
		t.Fatalf("config: %+v", c)
	}
}
