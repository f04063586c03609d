package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

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
	Queue []delivery.QueueRow
	Items []delivery.Delivery
	List  listView
	Req   listing.Request
	// States and Channels are the choices of the filter form.
	States, Channels []string
}

// deliveriesPage is the operators' view of the queue: the counts of what is
// not yet delivered, then every delivery one page at a time (issue 15),
// filtered by state, channel and failing.
func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	q, err := s.Delivery.Queue(r.Context(), c)
	if err != nil {
		return err
	}
	req, err := delivery.DeliverySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "deliveries", delivery.DeliveryCSVHeader, func(lw listing.Writer) error {
			return s.Delivery.ExportDeliveries(r.Context(), c, req, lw)
		})
	}
	p, err := s.Delivery.Deliveries(r.Context(), c, req)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "deliveries", s.newPage(r, "Deliveries", deliveriesData{Queue: q, Items: p.Items, Req: req,
		States: facetEnum(delivery.DeliverySpec, "state"), Channels: facetEnum(delivery.DeliverySpec, "channel"),
		List: newListView(r, "/deliveries", delivery.DeliverySpec, req, p, "delivery", "deliveries")}))
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
