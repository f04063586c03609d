package web

import (
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/metersec/metersec/internal/delivery"
)

// What the OpenAPI document says beyond the route table's own fields: each
// operation's description and its 4xx problem documents, typed query
// parameters, the enums of closed sets, the webhook calls and the tags.
// openapi_test.go walks the document and fails where any of it is missing.

// describe is an operation's description: its summary, then who may call
// it.
func describe(rt Route) string {
	var b strings.Builder
	b.WriteString(rt.Summary)
	b.WriteString("\n\n")
	switch rt.Access {
	case Public:
		b.WriteString("Open to anyone; without credentials only WHITE records are shown.")
	default:
		b.WriteString("Needs a signed-in session (with its second factor) or an API token with the `" + rt.scope() + "` scope.")
		if !safeMethod(rt.Method) {
			b.WriteString(" A session must send its CSRF token in `X-CSRF-Token`.")
		}
		b.WriteString(" Records the caller may not see answer as missing (404).")
	}
	if rt.Upload {
		b.WriteString(" The body is the file itself")
		if !rt.StoredAsSent {
			b.WriteString(" (CSV, gzip accepted)")
		}
		b.WriteString(".")
	}
	return b.String()
}

// problemStatuses are the 4xx statuses an operation may answer with, each
// as an RFC 9457 problem document. They follow from what the route takes
// (errs codes, mapped in problem.go).
func problemStatuses(rt Route) []int {
	codes := []int{http.StatusBadRequest}
	if rt.Access != Public {
		codes = append(codes, http.StatusUnauthorized, http.StatusForbidden)
	}
	if pathParamRE.MatchString(rt.Path) || !safeMethod(rt.Method) {
		codes = append(codes, http.StatusNotFound)
	}
	if !safeMethod(rt.Method) {
		codes = append(codes, http.StatusConflict)
	}
	if rt.Request != nil || rt.Upload || !safeMethod(rt.Method) || len(rt.Params) > 0 {
		codes = append(codes, http.StatusUnprocessableEntity)
	}
	if rt.Request != nil || rt.Upload {
		codes = append(codes, http.StatusRequestEntityTooLarge)
	}
	if rt.Upload || rt.Request != nil {
		codes = append(codes, http.StatusUnsupportedMediaType)
	}
	codes = append(codes, http.StatusTooManyRequests)
	slices.Sort(codes)
	return slices.Compact(codes)
}

var problemText = map[int]string{
	http.StatusBadRequest:            "The request is malformed: a query parameter, the body or the file cannot be read.",
	http.StatusUnauthorized:          "No credentials, or credentials that are wrong, expired or revoked.",
	http.StatusForbidden:             "The caller may not do this (its role, or the token's scope), or the CSRF check failed.",
	http.StatusNotFound:              "No such record, or one the caller may not see (the answer is the same).",
	http.StatusConflict:              "The record's state does not allow this now (a lifecycle move from the wrong state, a duplicate).",
	http.StatusRequestEntityTooLarge: "The body or file is larger than the limit.",
	http.StatusUnsupportedMediaType:  "The body or file is not of an accepted type.",
	http.StatusUnprocessableEntity:   "The input is well formed but not valid; `errors` names each field or line and what is wrong with it.",
	http.StatusTooManyRequests:       "Too many requests or failed attempts; try again later.",
}

func problemResponseName(code int) string {
	return strings.ReplaceAll(http.StatusText(code), " ", "")
}

// problemResponses are the shared responses every operation refers to.
func problemResponses(problem map[string]any) map[string]any {
	content := map[string]any{"application/problem+json": map[string]any{"schema": problem}}
	out := map[string]any{
		"Error": map[string]any{"description": "An error, as an RFC 9457 problem document; server errors (5xx) carry only a request id to quote.",
			"content": content},
	}
	for code, text := range problemText {
		out[problemResponseName(code)] = map[string]any{"description": text, "content": content}
	}
	return out
}

