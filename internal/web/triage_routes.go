package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/triage"
)

func (s *Server) triageRoutes() []Route {
	page := []Param{
		{Name: "before", Description: "entries numbered below this (the next of the previous page)"},
		{Name: "limit", Description: "entries a page, at most 1000 (default 100)"},
		{Name: "device", Description: "only this Device's entries"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/triage/facilities", Name: "listTriageFacilities", Summary: "Triage Facilities the caller may see: a provider its own, the SSC all.",
			Tag: "triage", API: true, Response: listOf([]triage.Facility{}), Handle: s.apiTriageFacilities},
		{Method: "POST", Path: "/api/v1/triage/facilities", Name: "applyTriageFacility", Summary: "Apply for a Triage Facility (MP203): it may record nothing until the SSC approves it after an initial FUSA.",
			Tag: "triage", API: true, Request: triage.NewFacility{}, Response: triage.Facility{}, Status: http.StatusCreated, Handle: s.apiApplyFacility},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}", Name: "getTriageFacility", Summary: "A Triage Facility with its status and linked assessment.",
			Tag: "triage", API: true, Response: triage.Facility{}, Handle: s.apiTriageFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/decisions", Name: "decideTriageFacility", Summary: "Move a facility on by its lifecycle: the SSC's decision on the initial FUSA, the provider starting operation, a suspension.",
			Tag: "triage", API: true, Request: triage.Decision{}, Response: triage.Facility{}, Handle: s.apiDecideFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/policy", Name: "setTriageBreachPolicy", Summary: "Whether a breached tamper boundary blocks triage without a recorded reason (block, the default) or not (allow).",
			Tag: "triage", API: true, Request: policyIn{}, Response: triage.Facility{}, Handle: s.apiSetBreachPolicy},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/tools", Name: "listTriageTools", Summary: "A facility's Triage Tools and Interfaces, their operators and uses.",
			Tag: "triage", API: true, Response: listOf([]triage.Tool{}), Handle: s.apiTriageTools},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/tools", Name: "registerTriageTool", Summary: "Register a Triage Tool or Interface with the operators allowed on it.",
			Tag: "triage", API: true, Request: triage.ToolInput{}, Response: triage.Tool{}, Status: http.StatusCreated, Handle: s.apiRegisterTool},
		{Method: "POST", Path: "/api/v1/triage/tools/{id}/operators", Name: "grantTriageTool", Summary: "Allow a user of the provider to use a Triage Tool or Interface.",
			Tag: "triage", API: true, Request: operatorIn{}, Response: triage.Tool{}, Handle: s.apiGrantOperator},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/entries", Name: "listTriageEntries", Summary: "A facility's record, newest first, paged by number.",
			Tag: "triage", API: true, Params: page, Response: triage.EntryPage{}, Handle: s.apiTriageEntries},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/entries", Name: "recordTriageActivity", Summary: "Record the next Triage Activity on a Device, as the calling operator, with the tool and interface used.",
			Tag: "triage", API: true, Request: triage.StepInput{}, Response: triage.Entry{}, Status: http.StatusCreated, Handle: s.apiRecordStep},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/intake", Name: "triageIntake", Summary: "Receive a batch of Devices from a CSV file (device_id,received_from,tool,interface): all rows or none.",
			Tag: "triage", API: true, Upload: true, Scope: "import", Response: triage.IntakeResult{}, Handle: s.apiTriageIntake},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/verify", Name: "verifyTriageRecord", Summary: "Check the facility's record chain for edits, deletions and reorders.",
			Tag: "triage", API: true, Response: triage.Report{}, Handle: s.apiVerifyTriage},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/report", Name: "triageFacilityReport", Summary: "A facility's throughput by step, Devices by outcome, seals issued and breaches with reasons.",
			Tag: "triage", API: true, Response: triage.FacilityReport{}, Handle: s.apiTriageReport},
		{Method: "GET", Path: "/api/v1/triage/overview", Name: "triageOverview", Summary: "Every facility's report the caller may see: the SSC's view across facilities.",
			Tag: "triage", API: true, Response: listOf([]triage.FacilityReport{}), Handle: s.apiTriageOverview},
		{Method: "GET", Path: "/api/v1/triage/outcomes", Name: "triageOutcomes", Summary: "Triage outcomes by model, with no Supplier named: a manufacturer's own models, or all for the SSC.",
			Tag: "triage", API: true, Response: listOf([]triage.ModelOutcome{}), Handle: s.apiTriageOutcomes},
		{Method: "GET", Path: "/api/v1/triage/devices/{id}", Name: "getTriageHistory", Summary: "A Device's triage history as the caller may see it: its facility's provider, the Supplier that sent it (its own Devices only), the SSC.",
			Tag: "triage", API: true, Response: triage.History{}, Handle: s.apiTriageHistory},

		{Method: "GET", Path: "/triage", Name: "triagePage", Summary: "Triage Facilities, outcomes and a Device lookup.", Tag: "ui", Handle: s.triagePage},
		{Method: "POST", Path: "/triage/facilities", Name: "applyFacilityForm", Summary: "Apply for a facility.", Tag: "ui", Handle: s.applyFacilityForm},
		{Method: "GET", Path: "/triage/facilities/{id}", Name: "facilityPage", Summary: "A facility: status, decisions, tools, report and record.", Tag: "ui", Handle: s.facilityPage},
		{Method: "POST", Path: "/triage/facilities/{id}/decisions", Name: "decideFacilityForm", Summary: "Record a decision on a facility.", Tag: "ui", Handle: s.decideFacilityForm},
		{Method: "POST", Path: "/triage/facilities/{id}/tools", Name: "registerToolForm", Summary: "Register a Triage Tool or Interface.", Tag: "ui", Handle: s.registerToolForm},
		{Method: "POST", Path: "/triage/facilities/{id}/intake", Name: "intakeForm", Summary: "Receive a batch of Devices from a CSV file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.intakeForm},
		{Method: "GET", Path: "/triage/facilities/{id}/scan", Name: "scanPage", Summary: "The scanning workflow: a Device's history and its next step in one form.", Tag: "ui", Handle: s.scanPage},
		{Method: "POST", Path: "/triage/facilities/{id}/scan", Name: "scanForm", Summary: "Record a Device's next step.", Tag: "ui", Handle: s.scanForm},
		{Method: "GET", Path: "/triage/devices/{id}", Name: "triageDevicePage", Summary: "A Device's triage history.", Tag: "ui", Handle: s.triageDevicePage},
	}
}
