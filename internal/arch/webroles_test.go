package arch

import (
	"go/ast"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// webRoleChecks are the role decisions the web layer still makes itself, by
// function, with how many: none. Each became a question to the service that
// decides the write (vuln.MayReport, estate.MayVerify, party.MayEditContacts:
// one function of the area, used by its own write path and by the handler to
// decide what to offer). A role check in internal/web fails the test: ask the
// area's service. Issue 16, step 6.
var webRoleChecks = map[string]int{}

// roleCheck reports whether n asks a caller about its roles: c.IsSSC(),
// c.Has(sec.Role…), c.HasAny(…), c.OrgHas(…), c.System, x.Role == ….
func roleCheck(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.CallExpr:
		sel, ok := n.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		switch sel.Sel.Name {
		case "IsSSC", "HasAny", "OrgHas":
			return true
		case "Has":
			if len(n.Args) == 1 {
				if a, ok := n.Args[0].(*ast.SelectorExpr); ok {
					if x, ok := a.X.(*ast.Ident); ok && x.Name == "sec" && strings.HasPrefix(a.Sel.Name, "Role") {
						return true
					}
				}
			}
		}
	case *ast.SelectorExpr:
		return n.Sel.Name == "System" && !isPackage(n.X)
	case *ast.BinaryExpr:
		if sel, ok := n.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Role" {
			return n.Op.String() == "==" || n.Op.String() == "!="
		}
	}
	return false
}

func isPackage(x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	// Identifiers the parser could not resolve in the file are package
	// names (usersystem.System is a type, not a caller's System flag).
	return ok && id.Obj == nil
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

// TestWebAsksTheServices fails when internal/web decides by role itself.
func TestWebAsksTheServices(t *testing.T) {
	found := map[string]int{}
	where := map[string][]string{}
	for _, f := range sources(t) {
		if f.Pkg != "internal/web" || f.Test {
			continue
		}
		for _, d := range f.File.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if roleCheck(n) {
					found[name]++
					where[name] = append(where[name], f.position(n))
				}
				return true
			})
		}
	}
	var names []string
	for n := range found {
		names = append(names, n)
	}
	for n := range webRoleChecks {
		if _, ok := found[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		got, allowed := found[n], webRoleChecks[n]
		switch {
		case got > allowed:
			t.Errorf("%s decides by the caller's role itself (%s): ask the area's service (a May… function its write path uses too)",
				n, strings.Join(where[n], ", "))
		case got < allowed:
			t.Errorf("%s has %d role checks, fewer than the %d webRoleChecks allows: lower it to %s", n, got, allowed, strconv.Itoa(got))
		}
	}
}
