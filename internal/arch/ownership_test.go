package arch

import (
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// owners names, for every table of the schema, the one package that writes
// it. Other packages read and change it only through that package's
// functions: SQL text that reaches into another area's table is coupling the
// import graph cannot show. A new table goes here in the commit that creates it.
var owners = map[string]string{
	"schema_migrations": "internal/store",

	"api_tokens":      "internal/account",
	"mfa_pending":     "internal/account",
	"sessions":        "internal/account",
	"signin_failures": "internal/account",
	"user_roles":      "internal/account",
	"users":           "internal/account",

	"arrangement_alerts":   "internal/arrangement",
	"arrangement_evidence": "internal/arrangement",
	"arrangement_models":   "internal/arrangement",
	"arrangements":         "internal/arrangement",

	"assessment_events":       "internal/assurance",
	"assessment_evidence":     "internal/assurance",
	"assessment_findings":     "internal/assurance",
	"assessment_overrides":    "internal/assurance",
	"assessment_profiles":     "internal/assurance",
	"assessments":             "internal/assurance",
	"directors_letters":       "internal/assurance",
	"questionnaire_answers":   "internal/assurance",
	"questionnaire_questions": "internal/assurance",
	"questionnaire_responses": "internal/assurance",
	"questionnaire_templates": "internal/assurance",
	"remediation_actions":     "internal/assurance",
	"remediation_plans":       "internal/assurance",
	"remediation_updates":     "internal/assurance",

	"audience_orgs":  "internal/audience",
	"audience_users": "internal/audience",

	"audit_checkpoints": "internal/audit",
	"audit_head":        "internal/audit",
	"audit_log":         "internal/audit",

	"cpa_certificate_firmware": "internal/catalogue",
	"cpa_certificates":         "internal/catalogue",
	"device_models":            "internal/catalogue",
	"firmware_versions":        "internal/catalogue",

	"coverage_snapshots": "internal/coverage",
	"coverage_version":   "internal/coverage",

	"delivery_jobs":     "internal/delivery",
	"notice_reads":      "internal/delivery",
	"notices":           "internal/delivery",
	"webhook_endpoints": "internal/delivery",

	"churn_monthly":             "internal/estate",
	"devices":                   "internal/estate",
	"estate_claims":             "internal/estate",
	"firmware_history":          "internal/estate",
	"coverage_quiet":            "internal/estate",
	"portfolio":                 "internal/estate",
	"portfolio_clustered":       "internal/estate",
	"portfolio_enrolled":        "internal/estate",
	"portfolio_inherited":       "internal/estate",
	"portfolio_model_totals":    "internal/estate",
	"supply_periods":            "internal/estate",
	"map_periods":               "internal/estate",
	"oidc_identities":           "internal/account",
	"report_disclosures":        "internal/report",
	"impracticabilities":        "internal/impracticable",
	"impracticability_evidence": "internal/impracticable",
	"user_systems":              "internal/usersystem",
	"user_system_components":    "internal/usersystem",
	"user_system_notifications": "internal/usersystem",
	"password_resets":           "internal/account",

	"meeting_actions":    "internal/meeting",
	"meeting_attendance": "internal/meeting",
	"meeting_decisions":  "internal/meeting",
	"meeting_item_links": "internal/meeting",
	"meeting_items":      "internal/meeting",
	"meeting_minutes":    "internal/meeting",
	"meeting_papers":     "internal/meeting",
	"meeting_pseudonyms": "internal/meeting",
	"meetings":           "internal/meeting",
	"standing_items":     "internal/meeting",

	"organisation_roles": "internal/party",
	"organisations":      "internal/party",
	"security_contacts":  "internal/party",

	"sec_modifications":   "internal/release",
	"sec_release_history": "internal/release",
	"sec_releases":        "internal/release",

	"portfolio_snapshot_months": "internal/report",
	"portfolio_snapshots":       "internal/report",
	"report_deliveries":         "internal/report",
	"report_files":              "internal/report",
	"report_runs":               "internal/report",
	"reports":                   "internal/report",

	"risk_bands":       "internal/risk",
	"risk_history":     "internal/risk",
	"risk_likelihoods": "internal/risk",
	"ssc_risks":        "internal/risk",

	"schedule_runs": "internal/schedule",

	"triage_devices":        "internal/triage",
	"triage_entries":        "internal/triage",
	"triage_facilities":     "internal/triage",
	"triage_seals":          "internal/triage",
	"triage_tool_operators": "internal/triage",
	"triage_tools":          "internal/triage",

	"vuln_events":         "internal/vuln",
	"vuln_firmware":       "internal/vuln",
	"vuln_plan_revisions": "internal/vuln",
	"vuln_plans":          "internal/vuln",
	"vuln_ranges":         "internal/vuln",
	"vuln_recipients":     "internal/vuln",
	"vuln_refs":           "internal/vuln",
	"vulnerabilities":     "internal/vuln",
}

// worldBuilders may write any table: they build whole test and benchmark
// worlds at a size no service call path reaches in reasonable time, and are
// never part of a running server. Test files (_test.go) are exempt for the
// same reason. Everything else goes through the owner.
var worldBuilders = map[string]string{
	"internal/bench":              "benchmark worlds (metersec bench)",
	"internal/estate/estatebench": "the estate's benchmark world",
	"internal/vuln/vulntest":      "test fixtures shared by vuln's and web's tests",
	// Moving to internal/bench (issue 16 step 4, branch loadspeed); then
	// this line goes.
	"internal/coverage/bench.go": "coverage's benchmark world",
}

func exemptWriter(f goFile) bool {
	if f.Test {
		return true
	}
	if _, ok := worldBuilders[f.Path]; ok {
		return true
	}
	for p := range worldBuilders {
		if f.Pkg == p || strings.HasPrefix(f.Pkg, p+"/") {
			return true
		}
	}
	return false
}

// schemaTables reads the table names the migrations create.
func schemaTables(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(root, "internal/store/migrations")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	create := regexp.MustCompile(`(?i)\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)`)
	tables := map[string]string{"schema_migrations": "internal/store/migrate.go"}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range create.FindAllStringSubmatch(string(src), -1) {
			tables[strings.ToLower(m[1])] = e.Name()
		}
	}
	if len(tables) < 50 {
		t.Fatalf("read only %d tables from %s", len(tables), dir)
	}
	return tables
}

