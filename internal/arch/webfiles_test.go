package arch

import (
	"go/ast"
	"path"
	"strings"
	"testing"
)

// TestWebOneFilePerResource fails when a route handler of internal/web is
// not in the file of its resource and kind: a handler registered by the
// route table xRoutes (or xPageRoutes) lives in x_api.go when its route is
// an API route and in x_pages.go when it is a page, so a file holds one
// resource's handlers of one kind (as miniflux keeps api/ and ui/ apart).
// The tool that keeps it so is websplit (issue 16, step 7).
func TestWebOneFilePerResource(t *testing.T) {
	methods := map[string]string{} // Server method -> file
	var tables []*ast.FuncDecl
	for _, f := range sources(t) {
		if f.Pkg != "internal/web" || f.Test {
			continue
		}
		for _, d := range f.File.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || funcName(fd) != "Server."+fd.Name.Name {
				continue
			}
			methods[fd.Name.Name] = path.Base(f.Path)
			if n := fd.Name.Name; strings.HasSuffix(n, "Routes") && n != "allRoutes" && n != "Routes" {
				tables = append(tables, fd)
			}
		}
	}
	// A handler may serve routes of both kinds (an evidence download is an
	// API route and a page link): it may live in either file. Handlers of
	// the server's machinery stay in its files (openapi.go serves the
	// OpenAPI document).
	allowed := map[string]map[string]bool{}
	machinery := map[string]bool{"routes.go": true, "server.go": true, "middleware.go": true, "problem.go": true,
		"decode.go": true, "upload.go": true, "openapi.go": true, "metrics.go": true, "pages.go": true, "helpers.go": true}
	checked := 0
	for _, fd := range tables {
		res := strings.TrimSuffix(strings.TrimSuffix(fd.Name.Name, "Routes"), "Page")
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			handler, kind := "", "pages"
			for _, el := range cl.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch k, _ := kv.Key.(*ast.Ident); {
				case k == nil:
				case k.Name == "Handle":
					if sel, ok := kv.Value.(*ast.SelectorExpr); ok {
						handler = sel.Sel.Name
					}
				case k.Name == "API":
					if v, ok := kv.Value.(*ast.Ident); ok && v.Name == "true" {
						kind = "api"
					}
				}
			}
			if handler == "" {
				return true
			}
			if _, ok := methods[handler]; !ok {
				return true // not a Server method (a closure or another type's)
			}
			if allowed[handler] == nil {
				allowed[handler] = map[string]bool{}
			}
			allowed[handler][res+"_"+kind+".go"] = true
			return true
		})
	}
	for handler, files := range allowed {
		checked++
		file := methods[handler]
		if !files[file] && !machinery[file] {
			var want []string
			for f := range files {
				want = append(want, f)
			}
			t.Errorf("%s is in %s, not %s: run websplit (/work/briefs/websplit)", handler, file, strings.Join(want, " or "))
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d handlers: is the route table still read right?", checked)
	}
}
