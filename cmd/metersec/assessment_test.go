package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAssessmentCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\n"+
		"SUPX,Supplier X,large_supplier,Sam,sam@supx.example,\nOTHX,Other X,other_user,Olu,olu@othx.example,\n"), 0o600)
	for _, args := range [][]string{{"migrate", "--db", db}, {"import", "parties", parties, "--db", db}} {
		if code, out, errOut := run(t, "", nil, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	code, out, errOut := run(t, "", nil, "assessment", "plan", "--db", db, "--year", "2027", "--format", "json")
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("plan JSON: %v %s", err, out)
	}
	for _, k := range []string{"party", "role", "type", "due_by", "reason"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("plan rows lack %q: %v", k, rows[0])
		}
	}
	if rows[0]["type"] != "FUSA" || rows[0]["due_by"] != "2027-12-31" {
		t.Errorf("a party never assessed is due its initial FUSA: %v", rows[0])
	}
	if code, out, _ := run(t, "", nil, "assessment", "plan", "--db", db, "--year", "2027"); code != 0 || !strings.Contains(out, "SUPX   large_supplier  FUSA  2027-12-31") {
		t.Errorf("plan text: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "assessment", "list", "--db", db); code != 0 || !strings.Contains(out, "0 assessments") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "risk", "list", "--db", db, "--format", "json"); code != 0 || !strings.Contains(out, `"total": 0`) || !strings.Contains(out, "Almost certain") {
		t.Errorf("risk list: %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"assessment", "show", "999", "--db", db}, 1, "not found"},
		{[]string{"assessment", "show", "x", "--db", db}, 2, "not an assessment id"},
		{[]string{"assessment", "list", "--db", db, "--type", "AUDIT"}, 2, "--type"},
		{[]string{"assessment", "plan", "--db", db, "--non-domestic-share", "2"}, 2, "non_domestic_share"},
		{[]string{"assessment", "plan", "--db", db, "--year", "99"}, 1, "year"},
	} {
		code, _, errOut := run(t, "", nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}
}
