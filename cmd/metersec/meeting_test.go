package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// TestMeetingHeadlinesCommand: the CLI prints the headlines in every format
// with RED and AMBER content withheld (the marker test's CLI half).
func TestMeetingHeadlinesCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\n"+
		"ZQXCODEQ,ZQXNAMEQ Energy,small_supplier,Sam,sam@x.example,\n"), 0o600)
	for _, args := range [][]string{{"migrate", "--db", db}, {"import", "parties", parties, "--db", db}} {
		if code, out, errOut := run(t, "", nil, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc, sys := meeting.NewService(st), access.SystemCaller("test")
	if _, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: 67, HeldOn: "2018-11-28", Place: "London", Starts: "10:00", Ends: "16:00"}); err != nil {
		t.Fatal(err)
	}
	for _, class := range []string{"RED", "AMBER"} {
		it, err := svc.AddItem(ctx, sys, 67, meeting.NewItem{Type: "fusa", Classification: class, Title: "ZQXTITLEQ", Text: "ZQXTEXTQ", Discussion: "ZQXDISCQ", Party: "ZQXCODEQ"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddDecision(ctx, sys, it.ID, meeting.NewDecision{Verb: "AGREED", Text: "ZQXDECQ"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddAction(ctx, sys, it.ID, meeting.NewAction{Text: "ZQXACTQ", Owner: "ZQXOWNQ"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddPaper(ctx, sys, it.ID, "ZQXPAPERQ.txt", strings.NewReader("x\n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.AddItem(ctx, sys, 67, meeting.NewItem{Type: "self_assessment", Classification: "GREEN", Title: "Security Controls Framework", Text: "Revised questions PUBLICTEXT."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, sys, 67, sec.MeetingEventHold); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, f := range []string{"text", "json", "html", "pdf"} {
		code, out, errOut := run(t, "", nil, "meeting", "headlines", "67", "--db", db, "--format", f)
		if code != 0 || !strings.Contains(out, "PUBLICTEXT") {
			t.Fatalf("headlines as %s: %d %q", f, code, errOut)
		}
		if strings.Contains(out, "ZQX") {
			i := strings.Index(out, "ZQX")
			t.Errorf("LEAK: headlines as %s show %q", f, out[i:min(len(out), i+12)])
		}
	}
	if _, out, _ := run(t, "", nil, "meeting", "headlines", "67", "--db", db); !strings.Contains(out, "Full User Security Assessment - Small Supplier 'A' (RED)") ||
		!strings.Contains(out, "The SSC AGREED.") || !strings.Contains(out, "DRAFT") {
		t.Errorf("text headlines: %s", out)
	}
	if code, out, _ := run(t, "", nil, "meeting", "show", "67", "--db", db); code != 0 || !strings.Contains(out, "ZQXTITLEQ") {
		t.Errorf("the operator's show: %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"meeting", "headlines", "67", "--db", db, "--format", "docx"}, 2, "--format must be one of text, json, html, pdf"},
		{[]string{"meeting", "headlines", "68", "--db", db}, 1, "meeting 68 not found"},
		{[]string{"meeting", "headlines", "x", "--db", db}, 1, "positive whole number"},
		{[]string{"meeting", "list", "--db", db, "--format", "pdf"}, 2, "--format must be text or json"},
		{[]string{"sec", "import-releases", filepath.Join(dir, "none.csv"), "--db", db, "--reason", "x"}, 1, "none.csv"},
	} {
		code, _, errOut := run(t, "", nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}
	// The release table: shipped, then imported with a reason.
	if code, out, _ := run(t, "", nil, "sec", "releases", "--db", db); code != 0 || !strings.Contains(out, "shipped") || !strings.Contains(out, "MP203") {
		t.Errorf("sec releases: %d %q", code, out)
	}
	rel := filepath.Join(dir, "releases.csv")
	os.WriteFile(rel, []byte("version,effective,public,source,note\n5.20,2019-11-07,no,assumed,\n6.6,2022-11-03,yes,seeds/002,\n"), 0o600)
	if code, _, errOut := run(t, "", nil, "sec", "import-releases", rel, "--db", db); code != 1 || !strings.Contains(errOut, "reason") {
		t.Errorf("import without a reason: %d %q", code, errOut)
	}
	if code, out, errOut := run(t, "", nil, "sec", "import-releases", rel, "--db", db, "--reason", "confirmed with SECAS"); code != 0 || !strings.Contains(out, "Imported 2 releases") {
		t.Errorf("import: %d %q %q", code, out, errOut)
	}
}
