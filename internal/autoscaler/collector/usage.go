package collector

import "k8s.io/utils/clock"

// Usage reports the requests in flight to each namespace on a clock; it is
// what the TenantPolicy reconciler shows as a namespace's use.
type Usage struct {
	// Collector holds the activators' reports.
	Collector *Collector
	// Clock says when now is.
	Clock clock.PassiveClock
}

// InFlight returns the requests in flight to namespace now, summed over
// its revisions and all activators (Collector.NamespaceConcurrency).
func (u Usage) InFlight(namespace string) float64 {
	return u.Collector.NamespaceConcurrency(namespace, u.Clock.Now())
}
