package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/listing"
)

// impracticableRoutes are the records by which a Supplier says an
// arrangement with a manufacturer is not practicable (G3.20 "wherever it is
// practicable"), and the SSC's decisions on them: API and pages.
func (s *Server) impracticableRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/impracticabilities", Name: "listImpracticabilities", Summary: "Records that an arrangement is not practicable, as the caller may see them (RED: the Supplier's people cleared for RED and the SSC), newest first: " +
			"paged, sorted, filtered, exported as CSV or JSON. Since issue 15 the answer is the page {items, total, next_cursor} (formerly a bare array).",
			Tag: "arrangements", API: true, Params: listParams(impracticable.ListSpec), Response: listing.Page[impracticable.Record]{}, Handle: s.apiListImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities", Name: "recordImpracticability", Summary: "A Supplier records why an arrangement with a manufacturer is not practicable (a user cleared for RED).",
			Tag: "arrangements", API: true, Request: impracticable.NewRecord{}, Response: impracticable.Record{}, Status: http.StatusCreated, Handle: s.apiCreateImpracticable},
		{Method: "GET", Path: "/api/v1/impracticabilities/{ref}", Name: "getImpracticability", Summary: "One record with its evidence files and the moves open to the caller.",
			Tag: "arrangements", API: true, Response: impracticable.Record{}, Handle: s.apiGetImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities/{ref}/transitions", Name: "moveImpracticability", Summary: "Move a record on (sec.ImpracticableLifecycle): the SSC accepts or rejects it with a note; the Supplier withdraws it.",
			Tag: "arrangements", API: true, Request: impracticable.Move{}, Response: impracticable.Record{}, Handle: s.apiMoveImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities/{ref}/evidence", Name: "addImpracticabilityEvidence", Summary: "Attach an evidence file (" + evidence.AcceptedTypes + "); the body is the file, ?name= its name.",
			Tag: "arrangements", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name", Required: true}},
			Response: evidence.Stored{}, Status: http.StatusCreated, Handle: s.apiAddImpracticableEvidence},
		{Method: "GET", Path: "/api/v1/impracticabilities/{ref}/evidence/{id}", Name: "getImpracticabilityEvidence", Summary: "Download an evidence file.",
			Tag: "arrangements", API: true, Handle: s.downloadImpracticableEvidence},

		{Method: "GET", Path: "/impracticabilities", Name: "impracticabilitiesPage", Summary: "Records that an arrangement is not practicable.", Tag: "ui", Handle: s.impracticabilitiesPage},
		{Method: "POST", Path: "/impracticabilities", Name: "recordImpracticabilityForm", Summary: "Record that an arrangement is not practicable.", Tag: "ui", Handle: s.createImpracticableForm},
		{Method: "GET", Path: "/impracticabilities/{ref}", Name: "impracticabilityPage", Summary: "One record.", Tag: "ui", Handle: s.impracticabilityPage},
		{Method: "POST", Path: "/impracticabilities/{ref}/transitions", Name: "moveImpracticabilityForm", Summary: "Accept, reject or withdraw a record.", Tag: "ui", Handle: s.moveImpracticableForm},
		{Method: "POST", Path: "/impracticabilities/{ref}/evidence", Name: "addImpracticabilityEvidenceForm", Summary: "Attach evidence.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.addImpracticableEvidenceForm},
		{Method: "GET", Path: "/impracticabilities/{ref}/evidence/{id}", Name: "impracticabilityEvidencePage", Summary: "Download evidence.", Tag: "ui", Handle: s.downloadImpracticableEvidence},
	}
}
