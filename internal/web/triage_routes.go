package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/triage"
)

func (s *Server) triageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/triage/facilities", Name: "listTriageFacilities", Summary: "Triage Facilities the caller may see (a provider its own, the SSC all), a page at a time with the total; sorted, filtered, exported as CSV or JSON. " +
			"Since issue 15 the answer is the page envelope {items, total, next_cursor} (formerly {items}).",
			Tag: "triage", API: true, Params: listParams(triage.FacilitySpec), Response: listing.Page[triage.Facility]{}, Handle: s.apiTriageFacilities},
		{Method: "POST", Path: "/api/v1/triage/facilities", Name: "applyTriageFacility", Summary: "Apply for a Triage Facility (MP203): it may record nothing until the SSC approves it after an initial FUSA.",
			Tag: "triage", API: true, Request: triage.NewFacility{}, Response: triage.Facility{}, Status: http.StatusCreated, Handle: s.apiApplyFacility},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}", Name: "getTriageFacility", Summary: "A Triage Facility with its status and linked assessment.",
			Tag: "triage", API: true, Response: triage.Facility{}, Handle: s.apiTriageFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/decisions", Name: "decideTriageFacility", Summary: "Move a facility on by its lifecycle: the SSC's decision on the initial FUSA, the provider starting operation, a suspension.",
			Tag: "triage", API: true, Request: triage.Decision{}, Response: triage.Facility{}, Handle: s.apiDecideFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/policy", Name: "setTriageBreachPolicy", Summary: "Whether a breached tamper boundary blocks triage without a recorded reason (block, the default) or not (allow).",
			Tag: "triage", API: true, Request: policyIn{}, Response: triage.Facility{}, Handle: s.apiSetBreachPolicy},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/tools", Name: "listTriageTools", Summary: "A facility's Triage Tools and Interfaces, their operators and uses, a page at a time; sorted, filtered, exported as CSV or JSON.",
			Tag: "triage", API: true, Params: listParams(triage.ToolSpec), Response: listing.Page[triage.Tool]{}, Handle: s.apiTriageTools},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/tools", Name: "registerTriageTool", Summary: "Register a Triage Tool or Interface with the operators allowed on it.",
			Tag: "triage", API: true, Request: triage.ToolInput{}, Response: triage.Tool{}, Status: http.StatusCreated, Handle: s.apiRegisterTool},
		{Method: "POST", Path: "/api/v1/triage/tools/{id}/operators", Name: "grantTriageTool", Summary: "Allow a user of the provider to use a Triage Tool or Interface.",
			Tag: "triage", API: true, Request: operatorIn{}, Response: triage.Tool{}, Handle: s.apiGrantOperator},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/entries", Name: "listTriageEntries", Summary: "A facility's record, newest first, a page at a time with the total; sorted, filtered by step, state, Device, Supplier, model and day, exported as CSV or JSON (streamed: a record may hold a million entries). " +
			"Since issue 15 the page is {items, total, next_cursor} (formerly {entries, total, next}); the former before parameter still works in the default order.",
			Tag: "triage", API: true, Params: listParams(triage.EntrySpec), Response: listing.Page[triage.Entry]{}, Handle: s.apiTriageEntries},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/entries", Name: "recordTriageActivity", Summary: "Record the next Triage Activity on a Device, as the calling operator, with the tool and interface used.",
			Tag: "triage", API: true, Request: triage.StepInput{}, Response: triage.Entry{}, Status: http.StatusCreated, Handle: s.apiRecordStep},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/intake", Name: "triageIntake", Summary: "Receive a batch of Devices from a CSV file (device_id,received_from,tool,interface): all rows or none.",
			Tag: "triage", API: true, Upload: true, Scope: "import", Response: triage.IntakeResult{}, Handle: s.apiTriageIntake},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/verify", Name: "verifyTriageRecord", Summary: "Check the facility's record chain for edits, deletions and reorders.",
			Tag: "triage", API: true, Response: triage.Report{}, Handle: s.apiVerifyTriage},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/report", Name: "triageFacilityReport", Summary: "A facility's throughput by step, Devices by outcome, seals issued and breaches with reasons.",
			Tag: "triage", API: true, Response: triage.FacilityReport{}, Handle: s.apiTriageReport},
		{Method: "GET", Path: "/api/v1/triage/overview", Name: "triageOverview", Summary: "The report of each facility the caller may see, a page of the facility list at a time (its filters and sorts): the SSC's view across facilities; exported as CSV or JSON.",
			Tag: "triage", API: true, Params: listParams(triage.FacilitySpec), Response: listing.Page[triage.FacilityReport]{}, Handle: s.apiTriageOverview},
		{Method: "GET", Path: "/api/v1/triage/outcomes", Name: "triageOutcomes", Summary: "Triage outcomes by model, with no Supplier named: a manufacturer's own models, or all for the SSC; a page at a time, sorted, filtered, exported as CSV or JSON.",
			Tag: "triage", API: true, Params: listParams(triage.OutcomeSpec), Response: listing.Page[triage.ModelOutcome]{}, Handle: s.apiTriageOutcomes},
		{Method: "GET", Path: "/api/v1/triage/devices", Name: "listTriageDevices", Summary: "Devices in triage and where each stands now, as the caller may see them (a provider its facilities', a Supplier its own, the SSC all); a page at a time, sorted, filtered, exported as CSV or JSON.",
			Tag: "triage", API: true, Params: listParams(triage.DeviceSpec), Response: listing.Page[triage.Device]{}, Handle: s.apiTriageDevices},
		{Method: "GET", Path: "/api/v1/triage/devices/{id}", Name: "getTriageHistory", Summary: "A Device's triage history as the caller may see it: its facility's provider, the Supplier that sent it (its own Devices only), the SSC.",
			Tag: "triage", API: true, Response: triage.History{}, Handle: s.apiTriageHistory},

		{Method: "GET", Path: "/triage", Name: "triagePage", Summary: "Triage: a Device lookup and the ways into the lists.", Tag: "ui", Handle: s.triagePage},
		{Method: "GET", Path: "/triage/facilities", Name: "triageFacilitiesPage", Summary: "Triage Facilities, paged, sorted, filtered and exported.", Tag: "ui", Handle: s.triageFacilitiesPage},
		{Method: "GET", Path: "/triage/devices", Name: "triageDevicesPage", Summary: "Devices in triage, paged, sorted, filtered and exported.", Tag: "ui", Handle: s.triageDevicesPage},
		{Method: "GET", Path: "/triage/outcomes", Name: "triageOutcomesPage", Summary: "Triage outcomes by model, paged, sorted, filtered and exported.", Tag: "ui", Handle: s.triageOutcomesPage},
		{Method: "GET", Path: "/triage/facilities/{id}/tools", Name: "triageToolsPage", Summary: "A facility's Triage Tools and Interfaces, paged, sorted, filtered and exported.", Tag: "ui", Handle: s.triageToolsPage},
		{Method: "POST", Path: "/triage/facilities", Name: "applyFacilityForm", Summary: "Apply for a facility.", Tag: "ui", Handle: s.applyFacilityForm},
		{Method: "GET", Path: "/triage/facilities/{id}", Name: "facilityPage", Summary: "A facility: status, decisions, tools, report and its newest entries.", Tag: "ui", Handle: s.facilityPage},
		{Method: "GET", Path: "/triage/facilities/{id}/record", Name: "triageRecordPage", Summary: "A facility's record, paged, sorted, filtered and exported.", Tag: "ui", Handle: s.triageRecordPage},
		{Method: "POST", Path: "/triage/facilities/{id}/decisions", Name: "decideFacilityForm", Summary: "Record a decision on a facility.", Tag: "ui", Handle: s.decideFacilityForm},
		{Method: "POST", Path: "/triage/facilities/{id}/tools", Name: "registerToolForm", Summary: "Register a Triage Tool or Interface.", Tag: "ui", Handle: s.registerToolForm},
		{Method: "POST", Path: "/triage/facilities/{id}/intake", Name: "intakeForm", Summary: "Receive a batch of Devices from a CSV file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.intakeForm},
		{Method: "GET", Path: "/triage/facilities/{id}/scan", Name: "scanPage", Summary: "The scanning workflow: a Device's history and its next step in one form.", Tag: "ui", Handle: s.scanPage},
		{Method: "POST", Path: "/triage/facilities/{id}/scan", Name: "scanForm", Summary: "Record a Device's next step.", Tag: "ui", Handle: s.scanForm},
		{Method: "GET", Path: "/triage/devices/{id}", Name: "triageDevicePage", Summary: "A Device's triage history.", Tag: "ui", Handle: s.triageDevicePage},
	}
}
