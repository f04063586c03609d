package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/release"
)

// useReleases gives the rules the release table and the register's settings.
// It runs when the server starts: the services hold the table as a value.
func (s *Server) useReleases(t release.Table) {
	s.Coverage.Versions = t.Versions()
	s.Coverage.Settings = t.Settings(s.Coverage.Settings)
	s.Arrangements.Versions = t.Versions()
	s.Vulns.Versions = t.Versions()
	s.Vulns.Settings = t.Settings(s.Vulns.Settings)
}

// ReleaseImport is the answer to an import of the release table.
type ReleaseImport struct {
	release.Table
	// Note says when the server's rules use the new table.
	Note string `json:"note"`
}

const restartNote = "Stored. The running server's rules read the release table when it starts: restart it to apply the change."

func (s *Server) releaseRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/sec/releases", Name: "listReleases", Summary: "The SEC release history the rules use, each date marked public or not, and the modifications register.",
			Tag: "sec", API: true, Response: release.Table{}, Handle: s.apiReleases},
		{Method: "PUT", Path: "/api/v1/sec/releases", Name: "importReleases", Summary: "Replace the release table with a CSV file (version,effective,public,source,note), whole or not at all; ?reason= is kept in the history (secretariat and SSC).",
			Tag: "sec", API: true, Upload: true, Params: []Param{{Name: "reason", Description: "why the table changes", Required: true}}, Response: ReleaseImport{}, Handle: s.apiImportReleases},
		{Method: "GET", Path: "/api/v1/sec/releases/history", Name: "releaseHistory", Summary: "Every change to the release table: who, when, why, and the table before and after; newest first, a page at a time with the total (at most 100 a page: each carries two tables), searchable, exported as CSV or JSON. Since issue 15 in the paging envelope.",
			Tag: "sec", API: true, Params: listParams(release.HistorySpec), Response: listing.Page[release.Change]{}, Handle: s.apiReleaseHistory},
		{Method: "POST", Path: "/api/v1/sec/modifications/{ref}/events", Name: "moveModification", Summary: "Move a modification on: raise, refine, report, decide, reject, implement (with the release).",
			Tag: "sec", API: true, Request: release.MoveInput{}, Response: release.Modification{}, Handle: s.apiMoveModification},
	}
}

func (s *Server) apiReleases(w http.ResponseWriter, r *http.Request) error {
	t, err := release.Load(r.Context(), s.DB)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiImportReleases(w http.ResponseWriter, r *http.Request) error {
	if !release.MayEdit(callerOf(r)) {
		return errs.E(errs.Forbidden, "only the secretariat and the SSC may change the SEC release table")
	}
	// Through the one upload decoder, as every text upload: a gzip stream
	// that breaks or bytes that are not UTF-8 are the client's error (400).
	body, err := uploadBody(w, r, 1<<20)
	if err != nil {
		return err
	}
	defer body.Close()
	t, err := release.Import(r.Context(), s.DB, callerOf(r), body, r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ReleaseImport{Table: t, Note: restartNote})
}

func (s *Server) apiReleaseHistory(w http.ResponseWriter, r *http.Request) error {
	if !release.MayEdit(callerOf(r)) {
		return errs.E(errs.Forbidden, "only the secretariat and the SSC may read the history of the release table")
	}
	req, err := release.HistorySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "sec-release-history", release.HistoryHeader, func(lw listing.Writer) error {
			return release.ExportHistory(r.Context(), s.DB, callerOf(r), req, lw)
		})
	}
	p, err := release.HistoryPage(r.Context(), s.DB, callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiMoveModification(w http.ResponseWriter, r *http.Request) error {
	var in release.MoveInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := release.Move(r.Context(), s.DB, callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}