// paramTypes types query parameters by name, where one name means one thing
// everywhere; paramTypesByOp types those whose meaning depends on the
// operation (operationId.name). A route may also set Param.Type or
// Param.Enum itself.
var paramTypes = map[string]map[string]any{
	"date":           {"type": "string", "format": "date"},
	"on":             {"type": "string", "format": "date"},
	"in_force_on":    {"type": "string", "format": "date"},
	"month":          {"type": "string", "pattern": `^\d{4}-(0[1-9]|1[0-2])$`},
	"year":           {"type": "integer", "minimum": 2000, "maximum": 2100},
	"limit":          {"type": "integer", "minimum": 1, "maximum": 500},
	"q":              {"type": "string", "maxLength": 200},
	"name":           {"type": "string", "maxLength": 255},
	"party":          {"type": "string", "maxLength": 100},
	"org":            {"type": "string", "maxLength": 100},
	"manufacturer":   {"type": "string", "maxLength": 100},
	"supplier":       {"type": "string", "maxLength": 100},
	"map":            {"type": "string", "maxLength": 100},
	"director":       {"type": "string", "maxLength": 255},
	"device":         {"type": "string", "maxLength": 64},
	"user":           {"type": "string", "format": "email"},
	"object_type":    {"type": "string", "maxLength": 100},
	"record_kind":    {"type": "string", "maxLength": 100},
	"object_id":      {"type": "string", "maxLength": 255},
	"record_id":      {"type": "integer", "minimum": 1},
	"assessment":     {"type": "integer", "minimum": 1},
	"sec_version":    {"type": "string", "maxLength": 20},
	"reason":         {"type": "string", "maxLength": 2000},
	"rationale":      {"type": "string", "maxLength": 2000},
	"dead":           {"type": "boolean"},
	"history":        {"type": "boolean"},
	"open":           {"type": "boolean"},
	"overdue":        {"type": "boolean"},
	"dry_run":        {"type": "boolean"},
	"material":       {"type": "boolean"},
	"classification": enumSchema("sec.Classification"),
	"generation":     enumSchema("sec.Generation"),
	"role":           enumSchema("sec.OrgRole"),
}

var paramTypesByOp = map[string]map[string]any{
	"listArrangements.kind":      enumSchema("arrangement.Kind"),
	"listAssessments.state":      enumSchema("sec.AssessmentState"),
	"listAssessments.type":       enumSchema("sec.AssessmentType"),
	"listAssessments.after":      {"type": "string", "maxLength": 200},
	"listRemediationPlans.after": {"type": "string", "maxLength": 200},
	"listModels.type":            enumSchema("sec.DeviceType"),
	"exportCatalogue.type":       enumSchema("sec.DeviceType"),

	"listReports.kind":             enumSchema("report.Kind"),
	"listStandingItems.kind":       enumSchema("meeting.StandingKind"),
	"listVulnerabilities.state":    enumSchema("sec.VulnState"),
	"listMeetingActions.status":    enumSchema("sec.ActionState"),
	"listImpracticabilities.state": enumSchema("sec.ImpracticableState"),
}

// plainSets are closed sets whose values are plain strings in the code, not
// constants of a named type.
var plainSets = map[string][]string{
	"delivery.TLP":      {"AMBER", "CLEAR", "GREEN"},
	"delivery.JobState": {"dead", "delivered", "pending", "sending"},
	"delivery.Channel2": {"email", "webhook"},
	"advisory.Severity": {"Critical", "High", "Low", "Medium", "None"},
	"vuln.EventKind":    {"acknowledged", "fanout", "notified", "plan", "reminded", "reported", "seen", "transition", "updated"},
}

// enumSchema is a string schema with a closed set's values.
func enumSchema(key string) map[string]any {
	vs, ok := closedSetValues[key]
	if !ok {
		vs, ok = plainSets[key]
	}
	if !ok {
		panic("openapi: no closed set " + key)
	}
	return map[string]any{"type": "string", "enum": vs}
}

// Cursors ("after" and "before" with no other meaning given) are the
// sequence number or id of the last row of the previous page.
var cursorSchema = map[string]any{"type": "integer", "minimum": 0}

func paramSchema(rt Route, p Param) map[string]any {
	switch {
	case p.Schema != nil:
		return p.Schema
	case len(p.Enum) > 0:
		return map[string]any{"type": "string", "enum": p.Enum}
	case p.Type == "date" || p.Type == "date-time":
		return map[string]any{"type": "string", "format": p.Type}
	case p.Type != "":
		return map[string]any{"type": p.Type}
	}
	if s, ok := paramTypesByOp[rt.Name+"."+p.Name]; ok {
		return s
	}
	if s, ok := paramTypes[p.Name]; ok {
		return s
	}
	if p.Name == "after" || p.Name == "before" {
		return cursorSchema
	}
	// Untyped: openapi_test.go fails for it.
	return map[string]any{}
}

