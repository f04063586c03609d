package arch

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoConflictMarkers fails on a merge conflict committed unresolved. Go
// files would not compile, but a stylesheet, a template, SQL or a document
// carries one silently: app.css held one, and half its rules, for a day.
func TestNoConflictMarkers(t *testing.T) {
	var checked int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") && name != ".ci" || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".css", ".html", ".js", ".sql", ".md", ".yaml", ".yml", ".json", ".txt", ".sh":
		default:
			if filepath.Base(path) != "run" {
				return nil
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		checked++
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.HasPrefix(line, "<<<<<<< ") || strings.HasPrefix(line, ">>>>>>> ") || line == "=======" {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: an unresolved merge conflict (%q)", rel, n, line)
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is root right?", checked)
	}
}
