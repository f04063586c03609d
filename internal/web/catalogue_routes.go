package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) catalogueRoutes() []Route {
	filter := []Param{
		{Name: "manufacturer", Description: "the manufacturer's organisation code"},
		{Name: "type", Description: "device type: ESME, GSME, CHF, GPF, PPMID, HCALCS or IHD"},
		{Name: "generation", Description: "SMETS1 or SMETS2+"},
		{Name: "q", Description: "text in the model's code or name"},
	}
	asOf := []Param{{Name: "date", Description: "certificate statuses on this date (YYYY-MM-DD); today (UK) when absent"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/catalogue/models", Name: "listModels", Summary: "Device Models the caller may see: a page (by manufacturer and code unless sort says otherwise), filtered, with the total; format=csv or json exports every model the filters match.",
			Tag: "catalogue", API: true, Params: listParams(catalogue.ModelSpec), Response: listing.Page[catalogue.Model]{}, Handle: s.apiListModels},
		{Method: "POST", Path: "/api/v1/catalogue/models", Name: "createModel", Summary: "Add a Device Model (a manufacturer for itself; SSC and secretariat for any).",
			Tag: "catalogue", API: true, Request: catalogue.ModelInput{}, Response: catalogue.Model{}, Status: http.StatusCreated, Handle: s.apiCreateModel},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}", Name: "getModel", Summary: "A Device Model with its firmware in version order and its CPA certificates, with statuses.",
			Tag: "catalogue", API: true, Params: asOf, Response: catalogue.Model{}, Handle: s.apiGetModel},
		{Method: "PATCH", Path: "/api/v1/catalogue/models/{id}", Name: "updateModel", Summary: "Change a model's name, type, generation, hardware version or classification.",
			Tag: "catalogue", API: true, Request: catalogue.ModelUpdate{}, Response: catalogue.Model{}, Handle: s.apiUpdateModel},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}/firmware", Name: "listFirmware", Summary: "A model's firmware versions in the catalogue's version order, with certificate statuses: paged, sorted, filtered (version, status, certificate), exported as CSV or JSON. " +
			"Since issue 15 the answer {items} also carries total, next_cursor, prev_cursor, limit and sort.",
			Tag: "catalogue", API: true, Params: listParams(catalogue.FirmwareSpec, asOf...), Response: listing.Page[catalogue.Firmware]{}, Handle: s.apiListFirmware},
		{Method: "POST", Path: "/api/v1/catalogue/models/{id}/firmware", Name: "addFirmware", Summary: "Add a firmware version to a model.",
			Tag: "catalogue", API: true, Request: catalogue.FirmwareInput{}, Response: catalogue.Firmware{}, Status: http.StatusCreated, Handle: s.apiAddFirmware},
		{Method: "PATCH", Path: "/api/v1/catalogue/firmware/{id}", Name: "updateFirmware", Summary: "Set a firmware version's release date or image hash.",
			Tag: "catalogue", API: true, Request: catalogue.FirmwareUpdate{}, Response: catalogue.Firmware{}, Handle: s.apiUpdateFirmware},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}/certificates", Name: "listCertificates", Summary: "A model's CPA certificates with their statuses: paged, sorted, filtered (status, kind, firmware version), exported as CSV or JSON. " +
			"Since issue 15 the answer {items} also carries total, next_cursor, prev_cursor, limit and sort.",
			Tag: "catalogue", API: true, Params: listParams(catalogue.CertificateSpec, asOf...), Response: listing.Page[catalogue.Certificate]{}, Handle: s.apiListCertificates},
		{Method: "POST", Path: "/api/v1/catalogue/models/{id}/certificates", Name: "addCertificate", Summary: "Record a CPA certificate of a model for some of its firmware versions.",
			Tag: "catalogue", API: true, Request: catalogue.CertificateInput{}, Response: catalogue.Certificate{}, Status: http.StatusCreated, Handle: s.apiAddCertificate},
		{Method: "PATCH", Path: "/api/v1/catalogue/certificates/{id}", Name: "updateCertificate", Summary: "Change a certificate's dates, kind, conditions or firmware.",
			Tag: "catalogue", API: true, Request: catalogue.CertificateUpdate{}, Response: catalogue.Certificate{}, Handle: s.apiUpdateCertificate},
		{Method: "POST", Path: "/api/v1/catalogue/certificates/{id}/withdraw", Name: "withdrawCertificate", Summary: "Record that a certificate was withdrawn, and why (the reason is required; today unless a date is given).",
			Tag: "catalogue", API: true, Request: catalogue.Withdrawal{}, Response: catalogue.Certificate{}, Handle: s.apiWithdrawCertificate},
		{Method: "POST", Path: "/api/v1/catalogue/import", Name: "importCatalogue", Summary: "Import a catalogue CSV file (CSV or CSV.gz, streamed): all rows or none; the same file again changes nothing.",
			Tag: "catalogue", API: true, Upload: true, Scope: "import", Response: catalogue.ImportResult{},
			Params: []Param{{Name: "classification", Description: "GREEN (default), WHITE or AMBER for the models the import creates"}}, Handle: s.apiImportCatalogue},
		{Method: "GET", Path: "/api/v1/catalogue/export", Name: "exportCatalogue", Summary: "The catalogue the caller may see as a catalogue CSV file (text/csv), which imports back unchanged.",
			Tag: "catalogue", API: true, Params: filter, Handle: s.apiExportCatalogue},
		{Method: "GET", Path: "/api/v1/catalogue/cert-report", Name: "certificateReport", Summary: "Installed Devices on expired, overdue, withdrawn or conditional certificates (or none): the totals by Supplier, and a page of the rows by Supplier, model and firmware, sorted and filtered; format=csv or json exports every row the filters match.",
			Tag: "catalogue", API: true, Params: listParams(catalogue.CertReportSpec, Param{Name: "date", Description: "the report's date (YYYY-MM-DD); today (UK) when absent"}),
			Response: certReportPage{}, Handle: s.apiCertReport},

		{Method: "GET", Path: "/catalogue", Name: "cataloguePage", Summary: "The catalogue browser.", Tag: "ui", Handle: s.cataloguePage},
		{Method: "GET", Path: "/catalogue/new", Name: "newModelPage", Summary: "Add a Device Model.", Tag: "ui", Handle: s.newModelPage},
		{Method: "POST", Path: "/catalogue", Name: "createModelForm", Summary: "Add a Device Model.", Tag: "ui", Handle: s.createModelForm},
		{Method: "GET", Path: "/catalogue/models/{id}", Name: "modelPage", Summary: "A Device Model, its firmware and certificates.", Tag: "ui", Handle: s.modelPage},
		{Method: "POST", Path: "/catalogue/models/{id}", Name: "updateModelForm", Summary: "Change a Device Model.", Tag: "ui", Handle: s.updateModelForm},
		{Method: "POST", Path: "/catalogue/models/{id}/firmware", Name: "addFirmwareForm", Summary: "Add a firmware version.", Tag: "ui", Handle: s.addFirmwareForm},
		{Method: "POST", Path: "/catalogue/firmware/{id}", Name: "updateFirmwareForm", Summary: "Change a firmware version.", Tag: "ui", Handle: s.updateFirmwareForm},
		{Method: "POST", Path: "/catalogue/models/{id}/certificates", Name: "addCertificateForm", Summary: "Record a CPA certificate.", Tag: "ui", Handle: s.addCertificateForm},
		{Method: "POST", Path: "/catalogue/certificates/{id}", Name: "updateCertificateForm", Summary: "Change a CPA certificate.", Tag: "ui", Handle: s.updateCertificateForm},
		{Method: "POST", Path: "/catalogue/certificates/{id}/withdraw", Name: "withdrawCertificateForm", Summary: "Withdraw a CPA certificate.", Tag: "ui", Handle: s.withdrawCertificateForm},
		{Method: "GET", Path: "/catalogue/import", Name: "importCataloguePage", Summary: "Import a catalogue file.", Tag: "ui", Handle: s.importCataloguePage},
		{Method: "POST", Path: "/catalogue/import", Name: "importCatalogueForm", Summary: "Import a catalogue file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.importCatalogueForm},
		{Method: "GET", Path: "/catalogue/cert-report", Name: "certReportPage", Summary: "Devices on bad certificates, by Supplier.", Tag: "ui", Handle: s.certReportPage},
	}
}
