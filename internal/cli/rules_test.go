package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Current": "current", "DeviceID": "device_id", "ID": "id", "SMETS1": "smets1",
		"NoMAP": "no_map", "ByType": "by_type", "HTTPStatus": "http_status", "G320FixVersion": "g320_fix_version",
		"ChurnRows": "churn_rows", "already_snake": "already_snake",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrintJSON(t *testing.T) {
	type Inner struct {
		DeviceID string
		Tagged   int `json:"tagged_Name"`
	}
	type Base struct{ CreatedAt time.Time }
	type outer struct {
		Base
		Items    []Inner
		Nothing  []string
		ByType   map[string]int
		Optional []int `json:"optional,omitempty"`
		Skipped  int   `json:"-"`
		Ptr      *Inner
	}
	var out bytes.Buffer
	env := &Env{Stdout: &out, Format: "json"}
	v := outer{Base: Base{time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}, Items: []Inner{{"00-11", 3}}, ByType: map[string]int{"ESME": 2}}
	if err := env.Print(v, nil); err != nil {
		t.Fatal(err)
	}
	want := `{
  "created_at": "2026-12-05T00:00:00Z",
  "items": [
    {
      "device_id": "00-11",
      "tagged_Name": 3
    }
  ],
  "nothing": [],
  "by_type": {
    "ESME": 2
  },
  "ptr": null
}
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	// An empty list prints [], never null.
	out.Reset()
	var none []Inner
	if err := env.Print(none, nil); err != nil || out.String() != "[]\n" {
		t.Errorf("empty list: %q %v", out.String(), err)
	}
}

// The --date of one command is not read from METERSEC_DATE, nor from another
// command's variable or the config file; a shared setting is read from all.
func TestCommandSettingsAreTheirOwn(t *testing.T) {
	var got map[string]string
	cmd := func(name string) *Command {
		var date, site string
		return &Command{Name: name, NoDB: true,
			Flags: func(fs *flag.FlagSet) {
				fs.StringVar(&date, "date", "", "the day")
				fs.StringVar(&site, "site", "", "a site setting")
			},
			Run: func(ctx context.Context, env *Env, args []string) error {
				got = map[string]string{"date": date, "site": site}
				return nil
			}}
	}
	root := &Command{Name: "m", Shared: []string{"site"}, Subs: []*Command{cmd("a"), {Name: "g", Subs: []*Command{cmd("b")}}}}
	run := func(vars map[string]string, args ...string) (int, string) {
		var errb bytes.Buffer
		code := Main(context.Background(), root, args, &Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
		return code, errb.String()
	}
	vars := map[string]string{"METERSEC_DATE": "leaked", "METERSEC_G_B_DATE": "b's", "METERSEC_SITE": "site"}
	if code, _ := run(vars, "a"); code != 0 || got["date"] != "" || got["site"] != "site" {
		t.Errorf("a: %d %v", code, got)
	}
	if code, _ := run(vars, "g", "b"); code != 0 || got["date"] != "b's" || got["site"] != "site" {
		t.Errorf("g b: %d %v", code, got)
	}
	conf := filepath.Join(t.TempDir(), "c.conf")
	os.WriteFile(conf, []byte("site = from file\n"), 0o600)
	if code, _ := run(nil, "a", "--config", conf); code != 0 || got["site"] != "from file" {
		t.Errorf("config site: %d %v", code, got)
	}
	os.WriteFile(conf, []byte("date = 2026-01-01\n"), 0o600)
	if code, errOut := run(nil, "a", "--config", conf); code != 2 || !strings.Contains(errOut, `unknown setting "date"`) {
		t.Errorf("config date: %d %q", code, errOut)
	}
}

func TestWrap(t *testing.T) {
	long := strings.Repeat("word ", 50)
	for _, line := range strings.Split(strings.TrimSuffix(wrapLine("    "+long, 40), "\n"), "\n") {
		if utf8.RuneCountInString(line) > 40 || !strings.HasPrefix(line, "    word") {
			t.Errorf("wrapped line %q", line)
		}
	}
	// A line that fits is left exactly as it was (tables, examples).
	if got := wrapLine("  a    b", 40); got != "  a    b\n" {
		t.Errorf("short line changed: %q", got)
	}
	var b bytes.Buffer
	writeTable(&b, [][2]string{{"--x", strings.Repeat("y ", 80)}, {strings.Repeat("n", 40), "after"}})
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if utf8.RuneCountInString(line) > HelpWidth {
			t.Errorf("table line of %d columns: %q", utf8.RuneCountInString(line), line)
		}
	}
}
