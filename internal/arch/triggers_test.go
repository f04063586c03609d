package arch

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// triggerCouplings are the triggers that write one package's table when
// another package's table changes: SQL the Go import graph and the
// ownership test above cannot see. Each is a deliberate choice, named here
// with its reason; a new one fails TestTriggerWritesAreDeclared until it is
// added, and an entry no trigger needs any more fails too.
var triggerCouplings = map[string]string{
	// Migration 1300: national coverage is cached, keyed by coverage_version
	// (internal/coverage). Every write to what coverage is computed from
	// bumps it in the writer's own transaction, so no write path can forget
	// to and several servers on one database agree.
	"arrangement_models → coverage_version":     "coverage cache key (1300)",
	"arrangements → coverage_version":           "coverage cache key (1300)",
	"audience_orgs → coverage_version":          "coverage cache key (1300)",
	"audience_users → coverage_version":         "coverage cache key (1300)",
	"cpa_certificates → coverage_version":       "coverage cache key (1300)",
	"device_models → coverage_version":          "coverage cache key (1300)",
	"impracticabilities → coverage_version":     "coverage cache key (1300)",
	"organisation_roles → coverage_version":     "coverage cache key (1300)",
	"organisations → coverage_version":          "coverage cache key (1300)",
	"portfolio → coverage_version":              "coverage cache key (1300)",
	"portfolio_enrolled → coverage_version":     "coverage cache key (1300)",
	"portfolio_inherited → coverage_version":    "coverage cache key (1300)",
	"user_system_components → coverage_version": "coverage cache key (1300)",
	"user_systems → coverage_version":           "coverage cache key (1300)",
}

// trigger is one CREATE TRIGGER of one engine: the table it fires on and the
// tables its body (or, on PostgreSQL, its function's body) writes.
type trigger struct {
	name, on, file string
	writes         []string
}

var (
	createFunction = regexp.MustCompile(`(?is)CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(.*?\$\$(.*?)\$\$`)
	createTrigger  = regexp.MustCompile(`(?ism)CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+.*?\bON\s+(\w+)(.*?)(?:EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+(\w+)\s*\(\s*\)\s*;|\bEND\s*;\s*$)`)
)

