package feed

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// refusedSlices remembers which version of each EndpointSlice was last
// reported as refused, so that a refusal is logged and counted once per
// slice version, not on every resync. It holds at most one entry per slice
// in the cache: entries go when their slice is deleted.
type refusedSlices struct {
	mu   sync.Mutex
	seen map[types.UID]string // slice UID -> resourceVersion/reason reported
}

// first reports whether the refusal of this version of s for reason has not
// been reported yet, and remembers it.
func (r *refusedSlices) first(s *discoveryv1.EndpointSlice, reason string) bool {
	v := s.ResourceVersion + "/" + reason
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[types.UID]string{}
	}
	if r.seen[s.UID] == v {
		return false
	}
	r.seen[s.UID] = v
	return true
}

// forget drops what was reported about the slice uid.
func (r *refusedSlices) forget(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, uid)
}

// NewRefusedSlicesCounter registers wake_activator_endpointslices_refused_total
// {reason} on reg and returns the function that counts one refusal, for
// Watcher.OnSliceRefused. reason is one of the Refused* constants.
func NewRefusedSlicesCounter(reg prometheus.Registerer) (func(reason string), error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wake_activator_endpointslices_refused_total",
		Help: "EndpointSlice versions refused (not from the revision's own Service) or with addresses dropped, by reason.",
	}, []string{"reason"})
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("register refused slices counter: %w", err)
	}
	return func(reason string) { c.WithLabelValues(reason).Inc() }, nil
}
