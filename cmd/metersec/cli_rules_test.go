package main

import (
	"flag"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/cli"
)

// These tests walk every command of the tree, so a command added later is held
// to the same rules (issue 15, point 10).

// commandPaths lists every runnable command as its path of names, with it.
func commandPaths() map[string]*cli.Command {
	out := map[string]*cli.Command{}
	var walk func(path []string, c *cli.Command)
	walk = func(path []string, c *cli.Command) {
		if c.Run != nil {
			out[strings.Join(path, " ")] = c
		}
		for _, s := range c.Subs {
			walk(append(append([]string{}, path...), s.Name), s)
		}
	}
	walk(nil, root())
	return out
}

func flagsOf(c *cli.Command) *flag.FlagSet {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	if c.Flags != nil {
		c.Flags(fs)
	}
	return fs
}

func TestHelpListsEachCommandOnceAndWrapsAt100(t *testing.T) {
	var walk func(path []string, c *cli.Command)
	walk = func(path []string, c *cli.Command) {
		code, out, _ := run(t, "", nil, append(append([]string{}, path...), "--help")...)
		if code != 0 {
			t.Errorf("metersec %s --help: exit %d", strings.Join(path, " "), code)
		}
		for i, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > cli.HelpWidth {
				t.Errorf("metersec %s --help, line %d is %d columns (at most %d): %q", strings.Join(path, " "), i+1, n, cli.HelpWidth, line)
			}
		}
		if len(c.Subs) > 0 {
			_, list, _ := strings.Cut(out, "Commands:\n")
			list, _, _ = strings.Cut(list, "\n\n")
			seen := map[string]int{}
			for _, line := range strings.Split(list, "\n") {
				if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
					seen[strings.Fields(line)[0]]++
				}
			}
			for _, s := range c.Subs {
				if seen[s.Name] != 1 {
					t.Errorf("metersec %s --help lists %q %d times, want once", strings.Join(path, " "), s.Name, seen[s.Name])
				}
			}
			if len(seen) != len(c.Subs) {
				t.Errorf("metersec %s --help lists %d commands, the tree has %d", strings.Join(path, " "), len(seen), len(c.Subs))
			}
		}
		for _, s := range c.Subs {
			walk(append(append([]string{}, path...), s.Name), s)
		}
	}
	walk(nil, root())
}

// noResults are the commands that print no results of their own, so take no
// --format: each says why.
var noResults = map[string]string{
	"serve":            "serves until stopped; its output is the JSON log",
	"demo":             "seeds and serves; with --seed-only it prints the sign-ins for people",
	"vuln export-csaf": "writes the CSAF document itself, which is JSON already",
	"report download":  "writes the report's file (PDF or CSV) itself",
	"catalogue export": "writes the CSV file itself",
}

func TestEveryCommandThatPrintsResultsTakesFormatJSON(t *testing.T) {
	for path, c := range commandPaths() {
		has := flagsOf(c).Lookup("format") != nil
		if _, exempt := noResults[path]; exempt == has {
			if has {
				t.Errorf("metersec %s takes --format but is listed in noResults", path)
			} else {
				t.Errorf("metersec %s prints results but takes no --format json (add cli.FormatFlag and print with env.Print)", path)
			}
		}
	}
}

// TestSettingsDoNotLeakBetweenCommands: a flag that several commands have is
// either a site setting with one meaning (shared, one usage text), or each
// command's own, read from a variable no other command reads.
func TestSettingsDoNotLeakBetweenCommands(t *testing.T) {
	shared := map[string]bool{}
	for _, n := range root().Shared {
		shared[n] = true
	}
	usage := map[string]map[string][]string{} // flag → usage → commands
	for path, c := range commandPaths() {
		flagsOf(c).VisitAll(func(f *flag.Flag) {
			if usage[f.Name] == nil {
				usage[f.Name] = map[string][]string{}
			}
			usage[f.Name][f.Usage] = append(usage[f.Name][f.Usage], path)
		})
	}
	for name, byUsage := range usage {
		if shared[name] && len(byUsage) > 1 {
			t.Errorf("--%s is a site setting (METERSEC_%s) but means different things: %v", name,
				strings.ToUpper(strings.ReplaceAll(name, "-", "_")), byUsage)
		}
	}
	for _, n := range []string{"date", "month", "out", "supplier", "format", "devices"} {
		if shared[n] {
			t.Errorf("--%s is an argument of one run, not a site setting", n)
		}
	}
	// METERSEC_DATE, exported for one script, reaches no command; each
	// command's own variable reaches that command only.
	dir := t.TempDir()
	db := dir + "/m.db"
	if code, _, errOut := run(t, "", nil, "migrate", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	code, _, errOut := run(t, "", map[string]string{"METERSEC_DATE": "not-a-date", "METERSEC_MONTH": "never"},
		"arrangement", "alerts", "--db", db)
	if code != 0 {
		t.Errorf("METERSEC_DATE reached `arrangement alerts`: %d %s", code, errOut)
	}
	code, _, errOut = run(t, "", map[string]string{"METERSEC_ARRANGEMENT_ALERTS_DATE": "not-a-date"}, "arrangement", "alerts", "--db", db)
	if code == 0 || !strings.Contains(errOut, "not-a-date") {
		t.Errorf("METERSEC_ARRANGEMENT_ALERTS_DATE did not reach `arrangement alerts`: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "", map[string]string{"METERSEC_ARRANGEMENT_ALERTS_DATE": "not-a-date"}, "coverage", "--db", db)
	if code != 0 {
		t.Errorf("METERSEC_ARRANGEMENT_ALERTS_DATE reached `coverage`: %d %s", code, errOut)
	}
}
