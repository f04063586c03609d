package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) deliveryRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/webhooks", Name: "listWebhooks", Summary: "Your organisation's webhook endpoints: paged, sorted, filtered, exportable.", Tag: "delivery",
			API: true, Params: listParams(delivery.EndpointSpec), Response: listing.Page[delivery.Endpoint]{}, Handle: s.apiListWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Name: "addWebhook", Summary: "Add a webhook endpoint for your organisation; the signing secret is in this response only.",
			Tag: "delivery", API: true, Request: delivery.NewEndpoint{}, Response: newWebhook{}, Status: http.StatusCreated, Handle: s.apiAddWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/disable", Name: "disableWebhook", Summary: "Stop sending to an endpoint.", Tag: "delivery",
			API: true, Response: delivery.Endpoint{}, Handle: s.apiDisableWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/rotate-secret", Name: "rotateWebhookSecret", Summary: "Issue a new signing secret; for 24 hours calls carry both signatures.",
			Tag: "delivery", API: true, Response: map[string]string{}, Handle: s.apiRotateWebhook},
		{Method: "POST", Path: "/api/v1/webhooks/{id}/ping", Name: "pingWebhook", Summary: "Queue a test delivery to an endpoint.", Tag: "delivery",
			API: true, Status: http.StatusAccepted, Handle: s.apiPingWebhook},
		{Method: "GET", Path: "/api/v1/deliveries", Name: "recordDeliveries", Summary: "Deliveries of notices as far as you may see them (your organisation's; every one for operators), e.g. those about one record (record_kind and record_id): paged, sorted, filtered, exportable.",
			Tag: "delivery", API: true, Params: listParams(delivery.DeliverySpec), Response: listing.Page[delivery.Delivery]{}, Handle: s.apiRecordDeliveries},
		{Method: "GET", Path: "/api/v1/deliveries/queue", Name: "deliveryQueue", Summary: "Jobs not yet delivered, by channel and state (operators).",
			Tag: "delivery", API: true, Response: listOf([]delivery.QueueRow{}), Handle: s.apiDeliveryQueue},
		{Method: "GET", Path: "/api/v1/deliveries/problems", Name: "deliveryProblems", Summary: "Jobs that failed and are not delivered, newest first (operators): paged, sorted, filtered, exportable. " +
			"Since issue 15 the page is {items, total, next_cursor} (formerly {items}); the former before parameter still works in the default order.",
			Tag: "delivery", API: true, Params: listParams(delivery.ProblemSpec), Response: listing.Page[delivery.Delivery]{}, Handle: s.apiDeliveryProblems},
		{Method: "POST", Path: "/api/v1/deliveries/{id}/retry", Name: "retryDelivery", Summary: "Put a failed job back in the queue (operators).",
			Tag: "delivery", API: true, Status: http.StatusNoContent, Handle: s.apiRetryDelivery},

		{Method: "GET", Path: "/api/v1/notices", Name: "listNotices", Summary: "Every notice of the caller's organisation, with the caller's read marks: paged, sorted, filtered (read, kind, subject), exportable.",
			Tag: "delivery", API: true, Params: listParams(delivery.NoticeSpec), Response: listing.Page[delivery.InboxNotice]{}, Handle: s.apiListNotices},
		{Method: "GET", Path: "/api/v1/notices/subjects", Name: "listNoticeSubjects", Summary: "The caller's organisation's notices grouped by subject (the record they are about), the latest first.",
			Tag: "delivery", API: true, Params: listParams(delivery.NoticeGroupSpec), Response: listing.Page[delivery.NoticeGroup]{}, Handle: s.apiListNoticeSubjects},
		{Method: "GET", Path: "/webhooks", Name: "webhooksPage", Summary: "Webhook endpoints.", Tag: "ui", Handle: s.webhooksPage},
		{Method: "POST", Path: "/webhooks", Name: "addWebhookForm", Summary: "Add a webhook endpoint.", Tag: "ui", Handle: s.addWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/disable", Name: "disableWebhookForm", Summary: "Disable an endpoint.", Tag: "ui", Handle: s.disableWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/rotate-secret", Name: "rotateWebhookForm", Summary: "Rotate an endpoint's secret.", Tag: "ui", Handle: s.rotateWebhookForm},
		{Method: "POST", Path: "/webhooks/{id}/ping", Name: "pingWebhookForm", Summary: "Send a test delivery.", Tag: "ui", Handle: s.pingWebhookForm},
		{Method: "GET", Path: "/deliveries", Name: "deliveriesPage", Summary: "The delivery queue.", Tag: "ui", Handle: s.deliveriesPage},
		{Method: "POST", Path: "/deliveries/{id}/retry", Name: "retryDeliveryForm", Summary: "Retry a failed delivery.", Tag: "ui", Handle: s.retryDeliveryForm},
	}
}
