package arch

import (
	"go/ast"
	"testing"
)

// TestOneNoticeType fails when an area declares its own notice type: every
// area builds delivery.Notice and hands it to delivery.Notify in its own
// transaction, so no area copies a notice field by field into delivery's.
func TestOneNoticeType(t *testing.T) {
	for _, f := range sources(t) {
		if f.Pkg == "internal/delivery" || f.Test {
			continue
		}
		ast.Inspect(f.File, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Name.Name != "Notice" {
				return true
			}
			if _, ok := ts.Type.(*ast.StructType); ok {
				t.Errorf("%s declares its own Notice type: use delivery.Notice and call delivery.Notify", f.position(ts))
			}
			return true
		})
	}
}
