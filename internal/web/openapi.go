package web

import (
	"encoding"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI document is generated from the route table, so it cannot fall
// out of step with the routes; request and response schemas come from the Go
// types the handlers decode and encode.

var pathParamRE = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)(\.\.\.)?\}`)

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.OpenAPI())
}

// OpenAPI returns the API's OpenAPI 3.1 document.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		if !rt.API {
			continue
		}
		path := pathParamRE.ReplaceAllString(rt.Path, "{$1}")
		op := map[string]any{
			"operationId": rt.Name,
			"summary":     rt.Summary,
			"description": describe(rt),
			"tags":        []string{rt.Tag},
		}
		var params []map[string]any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": pathParamDescription(m[1]), "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.Params {
			params = append(params, map[string]any{"name": p.Name, "in": "query", "required": p.Required,
				"description": paramDescription(p), "schema": paramSchema(rt, p)})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Access == Public {
			op["security"] = []any{}
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		if rt.Upload {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"text/csv":                 map[string]any{"schema": map[string]any{"type": "string"}},
				"application/gzip":         map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "application/gzip"}},
				"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string"}},
			}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		resp := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		if exportable(rt) {
			resp["content"].(map[string]any)["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
			resp["description"] = "One page of the list as JSON; with format=csv or format=json every row the filters match, streamed (CSV, or a JSON array)."
		}
		responses := map[string]any{
			strconv.Itoa(status): resp,
			"default":            map[string]any{"$ref": "#/components/responses/Error"},
		}
		for _, code := range problemStatuses(rt) {
			responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/" + problemResponseName(code)}
		}
		op["responses"] = responses
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	problem := g.schema(reflect.TypeOf(Problem{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "metersec API",
			"version":     s.Version,
			"description": "The GB smart metering security regime (SEC Section G): parties, estate, arrangements, vulnerabilities and reports. Records are filtered by classification for the caller.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"paths":    paths,
		"webhooks": webhookDocs(g),
		"tags":     tagDocs(s.routes),
		"components": map[string]any{
			"schemas":   g.defs,
			"responses": problemResponses(problem),
			"securitySchemes": map[string]any{
				"token":   map[string]any{"type": "http", "scheme": "bearer", "description": "An API token (mst_…) created with `metersec token create` or on the account page."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
		},
		"security": []any{map[string]any{"token": []any{}}, map[string]any{"session": []any{}}},
	}
}

type schemaGen struct{ defs map[string]any }

var (
	timeType          = reflect.TypeOf(time.Time{})
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		if strings.HasSuffix(t.Name(), "Date") {
			return map[string]any{"type": "string", "format": "date"}
		}
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		if vs, ok := closedSetValues[enumKey(t)]; ok {
			return map[string]any{"type": "string", "enum": vs}
		}
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func schemaName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // generic: list[party.Party]
		inner := name[i+1 : len(name)-1]
		if strings.HasSuffix(t.PkgPath(), "/listing") {
			// listing.Page[vuln.Summary]: pages of every area share the
			// generic type, so the item's package keeps names apart.
			pkgPath, typ, _ := strings.Cut(inner[strings.LastIndexByte(inner, '/')+1:], ".")
			inner = strings.ToUpper(pkgPath[:1]) + pkgPath[1:] + typ
		} else {
			inner = inner[strings.LastIndexAny(inner, "./")+1:]
		}
		name = strings.ToUpper(name[:1]) + name[1:i] + "Of" + inner
	}
	pkg := t.PkgPath()
	pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
	return strings.ToUpper(pkg[:1]) + pkg[1:] + "." + name
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if inner, ok := g.object(f.Type)["properties"].(map[string]any); ok {
				for k, v := range inner {
					props[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		s = closedField(t, name, f.Type, s)
		if f.Type.Kind() == reflect.Pointer {
			s = map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
