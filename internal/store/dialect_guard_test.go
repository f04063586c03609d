package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoDialectBranchOutsideStore fails when code outside internal/store,
// tests included, branches on the engine: a comparison (== or !=) or a
// switch on a Dialect (store.Postgres, store.SQLite, anything's .Dialect).
// The store owns the dialect; an area that needs the engines to differ asks
// it for the operation (ops.go). Naming an engine to open one is not a
// branch and is allowed.
func TestNoDialectBranchOutsideStore(t *testing.T) {
	root := filepath.Join("..", "..")
	own, _ := filepath.Abs(".")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			abs, _ := filepath.Abs(path)
			if abs == own || strings.HasPrefix(abs, own+string(filepath.Separator)) || (d.Name() != ".." && d.Name() != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, pos := range dialectBranches(f) {
			found = append(found, fset.Position(pos).String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s: a branch on the engine outside internal/store: ask the store for the operation", f)
	}
}

// TestDialectBranchesAreFound checks the guard against the shapes it must
// catch and those it must let be.
func TestDialectBranchesAreFound(t *testing.T) {
	src := `package x
func f() {
	if tx.Dialect == store.Postgres {}
	if db.Dialect != store.SQLite {}
	if engine == store.SQLite {}
	if string(db.Dialect) == "postgres" {}
	switch tx.Dialect { case store.SQLite: }
	switch { case d == store.Postgres: }
	db := storetest.Open(t, store.SQLite)
	log("engine", string(db.Dialect))
	if o.Engine == "sqlite" {}
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(dialectBranches(f)); got != 6 {
		t.Errorf("found %d branches, want 6", got)
	}
}

func dialectBranches(f *ast.File) []token.Pos {
	var out []token.Pos
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (namesDialect(n.X) || namesDialect(n.Y)) {
				out = append(out, n.Pos())
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && namesDialect(n.Tag) {
				out = append(out, n.Pos())
			}
		}
		return true
	})
	return out
}

// namesDialect reports whether an expression is, or holds, a Dialect: the
// store's engine constants or a field called Dialect.
func namesDialect(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if sel.Sel.Name == "Dialect" {
			found = true
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "store" && (sel.Sel.Name == "Postgres" || sel.Sel.Name == "SQLite") {
			found = true
		}
		return !found
	})
	return found
}
