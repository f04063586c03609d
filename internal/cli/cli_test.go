package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzReadConfig(f *testing.F) {
	f.Add("db = ./x.db\n# comment\naddr = \"127.0.0.1:9\"\n")
	f.Add("nonsense")
	f.Add("db=\n=x\n")
	f.Add("db = \"unterminated\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in string) {
		p := filepath.Join(dir, "c.conf")
		if err := os.WriteFile(p, []byte(in), 0o600); err != nil {
			t.Skip()
		}
		got, err := readConfig(p, map[string]bool{"db": true, "addr": true})
		if err != nil {
			return
		}
		for k := range got {
			if k != "db" && k != "addr" {
				t.Fatalf("accepted unknown key %q", k)
			}
		}
	})
}

func TestEnvName(t *testing.T) {
	if got := EnvName("secure-cookies"); got != "METERSEC_SECURE_COOKIES" {
		t.Fatal(got)
	}
	if !strings.HasPrefix(EnvName("db"), "METERSEC_") {
		t.Fatal("prefix")
	}
}