var pathParamText = map[string]string{
	"id":       "The record's id, as the API gives it.",
	"ref":      "The record's reference, as the API gives it.",
	"code":     "The organisation's code.",
	"number":   "The meeting's number.",
	"label":    "The contact's label.",
	"email":    "The account's email.",
	"supplier": "The Supplier's organisation code.",
	"format":   "The file's format, as the report lists its files.",
	"version":  "The questionnaire's version.",
	"kind":     "The kind of record, as in its audience.",
}

func pathParamDescription(name string) string {
	if d, ok := pathParamText[name]; ok {
		return d
	}
	return "The " + strings.ReplaceAll(name, "_", " ") + ", as the API gives it."
}

func paramDescription(p Param) string {
	if p.Description != "" {
		return p.Description
	}
	return "only records whose " + strings.ReplaceAll(p.Name, "_", " ") + " is this"
}

// enumKey is a named type's key in closedSetValues: its package's name and
// its own.
func enumKey(t reflect.Type) string {
	pkg := t.PkgPath()
	return pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + t.Name()
}

// closedPlainFields are fields declared as plain strings that hold a closed
// set, by the struct's key and the JSON name: their values are those of the
// named type given. closedPlainNames does the same by JSON name alone, where
// the name means one set everywhere.
var closedPlainNames = map[string]string{
	"classification": "sec.Classification",
	"device_type":    "sec.DeviceType",
	"generation":     "sec.Generation",
}

var closedPlainFields = map[string]string{
	"account.NewUser.roles":            "sec.Role",
	"party.NewParty.roles":             "sec.OrgRole",
	"party.Update.roles":               "sec.OrgRole",
	"arrangement.Input.kind":           "arrangement.Kind",
	"catalogue.CertificateInput.kind":  "catalogue.CPAKind",
	"catalogue.CertificateUpdate.kind": "catalogue.CPAKind",
	"meeting.NewStandingItem.kind":     "meeting.StandingKind",
	"meeting.NewDecision.verb":         "sec.Verb",
	"meeting.NewItem.type":             "sec.ItemType",
	"assurance.Input.type":             "sec.AssessmentType",
	"assurance.OverrideInput.type":     "sec.AssessmentType",
	"assurance.Input.role":             "sec.OrgRole",
	"assurance.OverrideInput.role":     "sec.OrgRole",
	"triage.NewFacility.breach_policy": "sec.BreachPolicy",
	"web.policyIn.breach_policy":       "sec.BreachPolicy",
	"triage.StepInput.estate_status":   "estate.Status",
	"web.statusIn.status":              "estate.Status",
	"web.ActionEventRequest.event":     "sec.ActionEvent",
	"web.MeetingEventRequest.event":    "sec.MeetingEvent",
	"release.MoveInput.event":          "sec.ModEvent",
	"delivery.Event.tlp":               "delivery.TLP",
	"report.Job.state":                 "delivery.JobState",
	"report.Job.channel":               "delivery.Channel2",
	"advisory.CVSS.severity":           "advisory.Severity",
	"vuln.Summary.severity":            "advisory.Severity",
	"vuln.Event.kind":                  "vuln.EventKind",
}

// closedField gives a plain string field that holds a closed set the set's
// enum.
func closedField(parent reflect.Type, name string, ft reflect.Type, s map[string]any) map[string]any {
	base := ft
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	isSlice := base.Kind() == reflect.Slice
	if isSlice {
		base = base.Elem()
	}
	if base != reflect.TypeOf("") {
		return s
	}
	key, ok := closedPlainFields[enumKey(parent)+"."+name]
	if !ok {
		key, ok = closedPlainNames[name]
	}
	if !ok {
		return s
	}
	e := enumSchema(key)
	if isSlice {
		return map[string]any{"type": "array", "items": e}
	}
	return e
}

