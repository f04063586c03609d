package arch

import (
	"go/ast"
	"strconv"
	"testing"
)

// TestOneHomeForSharedHelpers fails when a package loads a time zone
// itself (the UK clock is uk.London, with the zone data embedded, so no
// copy falls back to UTC) or looks for gzip's magic bytes itself
// (gzipped.Is and gzipped.Open).
func TestOneHomeForSharedHelpers(t *testing.T) {
	for _, f := range sources(t) {
		if f.Test {
			continue
		}
		ast.Inspect(f.File, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "time" && n.Sel.Name == "LoadLocation" && f.Pkg != "internal/uk" {
					t.Errorf("%s loads a time zone: use uk.London", f.position(n))
				}
			case *ast.ImportSpec:
				if p, _ := strconv.Unquote(n.Path.Value); p == "time/tzdata" && f.Pkg != "internal/uk" {
					t.Errorf("%s embeds the zone data again: internal/uk does", f.position(n))
				}
			case *ast.CompositeLit:
				// []byte{0x1f, 0x8b}: gzip's magic, outside gzipped.
				if len(n.Elts) >= 2 && f.Pkg != "internal/gzipped" && isByte(n.Elts[0], 0x1f) && isByte(n.Elts[1], 0x8b) {
					t.Errorf("%s tests for gzip's magic bytes: use gzipped.Is or gzipped.Open", f.position(n))
				}
			case *ast.BinaryExpr:
				if isByte(n.Y, 0x8b) && f.Pkg != "internal/gzipped" {
					t.Errorf("%s tests for gzip's magic bytes: use gzipped.Is or gzipped.Open", f.position(n))
				}
			}
			return true
		})
	}
}

func isByte(e ast.Expr, v int64) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(lit.Value, 0, 64)
	return err == nil && n == v
}
