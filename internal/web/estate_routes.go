package web

import (
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) estateRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/devices/{id}", Name: "getDevice", Summary: "A Device with its supply history (current period first) and firmware history, if the caller may see it: its Supplier, MAP, manufacturer, the DCC for SMETS2+ CHF/GPF, the SSC.",
			Tag: "estate", API: true, Response: estate.Device{}, Handle: s.apiGetDevice},
		{Method: "GET", Path: "/api/v1/devices/{id}/responsible", Name: "getResponsibleSupplier", Summary: "Who was the Device's Responsible Supplier on a day (periods include their first day, not their last).",
			Tag: "estate", API: true, Params: []Param{{Name: "date", Description: "the day (YYYY-MM-DD)", Required: true}}, Response: estate.SupplyPeriod{}, Handle: s.apiResponsibleOn},
		{Method: "POST", Path: "/api/v1/devices/{id}/firmware", Name: "setDeviceFirmware", Summary: "Record that a Device runs another catalogue firmware version of its model from a day (today by default); downgrades are recorded too.",
			Tag: "estate", API: true, Request: firmwareIn{}, Response: estate.Device{}, Handle: s.apiSetFirmware},
		{Method: "POST", Path: "/api/v1/devices/{id}/status", Name: "setDeviceStatus", Summary: "Move a Device to installed, removed, in_triage or disposed (final), as the status lifecycle allows.",
			Tag: "estate", API: true, Request: statusIn{}, Response: estate.Device{}, Handle: s.apiSetStatus},
		{Method: "POST", Path: "/api/v1/devices/{id}/supplier", Name: "changeDeviceSupplier", Summary: "Change a Device's Responsible Supplier from a day.",
			Tag: "estate", API: true, Request: supplierIn{}, Response: estate.ChurnResult{}, Handle: s.apiChangeSupplier},
		{Method: "POST", Path: "/api/v1/devices/{id}/map", Name: "changeDeviceMAP", Summary: "Record that another MAP (or none) owns a Device from a day (today by default): the owner before it is kept as a closed period, so obligations and coverage on a past day use the MAP of that day.",
			Tag: "estate", API: true, Request: mapIn{}, Response: estate.Device{}, Handle: s.apiChangeMAP},
		{Method: "POST", Path: "/api/v1/estate/devices", Name: "importDevices", Summary: "Import a devices CSV file (CSV or CSV.gz, streamed): all rows or none; the same file again adds nothing.",
			Tag: "estate", API: true, Upload: true, Scope: "import", Response: estate.ImportResult{}, Handle: s.apiImportDevices},
		{Method: "POST", Path: "/api/v1/estate/churn", Name: "importChurn", Summary: "Import a churn CSV file of changes of supplier (CSV or CSV.gz, streamed): all rows or none.",
			Tag: "estate", API: true, Upload: true, Scope: "import", Response: estate.ChurnResult{}, Handle: s.apiImportChurn},
		{Method: "POST", Path: "/api/v1/estate/transfers", Name: "transferDevices", Summary: "Move every Device of a failed Supplier to a Supplier of Last Resort on one day.",
			Tag: "estate", API: true, Request: transferIn{}, Response: estate.TransferResult{}, Handle: s.apiTransfer},
		{Method: "GET", Path: "/api/v1/portfolio", Name: "getPortfolio", Summary: "Installed Devices by Supplier, model, firmware and MAP, as the caller may see them: a page of the portfolio aggregates (50 rows unless limit says otherwise), sorted and filtered, with the total the filters match; format=csv or json exports every row they match, streamed.",
			Tag: "estate", API: true, Params: listParams(estate.PortfolioSpec), Response: listing.Page[estate.PortfolioRow]{}, Handle: s.apiPortfolio},
		{Method: "GET", Path: "/api/v1/estate/verify", Name: "verifyEstate", Summary: "Recount the portfolio aggregates from the Devices and report drift (SSC and secretariat).",
			Tag: "estate", API: true, Response: estate.VerifyReport{}, Handle: s.apiVerifyEstate},

		{Method: "GET", Path: "/estate", Name: "estatePage", Summary: "Look up a Device; the caller's portfolio in summary.", Tag: "ui", Handle: s.estatePage},
		{Method: "GET", Path: "/devices/{id}", Name: "devicePage", Summary: "A Device, its supply timeline and firmware history.", Tag: "ui", Handle: s.devicePage},
		{Method: "POST", Path: "/devices/{id}/firmware", Name: "setFirmwareForm", Summary: "Record a Device's firmware.", Tag: "ui", Handle: s.setFirmwareForm},
		{Method: "POST", Path: "/devices/{id}/status", Name: "setStatusForm", Summary: "Change a Device's status.", Tag: "ui", Handle: s.setStatusForm},
		{Method: "POST", Path: "/devices/{id}/supplier", Name: "changeSupplierForm", Summary: "Change a Device's Responsible Supplier.", Tag: "ui", Handle: s.changeSupplierForm},
		{Method: "POST", Path: "/devices/{id}/map", Name: "changeMAPForm", Summary: "Record a Device's new MAP.", Tag: "ui", Handle: s.changeMAPForm},
		{Method: "GET", Path: "/portfolio", Name: "portfolioPage", Summary: "The portfolio the caller may see, with filters.", Tag: "ui", Handle: s.portfolioPage},
		{Method: "GET", Path: "/portfolio.csv", Name: "portfolioCSV", Summary: "The portfolio the caller may see as CSV, with the page's filters.", Tag: "ui", Handle: s.portfolioCSV},
		{Method: "GET", Path: "/estate/import", Name: "estateImportPage", Summary: "Import devices and churn files.", Tag: "ui", Handle: s.estateImportPage},
		{Method: "POST", Path: "/estate/import/devices", Name: "importDevicesForm", Summary: "Import a devices file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.importDevicesForm},
		{Method: "POST", Path: "/estate/import/churn", Name: "importChurnForm", Summary: "Import a churn file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.importChurnForm},
	}
}
