package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/party"
)

func (s *Server) partyRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/parties", Name: "listParties", Summary: "Organisations the caller may see, by name, a page at a time, with the total; sortable, filtered by role and marking, exported as CSV or JSON. " +
			"Since issue 15 the page is {items, total, next_cursor, …}; role still takes a role's label as well as its code.", Tag: "parties",
			API: true, Params: listParams(party.ListSpec), Response: listing.Page[party.Party]{}, Handle: s.apiListParties},
		{Method: "POST", Path: "/api/v1/parties", Name: "createParty", Summary: "Register an organisation (SSC and secretariat).",
			Tag: "parties", API: true, Request: party.NewParty{}, Response: party.Party{}, Status: http.StatusCreated, Handle: s.apiCreateParty},
		{Method: "POST", Path: "/api/v1/parties/import", Name: "importParties", Summary: "Import a parties CSV file (code,name,roles,contact_name,contact_email,contact_phone): all rows or none.",
			Tag: "parties", API: true, Upload: true, Scope: "import", Response: party.ImportResult{}, Handle: s.apiImportParties},
		{Method: "GET", Path: "/api/v1/parties/{code}", Name: "getParty", Summary: "One organisation with its current security contacts.",
			Tag: "parties", API: true, Response: party.Party{}, Handle: s.apiGetParty},
		{Method: "PATCH", Path: "/api/v1/parties/{code}", Name: "updateParty", Summary: "Change an organisation's name, roles or classification (SSC and secretariat).",
			Tag: "parties", API: true, Request: party.Update{}, Response: party.Party{}, Handle: s.apiUpdateParty},
		{Method: "GET", Path: "/api/v1/parties/{code}/contacts", Name: "listContacts", Summary: "Security contacts; with history=true every past contact too.",
			Tag: "parties", API: true, Params: []Param{{Name: "history", Description: "true to include past contacts"}},
			Response: listOf([]party.Contact{}), Handle: s.apiListContacts},
		{Method: "PUT", Path: "/api/v1/parties/{code}/contacts/{label}", Name: "setContact", Summary: "Set the security contact under a label; the previous one is kept in the history.",
			Tag: "parties", API: true, Request: party.ContactInput{}, Response: party.Contact{}, Handle: s.apiSetContact},
		{Method: "DELETE", Path: "/api/v1/parties/{code}/contacts/{label}", Name: "removeContact", Summary: "End the security contact under a label.",
			Tag: "parties", API: true, Status: http.StatusNoContent, Handle: s.apiRemoveContact},

		{Method: "GET", Path: "/parties", Name: "partiesPage", Summary: "The directory.", Tag: "ui", Handle: s.partiesPage},
		{Method: "GET", Path: "/parties/new", Name: "newPartyPage", Summary: "Register an organisation.", Tag: "ui", Handle: s.newPartyPage},
		{Method: "POST", Path: "/parties", Name: "createPartyForm", Summary: "Register an organisation.", Tag: "ui", Handle: s.createPartyForm},
		{Method: "GET", Path: "/parties/{code}", Name: "partyPage", Summary: "An organisation.", Tag: "ui", Handle: s.partyPage},
		{Method: "POST", Path: "/parties/{code}", Name: "updatePartyForm", Summary: "Change an organisation.", Tag: "ui", Handle: s.updatePartyForm},
		{Method: "POST", Path: "/parties/{code}/contacts", Name: "setContactForm", Summary: "Set a security contact.", Tag: "ui", Handle: s.setContactForm},
		{Method: "POST", Path: "/parties/{code}/contacts/{label}/remove", Name: "removeContactForm", Summary: "End a security contact.", Tag: "ui", Handle: s.removeContactForm},
	}
}
