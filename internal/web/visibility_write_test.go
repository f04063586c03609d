package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

// missingID is the id of a record that does not exist, for routes that name
// records by number.
const missingID = "999999"

// missingChildID names a child record (a remediation plan's action) that does
// not exist, in calls that name a parent by each or eachID: it differs from
// missingID so that a call's missing twin differs from it only in the
// parent's id, and normalise takes out that id alone.
const missingChildID = "999998"

// missingKeys name, per kind of record routes name by key, a record of that
// kind that does not exist, spelt as a real key is (a malformed key would be
// refused for its form, not looked up). A write route naming records of a
// kind missing here has no twin to compare with, and fails below.
var missingKeys = map[string]string{
	"party":       "PNONE",
	"arrangement": "ANONE",
	"vuln":        "MSV-2026-9999",
	"estdevice":   "00ffffffffffff01",
	"device":      "00FFFFFFFFFFFF02",
	"catmodel":    missingID,
	"catcert":     missingID,
	"catfw":       missingID,
	"evidence":    "ANONE/evidence/" + missingID,
	"meeting":     "9999",
}

// writeNoRecord says, for each write route whose calls name no seeded record,
// why: it creates, imports or acts on the caller's own account. A write route
// that names records must name them through each or eachID, so that the test
// below can try it on every record a viewer may not see.
var writeNoRecord = map[string]string{
	"POST /account/password":                           "changes the caller's own password",
	"POST /account/tokens":                             "creates a token of the caller's own",
	"POST /account/tokens/{id}/revoke":                 "revokes the caller's own tokens only; another user's token answers as a missing one (signin_test.go)",
	"POST /api/v1/tokens":                              "creates a token of the caller's own",
	"DELETE /api/v1/tokens/{id}":                       "revokes the caller's own tokens only; another user's token answers as a missing one (signin_test.go)",
	"POST /api/v1/users":                               "creates an account (administrators)",
	"POST /api/v1/users/{email}/disable":               "administrators only; every user is visible to them",
	"POST /users":                                      "creates an account (administrators)",
	"POST /users/{email}/disable":                      "administrators only; every user is visible to them",
	"POST /api/v1/parties":                             "creates an organisation",
	"POST /api/v1/parties/import":                      "imports organisations",
	"POST /parties":                                    "creates an organisation",
	"POST /api/v1/arrangements":                        "creates an arrangement",
	"POST /api/v1/arrangements/import":                 "imports arrangements",
	"POST /arrangements":                               "creates an arrangement",
	"POST /arrangements/import":                        "imports arrangements",
	"POST /api/v1/catalogue/models":                    "creates a model",
	"POST /api/v1/catalogue/import":                    "imports the catalogue",
	"POST /catalogue":                                  "creates a model",
	"POST /catalogue/import":                           "imports the catalogue",
	"POST /api/v1/coverage/alerts":                     "runs the alert job over everything the caller may see",
	"POST /api/v1/deliveries/{id}/retry":               "administrators only, over the whole outbox",
	"POST /deliveries/{id}/retry":                      "administrators only, over the whole outbox",
	"POST /api/v1/webhooks":                            "creates an endpoint of the caller's own organisation",
	"POST /webhooks":                                   "creates an endpoint of the caller's own organisation",
	"POST /api/v1/estate/devices":                      "imports Devices; invisible Devices in a file are tested in internal/estate (TestInvisibleDevicesAnswerAsMissing)",
	"POST /api/v1/estate/churn":                        "imports changes; invisible Devices in a file are tested in internal/estate (TestInvisibleDevicesAnswerAsMissing)",
	"POST /api/v1/estate/transfers":                    "SSC only, over a whole Supplier",
	"POST /estate/import/devices":                      "imports Devices (as the API route)",
	"POST /estate/import/churn":                        "imports changes (as the API route)",
	"POST /api/v1/reports/monthly":                     "runs a month's reports",
	"POST /api/v1/reports/standing":                    "runs a month's standing report",
	"POST /reports/monthly":                            "runs a month's reports",
	"POST /reports/standing":                           "runs a month's standing report",
	"POST /api/v1/vulnerabilities":                     "reports a vulnerability",
	"POST /api/v1/vulnerabilities/import":              "imports an advisory",
	"POST /vulnerabilities":                            "reports a vulnerability",
	"POST /vulnerabilities/import":                     "imports an advisory",
	"POST /inbox/read":                                 "marks the caller's own notices read; others' ids are ignored",
	"POST /api/v1/meetings":                            "plans a meeting (SSC and secretariat)",
	"POST /api/v1/standing-items":                      "records a standing item of the caller's own organisation",
	"PUT /api/v1/pseudonyms/{code}":                    "SSC and secretariat only, who see every organisation: there is no invisible party to compare",
	"PUT /api/v1/sec/releases":                         "replaces the SEC release table (secretariat), a WHITE record",
	"POST /api/v1/sec/modifications/{ref}/events":      "moves a modification on in the register, which every signed-in user may read (GREEN)",
	"POST /api/v1/assessments":                         "plans an assessment (SSC and secretariat, who see every organisation)",
	"POST /assessments":                                "plans an assessment (as the API route)",
	"POST /api/v1/assessment-plan/overrides":           "overrides the forward plan for a party (SSC and secretariat only, who see every organisation: there is no invisible party to compare)",
	"POST /assessments/plan/overrides":                 "overrides the forward plan (as the API route)",
	"POST /api/v1/questionnaire-templates":             "publishes a new version of the questionnaire (SSC and secretariat)",
	"POST /api/v1/risks":                               "adds a risk (SSC and secretariat)",
	"POST /risks":                                      "adds a risk (as the API route)",
	"PUT /api/v1/risk-definitions/likelihoods/{level}": "changes a Likelihood Definition, a fixed scale level every reader of the register sees (SSC and secretariat)",
	"PUT /api/v1/risk-definitions/bands/{name}":        "changes a scoring band, a fixed band every reader of the register sees (SSC and secretariat)",
	"POST /risks/likelihoods/{level}":                  "changes a Likelihood Definition (as the API route)",
	"POST /api/v1/triage/facilities":                   "applies for a Triage Facility of the caller's own organisation",
	"POST /triage/facilities":                          "applies for a Triage Facility (as the API route)",
}

