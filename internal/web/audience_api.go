package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/audience"
)

func (s *Server) audienceRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/audience/{kind}/{id}", Name: "getAudience", Summary: "Who a classified record names: organisations (AMBER) and people (RED).",
			Tag: "classification", API: true, Response: audience.Audience{}, Handle: s.apiGetAudience},
		{Method: "PUT", Path: "/api/v1/audience/{kind}/{id}", Name: "setAudience", Summary: "Replace who a record names (SSC and secretariat); people named for RED must be cleared for it.",
			Tag: "classification", API: true, Request: audience.Input{}, Response: audience.Audience{}, Handle: s.apiSetAudience},
	}
}

func (s *Server) apiGetAudience(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Audience.Get(r.Context(), callerOf(r), r.PathValue("kind"), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiSetAudience(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in audience.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Audience.Set(r.Context(), callerOf(r), r.PathValue("kind"), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}
