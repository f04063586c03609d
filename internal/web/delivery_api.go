package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request) error {
	req, err := delivery.EndpointSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		// An organisation has a handful of endpoints: one query holds them.
		p, err := s.Delivery.EndpointsPage(r.Context(), callerOf(r), req.Export())
		if err != nil {
			return err
		}
		return writeExport(w, req, "webhooks", delivery.EndpointCSVHeader, func(lw listing.Writer) error {
			for _, e := range p.Items {
				if err := lw.Row(delivery.EndpointCSV(e), e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	p, err := s.Delivery.EndpointsPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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
	req, err := delivery.DeliverySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "deliveries", delivery.DeliveryCSVHeader, func(lw listing.Writer) error {
			return s.Delivery.ExportDeliveries(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Delivery.Deliveries(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiDeliveryQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := s.Delivery.Queue(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(q))
}

func (s *Server) apiDeliveryProblems(w http.ResponseWriter, r *http.Request) error {
	req, err := delivery.ProblemSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "delivery-problems", delivery.DeliveryCSVHeader, func(lw listing.Writer) error {
			return s.Delivery.ExportProblems(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Delivery.Problems(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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

func (s *Server) apiListNotices(w http.ResponseWriter, r *http.Request) error {
	req, err := delivery.NoticeSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "notices", delivery.NoticeCSVHeader, func(lw listing.Writer) error {
			return s.Delivery.ExportNotices(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Delivery.Notices(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiListNoticeSubjects(w http.ResponseWriter, r *http.Request) error {
	req, err := delivery.NoticeGroupSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportNoticesOf(w, r)
	}
	p, err := s.Delivery.NoticeGroups(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// exportNoticesOf exports the notices the groups of a subjects list hold:
// the same filters, in the notices' own order.
func (s *Server) exportNoticesOf(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Del("sort")
	q.Del("cursor")
	req, err := delivery.NoticeSpec.Parse(q)
	if err != nil {
		return err
	}
	return writeExport(w, req, "notices", delivery.NoticeCSVHeader, func(lw listing.Writer) error {
		return s.Delivery.ExportNotices(r.Context(), callerOf(r), req, lw)
	})
}
