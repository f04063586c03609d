package web

import (
	"github.com/metersec/metersec/internal/coverage"
)

func (s *Server) coverageRoutes() []Route {
	dateParam := Param{Name: "date", Description: "the day (YYYY-MM-DD); today by default"}
	return []Route{
		{Method: "GET", Path: "/api/v1/coverage", Name: "getCoverage", Summary: "G3.20 coverage of each Supplier the caller may see (a Supplier: itself; the SSC: all), model by model: today from the portfolio aggregates, a past day computed from the supply and MAP periods valid on it (source and basis say which).",
			Tag: "coverage", API: true, Params: []Param{{Name: "supplier", Description: "only this Supplier (organisation code)"},
				{Name: "manufacturer", Description: "only this manufacturer's models (organisation code): a cell of the heat map"}, dateParam, formatParam},
			Response: coverage.Report{}, Handle: s.apiCoverage},
		{Method: "GET", Path: "/api/v1/coverage/rows", Name: "listCoverageRows", Summary: "G3.20 coverage a row per Supplier × model, for every Supplier the caller may see: a page at a time, sorted and filtered (status keeps the models with Devices in it); format=csv or json exports every row the filters match. The paged form of getCoverage's models.",
			Tag: "coverage", API: true, Params: listParams(coverage.RowSpec, dateParam), Response: coverageRowsPage{}, Handle: s.apiCoverageRows},
		{Method: "GET", Path: "/api/v1/coverage/matrix", Name: "getCoverageMatrix", Summary: "Supplier × manufacturer Device counts by coverage status (the SSC's heat map).",
			Tag: "coverage", API: true, Params: []Param{dateParam, formatParam}, Response: coverage.Matrix{}, Handle: s.apiCoverageMatrix},
		{Method: "GET", Path: "/api/v1/coverage/{supplier}/history", Name: "getCoverageHistory", Summary: "A Supplier's monthly coverage snapshots and what changed between them.",
			Tag: "coverage", API: true, Response: historyOut{}, Handle: s.apiCoverageHistory},
		{Method: "POST", Path: "/api/v1/coverage/alerts", Name: "runCoverageAlerts", Summary: "Run the daily alert job now (SSC and secretariat): expiring arrangements, closing churn windows, new gaps; then the month's snapshot.",
			Tag: "coverage", API: true, Request: alertsIn{}, Response: coverage.AlertResult{}, Handle: s.apiRunAlerts},

		{Method: "GET", Path: "/coverage", Name: "coveragePage", Summary: "Coverage: the SSC's matrix, or a Supplier's own.", Tag: "ui", Handle: s.coveragePage},
		{Method: "GET", Path: "/coverage/{supplier}", Name: "supplierCoveragePage", Summary: "A Supplier's coverage.", Tag: "ui", Handle: s.supplierCoveragePage},
	}
}
