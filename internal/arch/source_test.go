package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// root is the module's root, two levels above this package.
const root = "../.."

// goFile is one parsed Go source file of the module.
type goFile struct {
	Pkg  string // the package's directory relative to the module root, e.g. internal/vuln
	Path string // the file's path relative to the module root
	Test bool   // a _test.go file
	Fset *token.FileSet
	File *ast.File
}

// sources parses every Go file of the module under cmd/ and internal/.
func sources(t *testing.T) []goFile {
	t.Helper()
	var out []goFile
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			out = append(out, goFile{
				Pkg: filepath.ToSlash(filepath.Dir(rel)), Path: rel,
				Test: strings.HasSuffix(p, "_test.go"), Fset: fset, File: f,
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) < 100 {
		t.Fatalf("found only %d Go files under %s: is the module root right?", len(out), root)
	}
	return out
}

// position names a node's place as path:line.
func (f goFile) position(n ast.Node) string {
	p := f.Fset.Position(n.Pos())
	return f.Path + ":" + strconv.Itoa(p.Line)
}
