package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) arrangementRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/arrangements", Name: "listArrangements", Summary: "G3.20 arrangements the caller may see (its own, or all for the SSC), newest first, a page at a time, with the total; sortable, filtered, exported as CSV or JSON. " +
			"Since issue 15 the page is {items, total, next_cursor, …}; kind, party and in_force_on work as before.",
			Tag: "arrangements", API: true, Params: listParams(arrangement.ListSpec), Response: listing.Page[arrangement.Arrangement]{}, Handle: s.apiListArrangements},
		{Method: "POST", Path: "/api/v1/arrangements", Name: "createArrangement", Summary: "Record an arrangement (its parties, the SSC or secretariat). A manufacturer's own SSC scheme enrolment waits for the SSC's confirmation.",
			Tag: "arrangements", API: true, Request: arrangement.Input{}, Response: arrangement.Arrangement{}, Status: http.StatusCreated, Handle: s.apiCreateArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/import", Name: "importArrangements", Summary: "Import an arrangements CSV file (" + strings.Join(arrangement.CSVHeader, ",") + "): all rows or none.",
			Tag: "arrangements", API: true, Upload: true, Scope: "import", Response: arrangement.ImportResult{}, Handle: s.apiImportArrangements},
		{Method: "GET", Path: "/api/v1/arrangements/{ref}", Name: "getArrangement", Summary: "One arrangement with its evidence files.",
			Tag: "arrangements", API: true, Response: arrangement.Arrangement{}, Handle: s.apiGetArrangement},
		{Method: "PATCH", Path: "/api/v1/arrangements/{ref}", Name: "updateArrangement", Summary: "Change an arrangement's terms (its parties, the SSC or secretariat).",
			Tag: "arrangements", API: true, Request: arrangement.Update{}, Response: arrangement.Arrangement{}, Handle: s.apiUpdateArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/confirm", Name: "confirmArrangement", Summary: "Confirm a manufacturer's SSC scheme enrolment (SSC and secretariat).",
			Tag: "arrangements", API: true, Response: arrangement.Arrangement{}, Handle: s.apiConfirmArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/end", Name: "endArrangement", Summary: "End an arrangement early, from a day (today by default).",
			Tag: "arrangements", API: true, Request: endInput{}, Response: arrangement.Arrangement{}, Handle: s.apiEndArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/evidence", Name: "addEvidence", Summary: "Attach an evidence file (" + arrangement.AcceptedTypes + "); the body is the file, ?name= its name. Typed by content; a disguised file is refused.",
			Tag: "arrangements", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name, with an extension matching its content", Required: true}},
			Response: arrangement.Evidence{}, Status: http.StatusCreated, Handle: s.apiAddEvidence},
		{Method: "GET", Path: "/api/v1/arrangements/{ref}/evidence/{id}", Name: "getEvidence", Summary: "Download an evidence file.",
			Tag: "arrangements", API: true, Handle: s.downloadEvidence},
		{Method: "GET", Path: "/api/v1/arrangement-alerts", Name: "listArrangementAlerts", Summary: "Alerts about arrangements and coverage for the caller's organisation (all, for the SSC).",
			Tag: "arrangements", API: true, Params: listParams(arrangement.AlertSpec), Response: listing.Page[arrangement.Alert]{}, Handle: s.apiListAlerts},

		{Method: "GET", Path: "/arrangements", Name: "arrangementsPage", Summary: "Arrangements.", Tag: "ui", Handle: s.arrangementsPage},
		{Method: "GET", Path: "/arrangements/new", Name: "newArrangementPage", Summary: "Record an arrangement.", Tag: "ui", Handle: s.newArrangementPage},
		{Method: "POST", Path: "/arrangements", Name: "createArrangementForm", Summary: "Record an arrangement.", Tag: "ui", Handle: s.createArrangementForm},
		{Method: "POST", Path: "/arrangements/import", Name: "importArrangementsForm", Summary: "Import arrangements.", Tag: "ui", Upload: true, Handle: s.importArrangementsForm},
		{Method: "GET", Path: "/arrangements/{ref}", Name: "arrangementPage", Summary: "An arrangement.", Tag: "ui", Handle: s.arrangementPage},
		{Method: "POST", Path: "/arrangements/{ref}", Name: "updateArrangementForm", Summary: "Change an arrangement.", Tag: "ui", Handle: s.updateArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/confirm", Name: "confirmArrangementForm", Summary: "Confirm a scheme enrolment.", Tag: "ui", Handle: s.confirmArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/end", Name: "endArrangementForm", Summary: "End an arrangement.", Tag: "ui", Handle: s.endArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/evidence", Name: "addEvidenceForm", Summary: "Attach evidence.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.addEvidenceForm},
		{Method: "GET", Path: "/arrangements/{ref}/evidence/{id}", Name: "evidencePage", Summary: "Download evidence.", Tag: "ui", Handle: s.downloadEvidence},
		{Method: "GET", Path: "/arrangement-alerts", Name: "alertsPage", Summary: "Arrangement and coverage alerts.", Tag: "ui", Handle: s.alertsPage},
	}
}
