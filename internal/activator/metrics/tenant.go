package metrics

import "github.com/prometheus/client_golang/prometheus"

// TenantInFlightFunc calls f with the requests in flight of every
// namespace with a tenant limit on them and recent traffic;
// tenant.Limiter.RangeInFlight fits behind it.
type TenantInFlightFunc func(f func(namespace string, inFlight int64))

// tenantInFlight is a collector reading the requests in flight counted
// against the namespaces' tenant limits at scrape time.
type tenantInFlight struct {
	f    TenantInFlightFunc
	desc *prometheus.Desc
}

func newTenantInFlight(f TenantInFlightFunc) prometheus.Collector {
	return &tenantInFlight{f: f, desc: prometheus.NewDesc(prefix+"tenant_requests_in_flight",
		"Requests in flight counted against their namespace's tenant limit on this activator, for namespaces with a limit and recent traffic.",
		[]string{labelNamespace}, nil)}
}

func (t *tenantInFlight) Describe(ch chan<- *prometheus.Desc) { ch <- t.desc }

func (t *tenantInFlight) Collect(ch chan<- prometheus.Metric) {
	t.f(func(ns string, n int64) {
		ch <- prometheus.MustNewConstMetric(t.desc, prometheus.GaugeValue, float64(n), ns)
	})
}
