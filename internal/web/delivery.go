package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
)

func (s *Server) deliveryRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/webhooks", Name: "listWebhooks", Summary: "Your organisation's webhook endpoints.", Tag: "delivery",
			API: true, Response: listOf([]delivery.Endpoint{}), Handle: s.apiListWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Name: "addWebhook", Summary: "Add a webhook endpoint for your organisation; the signing secret is in this response only.",
			Tag: "delivery", API: true, Request: delivery.NewEndpoint{}, Response: newWebhook{}, Status: http.StatusCreated, Handle: s.apiAddWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/disable", Name: "disableWebhook", Summary: "Stop sending to an endpoint.", Tag: "delivery",
			API: true, Response: delivery.Endpoint{}, Handle: s.apiDisableWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/rotate-secret", Name: "rotateWebhookSecret", Summary: "Issue a new signing secret; for 24 hours calls carry both signatures.",
			Tag: "delivery", API: true, Response: map[string]string{}, Handle: s.apiRotateWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/ping", Name: "pingWebhook", Summary: "Queue a test delivery to an endpoint.", Tag: "delivery",
			API: true, Status: http.StatusAccepted, Handle: s.apiPingWebhook},
		{Method: "GET", Path: "/api/v1/deliveries", Name: "recordDeliveries", Summary: "Delivery progress of the notices about one record, as far as you may see it.",
			Tag: "delivery", API: true, Params: []Param{{Name: "record_kind", Required: true}, {Name: "record_id", Required: true}},
			Response: listOf([]delivery.Delivery{}), Handle: s.apiRecordDeliveries},
		{Method: "GET", Path: "/api/v1/deliveries/queue", Name: "deliveryQueue", Summary: "Jobs not yet delivered, by channel and state (operators).",
			Tag: "delivery", API: true, Response: listOf([]delivery.QueueRow{}), Handle: s.apiDeliveryQueue},
		{Method: "GET", Path: "/api/v1/deliveries/problems", Name: "deliveryProblems", Summary: "Jobs that failed and are not delivered, newest first (operators).",
			Tag: "delivery", API: true, Params: []Param{{Name: "dead", Description: "true for dead jobs only"}, {Name: "before"}},
			Response: listOf([]delivery.Delivery{}), Handle: s.apiDeliveryProblems},
		{Method: "POST", Path: "/api/v1/deliveries/{id}/retry", Name: "retryDelivery", Summary: "Put a failed job back in the queue (operators).",
			Tag: "delivery", API: true, Status: http.StatusNoContent, Handle: s.apiRetryDelivery},

		{Method: "GET", Path: "/webhooks", Name: "webhooksPage", Summary: "Webhook endpoints.", Tag: "ui", Handle: s.webhooksPage},
		{Method: "POST", Path: "/webhooks", Name: "addWebhookForm", Summary: "Add a webhook endpoint.", Tag: "ui", Handle: s.addWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/disable", Name: "disableWebhookForm", Summary: "Disable an endpoint.", Tag: "ui", Handle: s.disableWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/rotate-secret", Name: "rotateWebhookForm", Summary: "Rotate an endpoint's secret.", Tag: "ui", Handle: s.rotateWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/ping", Name: "pingWebhookForm", Summary: "Send a test delivery.", Tag: "ui", Handle: s.pingWebhookForm},
		{Method: "GET", Path: "/deliveries", Name: "deliveriesPage", Summary: "The delivery queue.", Tag: "ui", Handle: s.deliveriesPage},
		{Method: "POST", Path: "/deliveries/{id}/retry", Name: "retryDeliveryForm", Summary: "Retry a failed delivery.", Tag: "ui", Handle: s.retryDeliveryForm},
	}
}

type newWebhook struct {
	Endpoint delivery.Endpoint `json:"endpoint"`
	Secret   string            `json:"secret"`
}

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

func problemFilter(r *http.Request) delivery.ProblemFilter {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	return delivery.ProblemFilter{DeadOnly: r.URL.Query().Get("dead") == "true", Before: before}
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

type webhooksData struct {
	Endpoints []delivery.Endpoint
	Secret    string
	SecretFor int64
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	return s.showWebhooks(w, r, http.StatusOK, webhooksData{}, nil)
}

func (s *Server) showWebhooks(w http.ResponseWriter, r *http.Request, status int, d webhooksData, formErr error) error {
	es, err := s.Delivery.Endpoints(r.Context(), callerOf(r), 0)
	if err != nil {
		return err
	}
	d.Endpoints = es
	pg := s.newPage(r, "Webhooks", d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "webhooks", pg)
}

func (s *Server) addWebhookForm(w http.ResponseWriter, r *http.Request) error {
	e, secret, err := s.Delivery.AddEndpoint(r.Context(), callerOf(r), delivery.NewEndpoint{URL: r.PostFormValue("url"), Description: r.PostFormValue("description")})
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict {
			return s.showWebhooks(w, r, s.problemFor(r, err).Status, webhooksData{}, err)
		}
		return err
	}
	return s.showWebhooks(w, r, http.StatusCreated, webhooksData{Secret: secret, SecretFor: e.ID}, nil)
}

func (s *Server) disableWebhookForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Delivery.DisableEndpoint(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/webhooks", "The endpoint is disabled.")
}

func (s *Server) rotateWebhookForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	secret, err := s.Delivery.RotateSecret(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return s.showWebhooks(w, r, http.StatusOK, webhooksData{Secret: secret, SecretFor: id}, nil)
}

func (s *Server) pingWebhookForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Delivery.PingEndpoint(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/webhooks", "A test delivery is queued.")
}

type deliveriesData struct {
	Queue    []delivery.QueueRow
	Problems []delivery.Delivery
	Dead     bool
}

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	q, err := s.Delivery.Queue(r.Context(), c)
	if err != nil {
		return err
	}
	f := problemFilter(r)
	ps, err := s.Delivery.Problems(r.Context(), c, f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "deliveries", s.newPage(r, "Deliveries", deliveriesData{Queue: q, Problems: ps, Dead: f.DeadOnly}))
}

func (s *Server) retryDeliveryForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Delivery.Retry(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/deliveries", "The delivery is back in the queue.")
}
