package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/delivery"
)

type newWebhook struct {
	Endpoint delivery.Endpoint `json:"endpoint"`
	Secret   string            `json:"secret"`
}

func problemFilter(r *http.Request) delivery.ProblemFilter {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	return delivery.ProblemFilter{DeadOnly: r.URL.Query().Get("dead") == "true", Before: before}
}
