package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The usersystem commands' JSON cases run after the others, on the demo
// database (whose User System 1 is ALDM's first, 5 the one added below, and notification 1 the
// SECMP0057 notice of its second).
func init() {
	jsonCases = append(jsonCases,
		jsonCase{path: "usersystem list", args: []string{"--db", "{db}"}},
		jsonCase{path: "usersystem list", args: []string{"--db", "{db}", "--user", "NOSUCHUSER"}, empty: true},
		jsonCase{path: "usersystem show", args: []string{"1", "--db", "{db}", "--date", "2026-01-01"}},
		jsonCase{path: "usersystem add", args: []string{"--db", "{db}", "--user", "LRKL", "--name", "Billing", "--from", "2030-01-01",
			"--component", "{manufacturer}:software"}},
		jsonCase{path: "usersystem link", args: []string{"5", "--db", "{db}", "--manufacturer", "{manufacturer}", "--clear"}},
		jsonCase{path: "usersystem retire", args: []string{"1", "--db", "{db}", "--to", "2040-01-01"}},
		jsonCase{path: "usersystem notifications", args: []string{"--db", "{db}"}},
		jsonCase{path: "usersystem acknowledge", args: []string{"1", "--db", "{db}"}},
	)
}

// TestUserSystemCommands registers a User's first and second User Systems
// from the command line: the second is a SECMP0057 notification the SSC's
// list shows; a bad request is refused naming its fields, writing nothing.
func TestUserSystemCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "u.db")
	if code, _, errOut := run(t, "", nil, "demo", "--db", db, "--seed-only", "--devices", "1000"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	code, out, errOut := run(t, "", nil, "usersystem", "add", "--db", db, "--user", "WMN", "--name", "", "--from", "someday", "--component", "NOSUCH:wetware")
	if code == 0 || !strings.Contains(errOut, "name") || !strings.Contains(errOut, "in_service_from") || !strings.Contains(errOut, "components[0].supplies") {
		t.Errorf("a bad add: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, "", nil, "usersystem", "add", "--db", db, "--user", "WMN", "--name", "Field tools", "--from", "2031-01-01",
		"--component", "AURV:hardware", "--format", "json")
	var s struct {
		Ordinal      int
		Notification *struct {
			OnTime bool `json:"on_time"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Ordinal != 2 || s.Notification == nil || !s.Notification.OnTime {
		t.Fatalf("WMN's second User System: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, "", nil, "usersystem", "notifications", "--db", db)
	if code != 0 || !strings.Contains(out, "Field tools") || !strings.Contains(out, "WMN") {
		t.Errorf("notifications: %d %s", code, out)
	}
}
