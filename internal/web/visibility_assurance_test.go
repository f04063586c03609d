package web_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/sec"
)

func init() {
	// children builds one call per seeded record of kind, whose key is
	// "assessmentID/childID". Its missing twin names an assessment and a
	// child that do not exist (missingID, missingChildID): the seeded
	// children's ids are those of their assessments, so normalise takes out
	// both segments of either path, and must find the same answer.
	children := func(kind, method, path, body string) func(w *world) []call {
		return func(w *world) []call {
			var out []call
			for _, k := range w.keys[kind] {
				a, child, _ := strings.Cut(k.Key, "/")
				p := strings.ReplaceAll(strings.ReplaceAll(path, "{a}", a), "{c}", child)
				missing := strings.ReplaceAll(strings.ReplaceAll(path, "{a}", missingID), "{c}", missingChildID)
				out = append(out, w.aim(call{method, p, body}, k.Marker, missing))
			}
			if len(out) == 0 {
				w.t.Fatalf("no seeded %s records", kind)
			}
			return out
		}
	}
	register(map[string]visibilityCase{
		"GET /api/v1/assessments":                                   {calls: one("GET", "/api/v1/assessments?limit=200", ""), complete: true, Kind: "assessment"},
		"POST /api/v1/assessments":                                  {calls: one("POST", "/api/v1/assessments", `{}`)},
		"GET /api/v1/assessments/{id}":                              {calls: eachID("assessment", "GET", "/api/v1/assessments/{}", "")},
		"POST /api/v1/assessments/{id}/transitions":                 {calls: eachID("assessment", "POST", "/api/v1/assessments/{}/transitions", `{"event": "decide", "outcome": "approved"}`)},
		"POST /api/v1/assessments/{id}/findings":                    {calls: eachID("assessment", "POST", "/api/v1/assessments/{}/findings", `{"clause": "G5.14", "severity": "low", "title": "t"}`)},
		"POST /api/v1/assessments/{id}/findings/{finding}":          {calls: children("finding", "POST", "/api/v1/assessments/{a}/findings/{c}", `{"response": "r"}`)},
		"POST /api/v1/assessments/{id}/evidence":                    {calls: eachID("assessment", "POST", "/api/v1/assessments/{}/evidence?name=x.txt", "seen")},
		"GET /api/v1/assessments/{id}/evidence/{file}":              {calls: children("assessment_evidence", "GET", "/api/v1/assessments/{a}/evidence/{c}", "")},
		"GET /api/v1/assessment-plan":                               {calls: one("GET", "/api/v1/assessment-plan?year=2027", "")},
		"POST /api/v1/assessment-plan/overrides":                    {calls: one("POST", "/api/v1/assessment-plan/overrides", `{"party": "SUPB", "role": "small_supplier", "year": 2027, "type": "FUSA"}`)},
		"GET /assessments/plan":                                     {calls: one("GET", "/assessments/plan?year=2027", "")},
		"POST /assessments/plan/overrides":                          {calls: one("POST", "/assessments/plan/overrides", "party=SUPB&role=small_supplier&year=2027&type=FUSA")},
		"GET /api/v1/remediation-plans":                             {calls: one("GET", "/api/v1/remediation-plans?limit=200", ""), complete: true, Kind: "plan"},
		"POST /api/v1/assessments/{id}/remediation-plans":           {calls: eachID("assessment", "POST", "/api/v1/assessments/{}/remediation-plans", `{"title": "t", "actions": []}`)},
		"GET /api/v1/remediation-plans/{id}":                        {calls: eachID("plan", "GET", "/api/v1/remediation-plans/{}", "")},
		"POST /api/v1/remediation-plans/{id}/transitions":           {calls: eachID("plan", "POST", "/api/v1/remediation-plans/{}/transitions", `{"event": "close"}`)},
		"POST /api/v1/remediation-plans/{id}/actions":               {calls: eachID("plan", "POST", "/api/v1/remediation-plans/{}/actions", `{"description": "d", "owner": "o", "due": "2030-01-01"}`)},
		"POST /api/v1/remediation-plans/{id}/actions/{action}/done": {calls: eachID("plan", "POST", "/api/v1/remediation-plans/{}/actions/"+missingChildID+"/done", "")},
		"POST /api/v1/remediation-plans/{id}/letters":               {calls: eachID("plan", "POST", "/api/v1/remediation-plans/{}/letters?name=l.pdf&director=D", "%PDF-1.4\n%%EOF\n")},
		"POST /api/v1/directors-letters/{id}/transitions":           {calls: eachID("letter", "POST", "/api/v1/directors-letters/{}/transitions", `{"event": "approve"}`)},
		"GET /api/v1/directors-letters/{id}/file":                   {calls: eachID("letter", "GET", "/api/v1/directors-letters/{}/file", "")},
		"GET /remediation-plans":                                    {calls: one("GET", "/remediation-plans", ""), complete: true, Kind: "plan"},
		"POST /assessments/{id}/remediation-plans":                  {calls: eachID("assessment", "POST", "/assessments/{}/remediation-plans", "title=")},
		"GET /remediation-plans/{id}":                               {calls: eachID("plan", "GET", "/remediation-plans/{}", "")},
		"POST /remediation-plans/{id}/transitions":                  {calls: eachID("plan", "POST", "/remediation-plans/{}/transitions", "event=close")},
		"POST /remediation-plans/{id}/actions":                      {calls: eachID("plan", "POST", "/remediation-plans/{}/actions", "description=")},
		"POST /remediation-plans/{id}/actions/{action}/done":        {calls: eachID("plan", "POST", "/remediation-plans/{}/actions/"+missingChildID+"/done", "")},
		"POST /remediation-plans/{id}/letters":                      {calls: eachID("plan", "POST", "/remediation-plans/{}/letters", "x")},
		"POST /directors-letters/{id}/transitions":                  {calls: eachID("letter", "POST", "/directors-letters/{}/transitions", "event=approve")},
		"GET /directors-letters/{id}/file":                          {calls: eachID("letter", "GET", "/directors-letters/{}/file", "")},
		"GET /api/v1/questionnaire-templates":                       {calls: one("GET", "/api/v1/questionnaire-templates", "")},
		"POST /api/v1/questionnaire-templates":                      {calls: one("POST", "/api/v1/questionnaire-templates", `{"title": ""}`)},
		"GET /api/v1/questionnaire-templates/{version}":             {calls: one("GET", "/api/v1/questionnaire-templates/1", "")},
		"GET /api/v1/assessments/{id}/questionnaire":                {calls: eachID("assessment", "GET", "/api/v1/assessments/{}/questionnaire", "")},
		"PUT /api/v1/assessments/{id}/questionnaire":                {calls: eachID("assessment", "PUT", "/api/v1/assessments/{}/questionnaire", `{"version": 1, "answers": {}}`)},
		"GET /assessments/{id}/questionnaire":                       {calls: eachID("assessment", "GET", "/assessments/{}/questionnaire", "")},
		"POST /assessments/{id}/questionnaire":                      {calls: eachID("assessment", "POST", "/assessments/{}/questionnaire", "version=1&answer-1=x")},
		"GET /assessments":                                          {calls: one("GET", "/assessments", ""), complete: true, Kind: "assessment"},
		"POST /assessments":                                         {calls: one("POST", "/assessments", "party=")},
		"GET /assessments/{id}":                                     {calls: eachID("assessment", "GET", "/assessments/{}", "")},
		"POST /assessments/{id}/transitions":                        {calls: eachID("assessment", "POST", "/assessments/{}/transitions", "event=decide&outcome=approved")},
		"POST /assessments/{id}/findings":                           {calls: eachID("assessment", "POST", "/assessments/{}/findings", "clause=G5.14&severity=low&title=t")},
		"POST /assessments/{id}/findings/{finding}":                 {calls: children("finding", "POST", "/assessments/{a}/findings/{c}", "response=r")},
		"POST /assessments/{id}/evidence":                           {calls: eachID("assessment", "POST", "/assessments/{}/evidence", "x")},
		"GET /assessments/{id}/evidence/{file}":                     {calls: children("assessment_evidence", "GET", "/assessments/{a}/evidence/{c}", "")},
	})
	seeders = append(seeders, seedAssurance)
}

