package secrets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/secrets"
)

func box(t testing.TB) *secrets.Box {
	t.Helper()
	b, err := secrets.Parse(secrets.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	a, b := box(t), box(t)
	const seed = "JBSWY3DPEHPK3PXP"
	sealed := a.Seal(seed, secrets.TOTP)
	if !secrets.IsSealed(sealed) || strings.Contains(sealed, seed) || secrets.KeyID(sealed) != a.ID() {
		t.Fatalf("sealed %q", sealed)
	}
	if a.Seal(seed, secrets.TOTP) == sealed {
		t.Error("two seals of one secret are equal: the nonce is not random")
	}
	if got, err := a.Open(sealed, secrets.TOTP); err != nil || got != seed {
		t.Fatalf("open: %q %v", got, err)
	}
	for name, try := range map[string]func() (string, error){
		"another key":     func() (string, error) { return b.Open(sealed, secrets.TOTP) },
		"another purpose": func() (string, error) { return a.Open(sealed, secrets.Webhook) },
		"no key":          func() (string, error) { return (*secrets.Box)(nil).Open(sealed, secrets.TOTP) },
		"altered":         func() (string, error) { return a.Open(sealed[:len(sealed)-2]+"AA", secrets.TOTP) },
		"truncated":       func() (string, error) { return a.Open(sealed[:30], secrets.TOTP) },
	} {
		if got, err := try(); err == nil {
			t.Errorf("%s: opened to %q", name, got)
		}
	}
	// Without a key, values are stored as they are; plain values read back.
	var none *secrets.Box
	if none.Seal(seed, secrets.TOTP) != seed {
		t.Error("a nil box changed the value")
	}
	if got, err := a.Open(seed, secrets.TOTP); err != nil || got != seed {
		t.Errorf("a plain value: %q %v", got, err)
	}
}

func TestReseal(t *testing.T) {
	old, next := box(t), box(t)
	const s = "whsec_abc"
	// Plain → sealed.
	v, changed, err := secrets.Reseal(s, secrets.Webhook, old)
	if err != nil || !changed || secrets.KeyID(v) != old.ID() {
		t.Fatalf("seal: %q %v %v", v, changed, err)
	}
	// Already under the key: unchanged.
	if v2, changed, err := secrets.Reseal(v, secrets.Webhook, old); err != nil || changed || v2 != v {
		t.Fatalf("again: %v %v", changed, err)
	}
	// Rotation needs the old key.
	if _, _, err := secrets.Reseal(v, secrets.Webhook, next); err == nil || !strings.Contains(err.Error(), old.ID()) {
		t.Fatalf("rotate without the old key: %v", err)
	}
	v3, changed, err := secrets.Reseal(v, secrets.Webhook, next, old)
	if err != nil || !changed || secrets.KeyID(v3) != next.ID() {
		t.Fatalf("rotate: %v %v", changed, err)
	}
	if got, _ := next.Open(v3, secrets.Webhook); got != s {
		t.Fatalf("after rotation: %q", got)
	}
	// Back to plain text (to nil).
	if v4, _, err := secrets.Reseal(v3, secrets.Webhook, nil, next); err != nil || v4 != s {
		t.Fatalf("unseal: %q %v", v4, err)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	b, err := secrets.WriteKeyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.WriteKeyFile(p); err == nil {
		t.Error("overwrote a key file")
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	got, err := secrets.LoadFile(p)
	if err != nil || got.ID() != b.ID() {
		t.Fatalf("load: %v", err)
	}
	os.Chmod(p, 0o644)
	if _, err := secrets.LoadFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
	for _, bad := range []string{"", "   ", "not base64!", "c2hvcnQ=", strings.Repeat("ab", 31)} {
		if _, err := secrets.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if _, err := secrets.Parse(strings.Repeat("ab", 32)); err != nil {
		t.Errorf("a hex key: %v", err)
	}
}

// FuzzOpen: stored values come from the database, which a backup restore or
// an attacker with write access may have altered. Open must fail cleanly.
func FuzzOpen(f *testing.F) {
	b := box(f)
	f.Add(b.Seal("JBSWY3DPEHPK3PXP", secrets.TOTP))
	f.Add("sealed:v1:" + b.ID() + ":")
	f.Add("sealed:v1:")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, stored string) {
		got, err := b.Open(stored, secrets.TOTP)
		if err == nil && secrets.IsSealed(stored) && b.Seal(got, secrets.TOTP) == "" {
			t.Fatal("opened to nothing")
		}
	})
}

// FuzzParse: key files are written by people.
func FuzzParse(f *testing.F) {
	f.Add(secrets.GenerateKey())
	f.Add(strings.Repeat("ab", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		b, err := secrets.Parse(text)
		if err == nil && b.ID() == "" {
			t.Fatal("a key with no id")
		}
	})
}
