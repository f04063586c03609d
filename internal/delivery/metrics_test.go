package delivery

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		reg := prometheus.NewRegistry()
		for _, c := range Collectors(db) {
			if err := reg.Register(c); err != nil {
				t.Fatal(err)
			}
		}
		before := counter(t, reg, "metersec_delivery_enqueued_total", "email")
		org := addOrg(t, db, "SUPA", "large_supplier", "a@supa.example", "b@supa.example")
		notify(t, db, notice(org, "k"))
		if got := counter(t, reg, "metersec_delivery_enqueued_total", "email") - before; got != 2 {
			t.Errorf("enqueued counter grew by %v, want 2", got)
		}
		if got := gauge(t, reg, "email", "pending"); got != 2 {
			t.Errorf("queue depth email/pending = %v, want 2", got)
		}
	})
}

func find(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return 0
}

func counter(t *testing.T, reg *prometheus.Registry, name, channel string) float64 {
	return find(t, reg, name, map[string]string{"channel": channel})
}

func gauge(t *testing.T, reg *prometheus.Registry, channel, state string) float64 {
	return find(t, reg, "metersec_delivery_queue_depth", map[string]string{"channel": channel, "state": state})
}