// webhookDocs documents the calls metersec makes to a webhook endpoint
// (OpenAPI 3.1 webhooks): every notice, and the ping.
func webhookDocs(g *schemaGen) map[string]any {
	event := g.schema(reflect.TypeOf(delivery.Event{}))
	headers := []any{
		map[string]any{"name": delivery.HeaderTimestamp, "in": "header", "required": true, "description": "Unix seconds when this call was signed.",
			"schema": map[string]any{"type": "string", "pattern": `^[0-9]+$`}},
		map[string]any{"name": delivery.HeaderSignature, "in": "header", "required": true,
			"description": "`v1=` and the hex HMAC-SHA256, keyed by the endpoint's secret, of the timestamp, a dot and the body; several comma-separated while a secret is being rotated. Refuse a call whose timestamp is more than five minutes off.",
			"schema":      map[string]any{"type": "string", "pattern": `^v1=[0-9a-f]{64}(,v1=[0-9a-f]{64})*$`}},
		map[string]any{"name": delivery.HeaderIdempotencyKey, "in": "header", "required": true, "description": "The same on every copy of one delivery, and equal to the body's `id`: drop a call whose key was seen.",
			"schema": map[string]any{"type": "string"}},
		map[string]any{"name": delivery.HeaderKind, "in": "header", "required": true, "description": "The event's kind, as in the body.",
			"schema": map[string]any{"type": "string"}},
	}
	op := func(id, summary, desc string) map[string]any {
		return map[string]any{"post": map[string]any{
			"operationId": id, "summary": summary, "description": desc, "tags": []string{"webhooks"}, "security": []any{},
			"parameters":  headers,
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": event}}},
			"responses": map[string]any{
				"2XX": map[string]any{"description": "Received. Any 2xx counts as delivered."},
				"4XX": map[string]any{"description": "Refused: the delivery is retried with backoff, then marked dead."},
				"5XX": map[string]any{"description": "Failed: the delivery is retried with backoff, then marked dead."},
			},
		}}
	}
	return map[string]any{
		"notice": op("webhookNotice", "A notice for the endpoint's organisation.",
			"Sent for every notice the organisation receives in its inbox: a vulnerability it is told of (`vulnerability.notified`, `vulnerability.renotified`), "+
				"a change to one (`vulnerability.<event>`), a rectification plan's step (`vulnerability.plan.<event>`), a reminder (`vulnerability.reminder`), "+
				"and the other areas' notices. `kind` names it; `record` names the record it is about; `link` opens it. Only WHITE, GREEN and AMBER "+
				"content is ever sent: RED stays on the platform."),
		"ping": op("webhookPing", "A test call.", "Sent when someone presses \"ping\" on the endpoint (POST /api/v1/webhooks/{id}/ping); `kind` is `ping`."),
	}
}

var tagText = map[string]string{
	"accounts":        "Users, sessions and API tokens.",
	"arrangements":    "G3.20 notification arrangements between Suppliers, MAPs and manufacturers, and their alerts.",
	"assurance":       "User Security Assessments, findings, outcomes, the forward plan, remediation plans and Directors' Letters.",
	"audit":           "The hash-chained audit trail and its signed checkpoints.",
	"catalogue":       "The Device catalogue: models, firmware and CPA certificates.",
	"classification":  "Who may see a record, by its Panel Information Policy classification.",
	"coverage":        "G3.20 coverage of each Supplier's Devices.",
	"delivery":        "Webhook endpoints, the delivery queue and its problems.",
	"estate":          "The installed estate: Devices, supply history and the portfolio.",
	"meetings":        "SSC meetings, agendas, decisions, actions, minutes and standing items.",
	"operations":      "Health, readiness, metrics and this document.",
	"parties":         "The registry of parties, their SEC roles and security contacts.",
	"public":          "Published records anyone may read.",
	"reports":         "Monthly SSC reports and standing reports.",
	"risk":            "The SSC's risk register.",
	"sec":             "The SEC's rules as data: obligations, releases and modifications.",
	"triage":          "MP203 Triage Facilities, their tools and the record of triage activity.",
	"vulnerabilities": "Vulnerability coordination: reports, fan-out, acknowledgements and plans, CSAF.",
	"webhooks":        "Calls metersec makes to an organisation's webhook endpoint.",
}

// tagDocs lists the tags the API's operations use, each with a description.
func tagDocs(routes []Route) []any {
	seen := map[string]bool{"webhooks": true}
	for _, rt := range routes {
		if rt.API {
			seen[rt.Tag] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		d := tagText[n]
		if d == "" {
			d = "Operations on " + n + "."
		}
		out = append(out, map[string]any{"name": n, "description": d})
	}
	return out
}
