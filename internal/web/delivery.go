package web

import (
	"github.com/metersec/metersec/internal/delivery"
)

type newWebhook struct {
	Endpoint delivery.Endpoint `json:"endpoint"`
	Secret   string            `json:"secret"`
}
