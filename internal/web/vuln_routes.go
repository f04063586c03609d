package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/vuln"
)

func (s *Server) vulnRoutes() []Route {
	importParams := []Param{{Name: "dry_run", Description: "true to map the advisory without recording it"},
		{Name: "manufacturer", Description: "the manufacturer's code, when the advisory names several"},
		{Name: "material", Description: "true or false to judge it at once"}, {Name: "rationale", Description: "why (required with material)"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/vulnerabilities", Name: "listVulnerabilities", Summary: "Vulnerabilities the caller may see, with counts over the recipient rows it may see: paged, sorted, filtered, exportable.",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.ListSpec), Response: listing.Page[vuln.Summary]{}, Handle: s.apiListVulns},
		{Method: "POST", Path: "/api/v1/vulnerabilities", Name: "reportVulnerability", Summary: "Report a vulnerability (manufacturers, Suppliers, the DCC, the SSC); it is fanned out at once.",
			Tag: "vulnerabilities", API: true, Request: vuln.NewVulnerability{}, Response: vuln.Vulnerability{}, Status: http.StatusCreated, Handle: s.apiReportVuln},
		{Method: "POST", Path: "/api/v1/vulnerabilities/import", Name: "importCSAF", Summary: "Import a manufacturer's CSAF 2.0 advisory as a vulnerability (at most 5 MiB).",
			Tag: "vulnerabilities", API: true, Upload: true, Scope: "import", Params: importParams, Response: vuln.ImportResult{}, Handle: s.apiImportCSAF},
		{Method: "GET", Path: "/api/v1/vulnerabilities/overview", Name: "vulnerabilityOverview", Summary: "The SSC's overview: open, overdue and unacknowledged.",
			Tag: "vulnerabilities", API: true, Response: vuln.Overview{}, Handle: s.apiVulnOverview},
		{Method: "GET", Path: "/api/v1/vulnerabilities/inbox", Name: "vulnerabilityInbox", Summary: "The vulnerabilities the caller's organisation was told of, with what it still owes: paged, sorted, filtered (acknowledged, awaiting, seen), exportable.",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.InboxSpec), Response: vuln.InboxPage{}, Handle: s.apiVulnInbox},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}", Name: "getVulnerability", Summary: "One vulnerability; opening it marks it seen for a recipient.",
			Tag: "vulnerabilities", API: true, Response: vuln.Vulnerability{}, Handle: s.apiGetVuln},
		{Method: "PATCH", Path: "/api/v1/vulnerabilities/{ref}", Name: "updateVulnerability", Summary: "Change a vulnerability (reporter, manufacturer, SSC), with a reason; re-runs the fan-out.",
			Tag: "vulnerabilities", API: true, Request: vuln.Update{}, Response: vuln.Vulnerability{}, Handle: s.apiUpdateVuln},
		{Method: "POST", Path: "/api/v1/vulnerabilities/{ref}/events", Name: "vulnerabilityEvent", Summary: "Move a vulnerability on its lifecycle (GET /api/v1/vulnerabilities/{ref} lists the events the caller may fire).",
			Tag: "vulnerabilities", API: true, Request: vuln.TransitionInput{}, Response: vuln.Vulnerability{}, Handle: s.apiVulnEvent},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/recipients", Name: "listRecipients", Summary: "Who was told, as the caller may see it: a Supplier its own row only. Paged, sorted, filtered, exportable.",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.RecipientSpec), Response: listing.Page[vuln.Recipient]{}, Handle: s.apiVulnRecipients},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/timeline", Name: "vulnerabilityTimeline", Summary: "The vulnerability's history as the caller may see it, newest first, a page at a time with the total; filtered by kind of entry and days, exported as CSV or JSON. Since issue 15 in the paging envelope.",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.TimelineSpec), Response: listing.Page[vuln.Event]{}, Handle: s.apiVulnTimeline},
		{Method: "POST", Path: "/api/v1/vulnerabilities/{ref}/acknowledgement", Name: "acknowledgeVulnerability", Summary: "Acknowledge for the caller's organisation, with a statement.",
			Tag: "vulnerabilities", API: true, Request: vuln.AckInput{}, Response: vuln.Recipient{}, Handle: s.apiVulnAck},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/plans", Name: "listPlans", Summary: "A vulnerability's rectification plans: the caller's own, or all for the SSC, a page at a time with the total, each with its revisions; sortable, filtered, exported as CSV or JSON (without revisions). Since issue 15 in the paging envelope.",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.PlanSpec), Response: listing.Page[vuln.Plan]{}, Handle: s.apiVulnPlans},
		{Method: "PUT", Path: "/api/v1/vulnerabilities/{ref}/plan", Name: "savePlan", Summary: "Write the caller's organisation's rectification plan (draft), and submit it to the SSC with submit=true.",
			Tag: "vulnerabilities", API: true, Request: vuln.PlanInput{}, Response: vuln.Plan{}, Handle: s.apiSavePlan},
		{Method: "POST", Path: "/api/v1/vulnerabilities/{ref}/plans/{id}/events", Name: "planEvent", Summary: "Move a rectification plan on: submit, revise, complete (owner); note, agree (SSC).",
			Tag: "vulnerabilities", API: true, Request: vuln.PlanEventInput{}, Response: vuln.Plan{}, Handle: s.apiPlanEvent},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/csaf", Name: "exportCSAF", Summary: "The vulnerability as a CSAF 2.0 security advisory.",
			Tag: "vulnerabilities", API: true, Handle: s.exportCSAF},

		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/recipients/summary", Name: "recipientSummary", Summary: "The recipients the caller may see, counted: told, acknowledged, affected, not affected, under investigation, awaited, overdue (awaited past the reminder cycle), deliveries pending or failed.",
			Tag: "vulnerabilities", API: true, Response: vuln.RecipientSummary{}, Handle: s.apiRecipientSummary},
		{Method: "GET", Path: "/api/v1/vulnerabilities/{ref}/devices", Name: "exportAffectedDevices", Summary: "A Supplier told of the vulnerability: its own installed Devices on the affected firmware, as CSV (text/csv), streamed.",
			Tag: "vulnerabilities", API: true, Handle: s.exportAffectedDevices},

		{Method: "GET", Path: "/vulnerabilities", Name: "vulnsPage", Summary: "Vulnerabilities.", Tag: "ui", Handle: s.vulnsPage},
		{Method: "GET", Path: "/vulnerabilities/new", Name: "newVulnPage", Summary: "Report a vulnerability.", Tag: "ui", Handle: s.newVulnPage},
		{Method: "POST", Path: "/vulnerabilities", Name: "reportVulnForm", Summary: "Report a vulnerability.", Tag: "ui", Handle: s.reportVulnForm},
		{Method: "POST", Path: "/vulnerabilities/import", Name: "importCSAFForm", Summary: "Import a CSAF advisory.", Tag: "ui", Upload: true, Scope: "import", Handle: s.importCSAFForm},
		{Method: "GET", Path: "/vulnerabilities/overview", Name: "vulnOverviewPage", Summary: "The SSC's overview.", Tag: "ui", Handle: s.vulnOverviewPage},
		{Method: "GET", Path: "/inbox", Name: "inboxPage", Summary: "What the organisation was told and still owes.", Tag: "ui", Handle: s.inboxPage},
		{Method: "POST", Path: "/inbox/read", Name: "markAllReadForm", Summary: "Mark every notice read.", Tag: "ui", Handle: s.markAllReadForm},
		{Method: "GET", Path: "/inbox/{id}", Name: "openNotice", Summary: "Open a notice: mark it read and go to what it is about.", Tag: "ui", Handle: s.openNotice},
		{Method: "GET", Path: "/vulnerabilities/{ref}", Name: "vulnPage", Summary: "A vulnerability.", Tag: "ui", Handle: s.vulnPage},
		{Method: "GET", Path: "/vulnerabilities/{ref}/edit", Name: "editVulnPage", Summary: "Change a vulnerability.", Tag: "ui", Handle: s.editVulnPage},
		{Method: "POST", Path: "/vulnerabilities/{ref}/edit", Name: "updateVulnForm", Summary: "Change a vulnerability.", Tag: "ui", Handle: s.updateVulnForm},
		{Method: "POST", Path: "/vulnerabilities/{ref}/events", Name: "vulnEventForm", Summary: "Move a vulnerability on.", Tag: "ui", Handle: s.vulnEventForm},
		{Method: "POST", Path: "/vulnerabilities/{ref}/acknowledge", Name: "ackForm", Summary: "Acknowledge.", Tag: "ui", Handle: s.ackForm},
		{Method: "POST", Path: "/vulnerabilities/{ref}/plan", Name: "planForm", Summary: "Write or submit the rectification plan.", Tag: "ui", Handle: s.planForm},
		{Method: "POST", Path: "/vulnerabilities/{ref}/plans/{id}/events", Name: "planEventForm", Summary: "Move a rectification plan on.", Tag: "ui", Handle: s.planEventForm},
		{Method: "GET", Path: "/vulnerabilities/{ref}/devices.csv", Name: "downloadAffectedDevices", Summary: "Download the Supplier's own affected Devices as CSV.", Tag: "ui", Handle: s.exportAffectedDevices},
		{Method: "GET", Path: "/vulnerabilities/{ref}/csaf", Name: "downloadCSAF", Summary: "Download the CSAF advisory.", Tag: "ui", Handle: s.exportCSAF},
	}
}