// engineSQL is a migration as one engine runs it: its "--sqlite:" or
// "--postgres:" lines unprefixed, the other engine's and comments dropped.
func engineSQL(src, engine string) string {
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "--"+engine+":"):
			b.WriteString(strings.TrimPrefix(t, "--"+engine+":"))
		case strings.HasPrefix(t, "--"):
			continue
		default:
			b.WriteString(line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// tableWrites are the tables SQL text writes, as the Go scanner counts them.
func tableWrites(sql string) []string {
	var out []string
	for _, m := range writeStatements.FindAllStringSubmatch(sql, -1) {
		if before := strings.ToUpper(m[1]); before == "DO" || before == "FOR" {
			continue
		}
		if t := strings.ToLower(m[2]); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// triggers reads every trigger the migrations create on engine.
func triggers(t *testing.T, engine string) []trigger {
	t.Helper()
	dir := filepath.Join(root, "internal/store/migrations")
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	functions := map[string]string{}
	var out []trigger
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sql := engineSQL(string(src), engine)
		for _, m := range createFunction.FindAllStringSubmatch(sql, -1) {
			functions[strings.ToLower(m[1])] = m[2]
		}
		for _, m := range createTrigger.FindAllStringSubmatch(sql, -1) {
			body := m[3]
			if fn := strings.ToLower(m[4]); fn != "" {
				b, ok := functions[fn]
				if !ok {
					t.Errorf("%s: trigger %s runs %s(), which no earlier migration creates", filepath.Base(f), m[1], fn)
				}
				body = b
			}
			out = append(out, trigger{name: m[1], on: strings.ToLower(m[2]), file: filepath.Base(f), writes: tableWrites(body)})
		}
	}
	return out
}

// TestTriggerWritesAreDeclared fails when a trigger writes a table owned by
// another package than the table it fires on, unless triggerCouplings names
// it, and when the two engines' triggers couple different tables (a
// trigger kept on one engine only would make their answers differ).
func TestTriggerWritesAreDeclared(t *testing.T) {
	couplings := map[string][]string{} // "on → written" → engines
	var n int
	for _, engine := range []string{"sqlite", "postgres"} {
		trs := triggers(t, engine)
		if len(trs) < 20 {
			t.Fatalf("read only %d %s triggers from the migrations: is the scanner still matching?", len(trs), engine)
		}
		for _, tr := range trs {
			n++
			for _, w := range tr.writes {
				from, to := owners[tr.on], owners[w]
				if from == "" || to == "" {
					t.Errorf("%s: %s trigger %s writes %s on a change to %s, and one of them has no owner", tr.file, engine, tr.name, w, tr.on)
					continue
				}
				if from == to {
					continue
				}
				key := tr.on + " → " + w
				if !slices.Contains(couplings[key], engine) {
					couplings[key] = append(couplings[key], engine)
				}
			}
		}
	}
	var found []string
	for key, engines := range couplings {
		if _, ok := triggerCouplings[key]; !ok {
			found = append(found, "a trigger writes across packages ("+key+") on "+strings.Join(engines, " and ")+
				": add it to triggerCouplings in internal/arch/triggers_test.go with its reason, or call the owner's functions instead")
		}
		if len(engines) != 2 {
			found = append(found, "the coupling "+key+" is made by a trigger on "+engines[0]+" only: both engines must keep the same tables in step")
		}
	}
	for key := range triggerCouplings {
		if _, ok := couplings[key]; !ok {
			found = append(found, "triggerCouplings lists "+key+", which no trigger makes any more: remove it")
		}
	}
	sort.Strings(found)
	for _, s := range found {
		t.Error(s)
	}
}

// TestTriggerScanner pins what the trigger reader finds, on both engines'
// spellings, so the rule above cannot pass by reading nothing.
func TestTriggerScanner(t *testing.T) {
	src := `CREATE TABLE a (id INTEGER);
--sqlite:CREATE TRIGGER a_bump AFTER UPDATE ON a WHEN OLD.id IS NOT NEW.id BEGIN UPDATE b SET n = n + 1; INSERT INTO c (x) VALUES (1) ON CONFLICT (x) DO UPDATE SET x = 2; END;
--sqlite:CREATE TRIGGER a_once BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no'); END;
--postgres:CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
--postgres:BEGIN
--postgres:    UPDATE b SET n = n + 1;
--postgres:    RETURN NULL;
--postgres:END;
--postgres:$$;
--postgres:CREATE TRIGGER a_bump AFTER INSERT OR UPDATE ON a FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION bump();
-- CREATE TRIGGER commented AFTER INSERT ON z BEGIN DELETE FROM y; END;
`
	type got struct {
		name, on string
		writes   []string
	}
	read := func(engine string) []got {
		sql := engineSQL(src, engine)
		functions := map[string]string{}
		for _, m := range createFunction.FindAllStringSubmatch(sql, -1) {
			functions[m[1]] = m[2]
		}
		var out []got
		for _, m := range createTrigger.FindAllStringSubmatch(sql, -1) {
			body := m[3]
			if m[4] != "" {
				body = functions[m[4]]
			}
			out = append(out, got{m[1], m[2], tableWrites(body)})
		}
		return out
	}
	sqlite := read("sqlite")
	if len(sqlite) != 2 || sqlite[0].on != "a" || !slices.Equal(sqlite[0].writes, []string{"b", "c"}) || len(sqlite[1].writes) != 0 {
		t.Errorf("sqlite triggers = %+v, want a_bump writing b and c, and a_once writing nothing", sqlite)
	}
	pg := read("postgres")
	if len(pg) != 1 || pg[0].on != "a" || !slices.Equal(pg[0].writes, []string{"b"}) {
		t.Errorf("postgres triggers = %+v, want a_bump writing b through bump()", pg)
	}
}
