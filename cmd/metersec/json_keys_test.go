package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
)

// jsonCase runs one command with --format json. Its arguments may name
// {dir} (a temporary directory), {device}, {mapped} (a Device a MAP owns), {vuln}, {arr}, {report}, {token},
// {manufacturer}, {assessment}, {meeting}, {triaged} (a Device with a triage
// record) and {facility}, {operator} (a facility and a user allowed on its
// tools, for the intake file {dir}/intake.csv) from the seeded world; {db}
// is the demo database and {fresh} a database the case builds itself.
type jsonCase struct {
	path  string // the command, as in commandPaths
	args  []string
	stdin string
	empty bool // the answer is an empty list: exactly []
}

// jsonCases runs in order: later cases use what earlier ones made. Every
// command that takes --format has at least one.
var jsonCases = []jsonCase{
	{path: "version"},
	{path: "migrate", args: []string{"--db", "{db}"}},
	{path: "migrate", args: []string{"--db", "{fresh}"}},
	{path: "generate", args: []string{"--devices", "61", "--out", "{dir}/w", "--seed", "4"}},
	{path: "import parties", args: []string{"{dir}/w/parties.csv", "--db", "{fresh}"}},
	{path: "import catalogue", args: []string{"{dir}/w/catalogue.csv", "--db", "{fresh}"}},
	{path: "import devices", args: []string{"{dir}/w/devices.csv", "--db", "{fresh}"}},
	{path: "import churn", args: []string{"{dir}/w/churn.csv", "--db", "{fresh}"}},
	{path: "estate transfer", args: []string{"--db", "{fresh}", "--from", "{solr}", "--to", "{failed}", "--date", "2026-06-01"}},
	{path: "bench estate", args: []string{"--db", "{fresh}", "--runs", "1", "--lookups", "3"}},
	{path: "estate show", args: []string{"{device}", "--db", "{db}"}},
	{path: "estate map", args: []string{"{mapped}", "--db", "{db}", "--none"}},
	{path: "estate portfolio", args: []string{"--db", "{db}"}},
	{path: "estate verify", args: []string{"--db", "{db}"}},
	{path: "obligations", args: []string{"{device}", "--db", "{db}"}},
	{path: "coverage", args: []string{"--db", "{db}"}},
	{path: "vuln list", args: []string{"--db", "{db}"}},
	{path: "vuln list", args: []string{"--db", "{db}", "--q", "no such vulnerability"}, empty: true},
	{path: "vuln show", args: []string{"{vuln}", "--db", "{db}"}},
	{path: "vuln tick", args: []string{"--db", "{db}"}},
	{path: "vuln import-csaf", args: []string{"{dir}/csaf.json", "--dry-run", "--db", "{db}"}},
	{path: "catalogue list", args: []string{"--db", "{db}"}},
	{path: "catalogue list", args: []string{"--db", "{db}", "--q", "no such model"}, empty: true},
	{path: "catalogue cert-report", args: []string{"--db", "{db}"}},
	{path: "arrangement list", args: []string{"--db", "{db}"}},
	{path: "arrangement show", args: []string{"{arr}", "--db", "{db}"}},
	{path: "arrangement import", args: []string{"{dir}/arr.csv", "--db", "{db}"}},
	{path: "arrangement confirm", args: []string{"TST-1", "--db", "{db}"}},
	{path: "arrangement evidence", args: []string{"{arr}", "{dir}/evidence.txt", "--db", "{db}"}},
	{path: "arrangement end", args: []string{"TST-1", "--date", "2030-01-01", "--db", "{db}"}},
	{path: "arrangement alerts", args: []string{"--db", "{db}"}},
	{path: "arrangement snapshot", args: []string{"--db", "{db}"}},
	{path: "arrangement impracticable list", args: []string{"--db", "{db}"}},
	{path: "arrangement impracticable list", args: []string{"--db", "{db}", "--supplier", "NOSUCH"}, empty: true},
	{path: "arrangement impracticable show", args: []string{"IMP-0001", "--db", "{db}"}},
	{path: "arrangement impracticable record", args: []string{"--db", "{db}", "--supplier", "LRKL", "--manufacturer", "{manufacturer}", "--reason", "No reply to three letters."}},
	{path: "arrangement impracticable evidence", args: []string{"IMP-0004", "{dir}/evidence.txt", "--db", "{db}"}},
	{path: "arrangement impracticable decide", args: []string{"IMP-0004", "--decision", "reject", "--note", "Write again.", "--as", "chair@ssc.example.org", "--db", "{db}"}},
	{path: "arrangement impracticable withdraw", args: []string{"IMP-0002", "--as", "security@aldm.example", "--db", "{db}"}},
	{path: "bench import", args: []string{"--devices", "61", "--dir", "{dir}/bi", "--raw=false"}},
	{path: "bench coverage", args: []string{"--db", "{dir}/bench.db", "--devices", "3000", "--runs", "1", "--naive=false"}},
	{path: "report monthly", args: []string{"--month", "2026-10", "--db", "{db}"}},
	{path: "report standing", args: []string{"--month", "2026-10", "--db", "{db}"}},
	{path: "report list", args: []string{"--db", "{db}"}},
	{path: "report list", args: []string{"--db", "{db}", "--month", "2001-01"}, empty: true},
	{path: "report schedule", args: []string{"--year", "2026"}},
	{path: "user add", stdin: "a long enough password\n", args: []string{"--db", "{db}", "--email", "kit@{mfr}.example", "--name", "Kit",
		"--org", "{manufacturer}", "--roles", "manufacturer", "--password-stdin"}},
	{path: "user list", args: []string{"--db", "{db}"}},
	{path: "user identities", args: []string{"--db", "{db}"}, empty: true},
	{path: "user link-oidc", args: []string{"kit@{mfr}.example", "--db", "{db}", "--issuer", "https://login.example", "--subject", "kit-1"}},
	{path: "user identities", args: []string{"--db", "{db}"}},
	{path: "user unlink-oidc", args: []string{"kit@{mfr}.example", "--db", "{db}", "--issuer", "https://login.example", "--subject", "kit-1"}},
	{path: "token list", args: []string{"--db", "{db}"}, empty: true},
	{path: "token create", stdin: "a long enough password\n", args: []string{"--db", "{db}", "--user", "kit@{mfr}.example", "--password-stdin", "--name", "feed"}},
	{path: "token list", args: []string{"--db", "{db}"}},
	{path: "token revoke", args: []string{"{token}", "--db", "{db}"}},
	{path: "user disable", args: []string{"kit@{mfr}.example", "--db", "{db}"}},
	{path: "user enable", args: []string{"kit@{mfr}.example", "--db", "{db}"}},
	{path: "user roles", args: []string{"kit@{mfr}.example", "--db", "{db}", "--roles", "manufacturer", "--red-cleared"}},
	{path: "user sessions", args: []string{"kit@{mfr}.example", "--db", "{db}"}, empty: true},
	{path: "user signout", args: []string{"kit@{mfr}.example", "--db", "{db}"}},
	{path: "user reset", args: []string{"kit@{mfr}.example", "--db", "{db}"}},
	{path: "audit verify", args: []string{"--db", "{db}"}},
	{path: "audit keygen", args: []string{"--out", "{dir}/audit.key"}},
	{path: "audit checkpoint", args: []string{"--audit-key-file", "{dir}/audit.key", "--out", "{dir}/checkpoint.json", "--db", "{db}"}},
	{path: "audit verify", args: []string{"--audit-key-file", "{dir}/audit.key", "--checkpoint", "{dir}/checkpoint.json", "--db", "{db}"}},
	{path: "backup", args: []string{"--out", "{dir}/copy.db", "--db", "{db}"}},
	{path: "restore", args: []string{"--from", "{dir}/copy.db", "--db", "{dir}/restored.db"}},
	{path: "totp", args: []string{"JBSWY3DPEHPK3PXP"}},
	{path: "secrets keygen", args: []string{"--out", "{dir}/k1"}},
	{path: "secrets rotate", args: []string{"--new-key-file", "{dir}/k1", "--db", "{db}"}},
	{path: "sec releases", args: []string{"--db", "{db}"}},
	{path: "sec import-releases", args: []string{"{dir}/releases.csv", "--reason", "the same table, loaded again", "--db", "{db}"}},
	{path: "sec modification", args: []string{"DP087", "raise", "--db", "{db}"}},
	{path: "assessment list", args: []string{"--db", "{db}"}},
	{path: "assessment list", args: []string{"--db", "{db}", "--party", "NO-SUCH-PARTY"}},
	{path: "assessment show", args: []string{"{assessment}", "--db", "{db}"}},
	{path: "assessment plan", args: []string{"--year", "2026", "--db", "{db}"}},
	{path: "risk list", args: []string{"--db", "{db}"}},
	{path: "meeting list", args: []string{"--db", "{db}"}},
	{path: "meeting show", args: []string{"{meeting}", "--db", "{db}"}},
	{path: "meeting headlines", args: []string{"{meeting}", "--db", "{db}"}},
	{path: "triage list", args: []string{"--db", "{db}"}},
	{path: "triage show", args: []string{"{triaged}", "--db", "{db}"}},
	{path: "triage report", args: []string{"--db", "{db}"}},
	{path: "triage verify", args: []string{"--db", "{db}"}},
	{path: "triage import", args: []string{"{dir}/intake.csv", "--facility", "{facility}", "--operator", "{operator}", "--db", "{db}"}},
	{path: "triage verify", args: []string{"{facility}", "--db", "{db}"}},
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// dataKeyed are the fields whose object's keys are data (codes), not names.
var dataKeyed = map[string]bool{"by_type": true}

// TestJSONOutputOfEveryCommand runs every command that takes --format with
// --format json on a small seeded world: the output is one JSON document,
// every key snake_case, and an empty list exactly [].
func TestJSONOutputOfEveryCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	if code, _, errOut := run(t, "", nil, "demo", "--db", db, "--seed-only", "--devices", "1000"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	vars := map[string]string{"{dir}": dir, "{db}": db, "{fresh}": filepath.Join(dir, "fresh.db")}
	first := func(args []string, field string) string {
		code, out, errOut := run(t, "", nil, append(args, "--db", db, "--format", "json")...)
		var list []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) == 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
		return toString(list[0][field])
	}
	vars["{vuln}"] = first([]string{"vuln", "list"}, "ref")
	vars["{arr}"] = first([]string{"arrangement", "list"}, "reference")
	mfr := first([]string{"catalogue", "list"}, "manufacturer")
	vars["{manufacturer}"], vars["{mfr}"] = mfr, strings.ToLower(mfr)
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var id int64
	if err := raw.QueryRow("SELECT id FROM devices ORDER BY id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	vars["{device}"] = estate.DeviceID(id).String()
	// A Device a MAP owns, installed before today: "estate map --none"
	// closes that ownership today.
	if err := raw.QueryRow("SELECT id FROM devices WHERE map_id IS NOT NULL AND map_since IS NULL AND supply_start < date('now', '-1 day') ORDER BY id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	vars["{mapped}"] = estate.DeviceID(id).String()
	var assessment, meeting, triaged, facility, untriaged int64
	var tool, iface, operator string
	for _, q := range []struct {
		sql  string
		into []any
	}{
		{"SELECT id FROM assessments ORDER BY id LIMIT 1", []any{&assessment}},
		{"SELECT number FROM meetings ORDER BY number LIMIT 1", []any{&meeting}},
		{"SELECT device_id FROM triage_entries ORDER BY facility_id, seq LIMIT 1", []any{&triaged}},
		// A facility's tool and interface, and a user allowed on both.
		{`SELECT t.facility_id, t.serial, i.serial, u.email FROM triage_tools t
		    JOIN triage_tools i ON i.facility_id = t.facility_id AND i.category = 'interface'
		    JOIN triage_tool_operators ot ON ot.tool_id = t.id
		    JOIN triage_tool_operators oi ON oi.tool_id = i.id AND oi.user_id = ot.user_id
		    JOIN users u ON u.id = ot.user_id
		   WHERE t.category = 'tool' ORDER BY t.id, i.id LIMIT 1`, []any{&facility, &tool, &iface, &operator}},
		{"SELECT id FROM devices WHERE id NOT IN (SELECT device_id FROM triage_devices) ORDER BY id DESC LIMIT 1", []any{&untriaged}},
	} {
		if err := raw.QueryRow(q.sql).Scan(q.into...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	vars["{assessment}"], vars["{meeting}"] = toString(assessment), toString(meeting)
	vars["{triaged}"], vars["{facility}"], vars["{operator}"] = estate.DeviceID(triaged).String(), toString(facility), operator
	os.WriteFile(filepath.Join(dir, "intake.csv"), []byte("device_id,received_from,tool,interface\n"+
		estate.DeviceID(untriaged).String()+",depot,"+tool+","+iface+"\n"), 0o600)
	// The release table as it stands, to load again.
	code, out, errOut := run(t, "", nil, "sec", "releases", "--db", db, "--format", "json")
	var table struct {
		Releases []struct {
			Version, Effective, Source, Note string
			Public                           bool
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &table) != nil || len(table.Releases) == 0 {
		t.Fatalf("sec releases: %d %s %s", code, out, errOut)
	}
	var releases bytes.Buffer
	cw := csv.NewWriter(&releases)
	cw.Write([]string{"version", "effective", "public", "source", "note"})
	for _, r := range table.Releases {
		cw.Write([]string{r.Version, r.Effective, strconv.FormatBool(r.Public), r.Source, r.Note})
	}
	cw.Flush()
	os.WriteFile(filepath.Join(dir, "releases.csv"), releases.Bytes(), 0o600)
	if code, _, errOut := run(t, "", nil, "vuln", "export-csaf", vars["{vuln}"], "--db", db, "-o", filepath.Join(dir, "csaf.json")); code != 0 {
		t.Fatalf("export-csaf: %s", errOut)
	}
	os.WriteFile(filepath.Join(dir, "evidence.txt"), []byte("signed letter\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "arr.csv"), []byte("reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification\n"+
		"TST-1,ssc_scheme,,,"+mfr+",*,Material when it could change supply.,2026-01-01,2026-01-01,,,false,GREEN\n"), 0o600)

	t.Setenv(asBinary, "1") // bench import runs this binary as metersec
	covered := map[string]bool{}
	for _, c := range jsonCases {
		covered[c.path] = true
		if c.path == "arrangement confirm" {
			// A manufacturer's own enrolment awaits the SSC; one loaded
			// by the operator is in force at once, so put it back.
			if _, err := raw.Exec("UPDATE arrangements SET status = 'pending' WHERE reference = 'TST-1'"); err != nil {
				t.Fatal(err)
			}
		}
		args := strings.Fields(c.path)
		for _, a := range c.args {
			for k, v := range vars {
				a = strings.ReplaceAll(a, k, v)
			}
			args = append(args, a)
		}
		args = append(args, "--format", "json")
		code, out, errOut := run(t, c.stdin, nil, args...)
		if code != 0 {
			t.Errorf("metersec %s: exit %d: %s", strings.Join(args, " "), code, errOut)
			continue
		}
		if c.empty && out != "[]\n" {
			t.Errorf("metersec %s: an empty list prints %q, want []", strings.Join(args, " "), out)
		}
		var doc any
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&doc); err != nil || dec.More() {
			t.Errorf("metersec %s: not one JSON document (%v): %q", strings.Join(args, " "), err, out)
			continue
		}
		var bad []string
		checkKeys(doc, "", &bad)
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("metersec %s: keys not in snake_case: %s", strings.Join(args, " "), strings.Join(bad, ", "))
		}
		switch c.path {
		case "generate":
			var sum struct {
				Devices int64
				Failure struct {
					Supplier string
					SoLR     string `json:"solr"`
				}
			}
			json.Unmarshal([]byte(out), &sum)
			vars["{solr}"], vars["{failed}"] = sum.Failure.SoLR, sum.Failure.Supplier
			b, _ := os.ReadFile(filepath.Join(dir, "w", "devices.csv"))
			if rows := strings.Count(string(b), "\n") - 1; sum.Devices != 61 || rows != 61 {
				t.Errorf("generate --devices 61 wrote %d rows, summary %d", rows, sum.Devices)
			}
		case "token create":
			var res struct{ Detail struct{ ID int64 } }
			json.Unmarshal([]byte(out), &res)
			vars["{token}"] = toString(res.Detail.ID)
		}
	}
	for path, c := range commandPaths() {
		if flagsOf(c).Lookup("format") != nil && !covered[path] {
			t.Errorf("metersec %s takes --format but has no case in jsonCases", path)
		}
	}
}

func checkKeys(v any, at string, bad *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if !snakeKey.MatchString(k) && !dataKeyed[lastKey(at)] {
				*bad = append(*bad, at+"."+k)
			}
			checkKeys(e, at+"."+k, bad)
		}
	case []any:
		for _, e := range v {
			checkKeys(e, at+"[]", bad)
		}
	}
}

func lastKey(at string) string {
	at = strings.TrimRight(at, "[]")
	return at[strings.LastIndex(at, ".")+1:]
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