// writeStatements finds the target of each write in SQL text: INSERT (and
// INSERT OR …, REPLACE, UPSERT) INTO t, UPDATE t, DELETE FROM t, COPY t.
// "DO UPDATE SET" and "FOR UPDATE" are not writes of a table of their own.
var writeStatements = regexp.MustCompile(`(?i)(\w*)\s*\b(?:(?:INSERT|REPLACE|UPSERT)(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+([a-z_][a-z0-9_]*)`)

// bulkCalls are store functions that write the table named in their
// argument at index bulkCalls[name].
var bulkCalls = map[string]int{"InsertRows": 1}

type write struct{ table, pkg, at string }

// writes lists every write of a schema table in the module's Go source.
func writes(t *testing.T, files []goFile, tables map[string]string) []write {
	var out []write
	for _, f := range files {
		ast.Inspect(f.File, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				for _, m := range writeStatements.FindAllStringSubmatch(s, -1) {
					before, table := strings.ToUpper(m[1]), strings.ToLower(m[2])
					if before == "DO" || before == "FOR" {
						continue
					}
					if _, ok := tables[table]; ok {
						out = append(out, write{table, f.Pkg, f.position(n)})
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				i, ok := bulkCalls[sel.Sel.Name]
				if !ok || i >= len(n.Args) {
					return true
				}
				if lit, ok := n.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					table, _ := strconv.Unquote(lit.Value)
					out = append(out, write{table, f.Pkg, f.position(n)})
				}
			}
			return true
		})
	}
	return out
}

// TestTablesHaveOneWriter fails when a package writes a table it does not
// own, or a table nobody owns.
func TestTablesHaveOneWriter(t *testing.T) {
	files := sources(t)
	tables := schemaTables(t)
	for table, from := range tables {
		if _, ok := owners[table]; !ok {
			t.Errorf("table %s (created in %s) has no owner: add it to owners in internal/arch/ownership_test.go", table, from)
		}
	}
	for table := range owners {
		if _, ok := tables[table]; !ok {
			t.Errorf("owners in internal/arch/ownership_test.go lists %s, which no migration creates", table)
		}
	}
	var found []string
	var checked int
	for _, f := range files {
		if exemptWriter(f) {
			continue
		}
		for _, w := range writes(t, []goFile{f}, tables) {
			checked++
			owner, ok := owners[w.table]
			switch {
			case !ok:
				found = append(found, "table "+w.table+" is written by "+w.pkg+" ("+w.at+") but no package owns it: add it to owners in internal/arch/ownership_test.go")
			case owner != w.pkg:
				found = append(found, "table "+w.table+" belongs to "+owner+" but "+w.pkg+" writes it ("+w.at+"): call "+owner+"'s functions instead")
			}
		}
	}
	sort.Strings(found)
	for _, s := range found {
		t.Error(s)
	}
	if checked < 100 {
		t.Fatalf("found only %d writes in the product's SQL: is the scanner still matching?", checked)
	}
}

// TestWriteScanner pins what counts as a write, so the rule above cannot
// pass by matching nothing.
func TestWriteScanner(t *testing.T) {
	tables := map[string]string{"devices": "", "portfolio": "", "audience_orgs": ""}
	cases := []struct {
		sql  string
		want []string
	}{
		{"INSERT INTO devices (id) VALUES ($1)", []string{"devices"}},
		{"INSERT OR IGNORE INTO audience_orgs (a) VALUES (1)", []string{"audience_orgs"}},
		{"insert into portfolio (n) values (1) ON CONFLICT (k) DO UPDATE SET n = portfolio.n + 1", []string{"portfolio"}},
		{"UPDATE devices SET x = 1", []string{"devices"}},
		{"DELETE FROM audience_orgs WHERE a = 1", []string{"audience_orgs"}},
		{"COPY devices (id) FROM STDIN", []string{"devices"}},
		{"SELECT id FROM devices WHERE id = $1 FOR UPDATE", nil},
		{"SELECT n FROM portfolio", nil},
		{"INSERT INTO unknown_thing (a) VALUES (1)", nil},
		{"update the devices", nil}, // prose: "the" is not a table
	}
	for _, c := range cases {
		f := goFile{Pkg: "internal/x", Path: "internal/x/x.go", Fset: token.NewFileSet(), File: &ast.File{
			Name: ast.NewIdent("x"),
			Decls: []ast.Decl{&ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{&ast.ValueSpec{
				Names: []*ast.Ident{ast.NewIdent("q")}, Values: []ast.Expr{&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(c.sql)}},
			}}}},
		}}
		var got []string
		for _, w := range writes(t, []goFile{f}, tables) {
			got = append(got, w.table)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: writes %v, want %v", c.sql, got, c.want)
		}
	}
}