// seedAssurance adds assessments of both Suppliers and the Other User: RED
// ones named as the service names them (plus Supplier A's user on its own),
// and an AMBER one, with a finding and an evidence file each.
func seedAssurance(w *world) {
	ctx := context.Background()
	svc := assurance.NewService(w.db)
	audienceOf := func(kind string, id int64) sec.Audience {
		var a sec.Audience
		rows, err := w.db.Writer().Query("SELECT org_id FROM audience_orgs WHERE record_kind = $1 AND record_id = $2", kind, id)
		if err != nil {
			w.t.Fatal(err)
		}
		for rows.Next() {
			var o int64
			rows.Scan(&o)
			a.Orgs = append(a.Orgs, o)
		}
		rows.Close()
		rows, err = w.db.Writer().Query("SELECT user_id FROM audience_users WHERE record_kind = $1 AND record_id = $2", kind, id)
		if err != nil {
			w.t.Fatal(err)
		}
		for rows.Next() {
			var u int64
			rows.Scan(&u)
			a.Users = append(a.Users, u)
		}
		rows.Close()
		return a
	}
	if _, err := svc.CreateTemplate(ctx, w.sys, assurance.TemplateInput{Title: "SSA declaration",
		Sections: []assurance.SectionInput{{Name: "Vulnerability management", Questions: []string{"How?"}}}}); err != nil {
		w.t.Fatal(err)
	}
	for _, s := range []struct {
		key, party, role, typ string
		class                 sec.Classification
		nameParty             string // a user of the party named on the RED record
	}{
		{"SA1", "SUPA", "large_supplier", "FUSA", sec.Red, "supplierA"},
		{"SA2", "SUPA", "large_supplier", "FUSA", sec.Red, ""},
		{"SB1", "SUPB", "small_supplier", "FUSA", sec.Amber, ""},
		{"OT1", "OTHA", "other_user", "SSA", sec.Red, "other"},
	} {
		a, err := svc.Create(ctx, w.sys, assurance.Input{Party: s.party, Role: s.role, Type: s.typ, Year: 2026, YearInCycle: 1, Classification: string(s.class)})
		if err != nil {
			w.t.Fatalf("seed assessment %s: %v", s.key, err)
		}
		w.exec("UPDATE assessments SET title = $1 WHERE id = $2", "Assessment "+marker("assessment", s.key), a.ID)
		if s.nameParty != "" {
			w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('assessment', $1, $2)", a.ID, w.byRole[s.nameParty].Caller.UserID)
		}
		aud := audienceOf("assessment", a.ID)
		w.addRecord("assessment", s.key, s.class, aud)
		w.setID(marker("assessment", s.key), a.ID)

		var fid int64
		if err := w.db.Writer().QueryRow(`INSERT INTO assessment_findings (assessment_id, kind, clause, severity, title, created_at, updated_at)
			VALUES ($1, 'non_compliance', 'G5.14', 'high', $2, $3, $3) RETURNING id`, a.ID, "Finding "+marker("finding", s.key), a.CreatedAt).Scan(&fid); err != nil {
			w.t.Fatal(err)
		}
		w.records[marker("finding", s.key)] = record{Kind: "finding", Class: s.class, Aud: aud}
		w.keys["finding"] = append(w.keys["finding"], recordKey{Key: fmt.Sprintf("%d/%d", a.ID, fid), Marker: marker("finding", s.key)})

		lit := "ASSESSMENT-EVIDENCE-OF-" + s.key + "-QX"
		ev, err := svc.AddEvidence(ctx, w.sys, a.ID, "notes.txt", strings.NewReader("Interview notes. "+lit+"\n"))
		if err != nil {
			w.t.Fatal(err)
		}
		w.addLiteral("assessment_evidence", fmt.Sprintf("%d/%d", a.ID, ev.ID), lit, s.class, aud)

		// A remediation plan and its Directors' Letter, named as the
		// service names them: to the assessment's audience.
		var pid, lid int64
		if err := w.db.Writer().QueryRow(`INSERT INTO remediation_plans (assessment_id, party_id, title, state, classification, next_update, created_at, updated_at)
			VALUES ($1, (SELECT party_id FROM assessments WHERE id = $1), $2, 'agreed', $3, '2020-01-01', $4, $4) RETURNING id`,
			a.ID, "Plan "+marker("plan", s.key), string(s.class), a.CreatedAt).Scan(&pid); err != nil {
			w.t.Fatal(err)
		}
		w.exec(`INSERT INTO remediation_actions (plan_id, description, owner, due, created_at) VALUES ($1, 'Patch', 'CISO', '2020-01-01', $2)`, pid, a.CreatedAt)
		litLetter := "LETTER-CONTENT-OF-" + s.key + "-QX"
		if err := w.db.Writer().QueryRow(`INSERT INTO directors_letters (plan_id, party_id, director, state, classification, name, media_type, size, sha256, content, uploaded_at, uploaded_by)
			VALUES ($1, (SELECT party_id FROM assessments WHERE id = $2), $3, 'submitted', $4, 'letter.pdf', 'application/pdf', 10, 'x', $5, $6, 'seed') RETURNING id`,
			pid, a.ID, "Director "+marker("letter", s.key), string(s.class), []byte("%PDF-1.4 "+litLetter+" %%EOF"), a.CreatedAt).Scan(&lid); err != nil {
			w.t.Fatal(err)
		}
		for _, kind := range []struct {
			name string
			id   int64
		}{{"remediation_plan", pid}, {"directors_letter", lid}} {
			w.exec(`INSERT INTO audience_orgs (record_kind, record_id, org_id) SELECT $1, $2, org_id FROM audience_orgs WHERE record_kind = 'assessment' AND record_id = $3`, kind.name, kind.id, a.ID)
			w.exec(`INSERT INTO audience_users (record_kind, record_id, user_id) SELECT $1, $2, user_id FROM audience_users WHERE record_kind = 'assessment' AND record_id = $3`, kind.name, kind.id, a.ID)
		}
		w.addRecord("plan", s.key, s.class, aud)
		w.setID(marker("plan", s.key), pid)
		w.addRecord("letter", s.key, s.class, aud)
		w.setID(marker("letter", s.key), lid)
		w.records[litLetter] = record{Kind: "letter", Class: s.class, Aud: aud}
		w.literals = append(w.literals, litLetter)
	}
}
