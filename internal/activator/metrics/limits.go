package metrics

import "github.com/prometheus/client_golang/prometheus"

// Reasons a request or connection is refused, the reason label of
// wake_activator_refused_total.
const (
	// RefusedConnections: a new connection over the activator's cap on
	// open connections (answered 503 and closed).
	RefusedConnections = "connections"
	// RefusedHeldRequests: a request that would have waited while the
	// activator already held its cap of waiting requests (503).
	RefusedHeldRequests = "held_requests"
	// RefusedQueueFull: a request that would have waited while its
	// revision's queue was full (503).
	RefusedQueueFull = "queue_full"
	// RefusedNamespaceHeldRequests: a request that would have waited while
	// its namespace's revisions already held the namespace's cap of
	// waiting requests (429).
	RefusedNamespaceHeldRequests = "namespace_held_requests"
	// RefusedTenantInFlight: a request that a pod would have served while
	// its namespace had this activator's share of its TenantPolicy's
	// maxInFlight in flight already (429).
	RefusedTenantInFlight = "tenant_in_flight"
	// RefusedTenantHeldRequests: a request that would have waited while
	// its namespace held this activator's share of its TenantPolicy's
	// maxHeldRequests already (429).
	RefusedTenantHeldRequests = "tenant_held_requests"
	// RefusedTenantRate: a request over this activator's share of its
	// namespace's TenantPolicy's requestsPerSecond and burst (429).
	RefusedTenantRate = "tenant_rate"
)

// limits are the activator-wide series of what its limits refused.
type limits struct {
	refused     *prometheus.CounterVec
	refusedBy   map[string]prometheus.Counter
	clientsGone prometheus.CounterFunc
}

// newLimits returns the limits' series; clientsGone (nil reads 0) is read
// at scrape time.
func newLimits(clientsGone func() uint64) *limits {
	if clientsGone == nil {
		clientsGone = func() uint64 { return 0 }
	}
	l := &limits{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "refused_total", Help: "Connections and requests refused by the activator's limits, by reason.",
		}, []string{"reason"}),
		clientsGone: prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: prefix + "clients_gone_total", Help: "Queued requests that left the queue because their client closed or reset its connection.",
		}, func() float64 { return float64(clientsGone()) }),
		refusedBy: map[string]prometheus.Counter{},
	}
	for _, r := range []string{RefusedConnections, RefusedHeldRequests, RefusedQueueFull, RefusedNamespaceHeldRequests,
		RefusedTenantInFlight, RefusedTenantHeldRequests, RefusedTenantRate} {
		l.refusedBy[r] = l.refused.WithLabelValues(r)
	}
	return l
}

func (l *limits) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.refused, l.clientsGone}
}

// Refused counts one refusal for reason (one of the Refused* constants).
func (m *Metrics) Refused(reason string) {
	if c := m.limits.refusedBy[reason]; c != nil {
		c.Inc()
	}
}