// TestEveryWriteRouteAnswersInvisibleAsMissing tries every write route (POST,
// PUT, PATCH, DELETE in the route table), as every viewer, on every seeded
// record that viewer may not see, and the same call on a record that does
// not exist: the two answers must be the same in status and body (the key
// aside), and neither may write anything (audit records, notices). A write
// route without a case fails, as read routes do.
func TestEveryWriteRouteAnswersInvisibleAsMissing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			counts := func() [2]int {
				var c [2]int
				for i, table := range []string{"audit_log", "notices"} {
					if err := w.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&c[i]); err != nil {
						t.Fatal(err)
					}
				}
				return c
			}
			pairs := 0
			for _, rt := range w.srv.Routes() {
				if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
					continue
				}
				vc := visibilityCases[rt.Pattern()]
				if vc.calls == nil {
					continue // exempt with a reason (TestEveryRouteWithEveryRole checks it)
				}
				type aimed struct {
					call
					target
				}
				var marked []aimed
				for _, c := range vc.calls(w) {
					if tg, ok := w.targets[c.Method+" "+c.Path]; ok {
						marked = append(marked, aimed{c, tg})
					}
				}
				if why := writeNoRecord[rt.Pattern()]; len(marked) == 0 && why == "" {
					t.Errorf("write route %s names no seeded record: name records with each or eachID (and give their kind a missingKeys entry), or say in writeNoRecord why it names none", rt.Pattern())
					continue
				} else if len(marked) > 0 && why != "" {
					t.Errorf("write route %s names records but writeNoRecord says %q", rt.Pattern(), why)
				}
				for _, c := range marked {
					rec := w.records[c.Marker]
					for _, v := range w.viewers {
						if sec.CanSee(v.Caller.Viewer(), rec.Class, rec.Aud) {
							continue
						}
						before := counts()
						sInv, bInv := w.do(v, c.Method, c.Path, c.Body)
						afterInv := counts()
						sMis, bMis := w.do(v, c.Method, c.Missing, c.Body)
						afterMis := counts()
						pairs++
						if afterInv != before || afterMis != afterInv {
							t.Errorf("%s %s as %s wrote: audit and notices %v, %v after the invisible record, %v after the missing one",
								c.Method, c.Path, v.Name, before, afterInv, afterMis)
						}
						nInv, nMis := normalise(bInv, c.Path, c.Missing), normalise(bMis, c.Missing, c.Path)
						if sInv != sMis || nInv != nMis {
							at := 0
							for at < len(nInv) && at < len(nMis) && nInv[at] == nMis[at] {
								at++
							}
							from := max(0, at-200)
							t.Errorf("%s %s as %s (may not see %s): the answer differs from a missing record's, at byte %d:\n  invisible %d: …%.400s\n  missing   %d: …%.400s",
								c.Method, c.Path, v.Name, c.Marker, at, sInv, nInv[from:], sMis, nMis[from:])
						}
					}
				}
			}
			if pairs < 100 {
				t.Errorf("only %d pairs compared", pairs)
			}
			t.Logf("%d invisible-or-missing pairs compared", pairs)
		})
	}
}

var requestIDs = regexp.MustCompile(`\b[0-9a-f]{16}\b`)

// normalise takes out of a body what differs between a call and its twin
// naming another record: the path segments (keys) where the two paths differ,
// in any case, and request ids.
func normalise(body, path, twin string) string {
	strip := func(p string) []string {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return strings.Split(p, "/")
	}
	body = requestIDs.ReplaceAllString(body, "ID")
	a, b := strip(path), strip(twin)
	for i := range a {
		if i < len(b) && a[i] != b[i] {
			// The key as a word of its own (not the 8 of utf-8, nor the 1
			// of scale=1), as sent or upper-cased.
			for _, k := range []string{a[i], strings.ToUpper(a[i])} {
				body = regexp.MustCompile(`(^|[\s/"'>(])`+regexp.QuoteMeta(k)+`($|[\s/"'<),.?&])`).ReplaceAllString(body, "${1}KEY${2}")
			}
		}
	}
	return body
}
