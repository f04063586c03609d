package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
)

func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request) error {
	es, err := s.Delivery.Endpoints(r.Context(), callerOf(r), 0)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(es))
}

func (s *Server) apiAddWebhook(w http.ResponseWriter, r *http.Request) error {
	var in delivery.NewEndpoint
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, secret, err := s.Delivery.AddEndpoint(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newWebhook{Endpoint: e, Secret: secret})
}

func (s *Server) apiDisableWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.Delivery.DisableEndpoint(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *Server) apiRotateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	secret, err := s.Delivery.RotateSecret(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
}

func (s *Server) apiPingWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Delivery.PingEndpoint(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Server) apiRecordDeliveries(w http.ResponseWriter, r *http.Request) error {
	kind := r.URL.Query().Get("record_kind")
	id, err := strconv.ParseInt(r.URL.Query().Get("record_id"), 10, 64)
	if kind == "" || err != nil {
		return errs.E(errs.Invalid, "give record_kind and a numeric record_id")
	}
	ds, err := s.Delivery.RecordDeliveries(r.Context(), callerOf(r), kind, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ds))
}

func (s *Server) apiDeliveryQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := s.Delivery.Queue(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(q))
}

func (s *Server) apiDeliveryProblems(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.Delivery.Problems(r.Context(), callerOf(r), problemFilter(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ds))
}

func (s *Server) apiRetryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Delivery.Retry(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
