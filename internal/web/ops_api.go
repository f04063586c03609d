package web

import (
	"context"
	"net/http"
	"time"

	"github.com/metersec/metersec/internal/errs"
)

func (s *Server) opsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Name: "health", Summary: "The process is up.", Tag: "operations",
			Access: Public, API: true, Response: map[string]string{}, Handle: s.healthz},
		{Method: "GET", Path: "/readyz", Name: "ready", Summary: "The database is reachable and its schema current.",
			Tag: "operations", Access: Public, API: true, Response: map[string]string{}, Handle: s.readyz},
		{Method: "GET", Path: "/metrics", Name: "metrics", Summary: "Prometheus metrics.", Tag: "operations",
			Access: Public, Handle: func(w http.ResponseWriter, r *http.Request) error {
				s.metrics.handler().ServeHTTP(w, r)
				return nil
			}},
		{Method: "GET", Path: "/api/v1/openapi.json", Name: "openapi", Summary: "This API's OpenAPI 3.1 description.",
			Tag: "operations", Access: Public, API: true, Response: map[string]any{}, Handle: s.openapi},
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		return errs.E(errs.Unavailable, "the database is unreachable")
	}
	if err := s.DB.CheckSchema(ctx); err != nil {
		return errs.E(errs.Unavailable, "%v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(s.DB.Dialect)})
}
