package delivery

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metersec/metersec/internal/store"
)

// metrics are process-wide, like the Prometheus default registry they are
// meant for: enqueueing happens in any area's transaction, far from any
// worker.
var metrics = struct {
	enqueued, delivered, retried, dead *prometheus.CounterVec
	sendSeconds, latencySeconds        *prometheus.HistogramVec
}{
	enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "metersec_delivery_enqueued_total", Help: "Delivery jobs enqueued (committed), by channel.",
	}, []string{"channel"}),
	delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "metersec_delivery_delivered_total", Help: "Delivery jobs delivered, by channel.",
	}, []string{"channel"}),
	retried: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "metersec_delivery_retried_total", Help: "Failed sends scheduled for another attempt, by channel.",
	}, []string{"channel"}),
	dead: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "metersec_delivery_dead_total", Help: "Delivery jobs given up after their last attempt, by channel.",
	}, []string{"channel"}),
	sendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "metersec_delivery_send_seconds", Help: "Time to send one job (SMTP transaction or webhook call), by channel and outcome.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"channel", "outcome"}),
	latencySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "metersec_delivery_latency_seconds", Help: "Time from enqueue to delivery, by channel.",
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 12),
	}, []string{"channel"}),
}

// Collectors returns the delivery metrics for registration, with a queue
// depth gauge read from db on each scrape.
func Collectors(db *store.DB) []prometheus.Collector {
	return []prometheus.Collector{
		metrics.enqueued, metrics.delivered, metrics.retried, metrics.dead,
		metrics.sendSeconds, metrics.latencySeconds, queueCollector{db},
	}
}

// queueCollector reports jobs not yet delivered, by channel and state, from
// the database, so the figure is true across every process and restart.
type queueCollector struct{ db *store.DB }

var queueDesc = prometheus.NewDesc("metersec_delivery_queue_depth",
	"Delivery jobs not delivered, by channel and state (pending, sending, dead).", []string{"channel", "state"}, nil)

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := queueCounts(ctx, q.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	for _, channel := range []Channel{Email, Webhook} {
		for _, state := range []State{Pending, Sending, Dead} {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue,
				float64(counts[channel][state].Count), string(channel), string(state))
		}
	}
}
