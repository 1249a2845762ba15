package stats

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// revision accumulates one revision's stats for the current period.
type revision struct {
	mu       sync.Mutex
	inflight int
	last     time.Time // last change of inflight, or period start
	area     float64   // request-seconds in this period
	arrivals int
	refs     int // handles not yet Done; guarded by Reporter.mu for removal
}

// Handle is one request's ticket, returned by Begin.
type Handle struct {
	r   *Reporter
	rev *revision
}

// Begin records a request arriving for key and returns the handle on which
// to call Done when it finishes (queued or proxied, successful or not).
func (r *Reporter) Begin(key types.NamespacedName) Handle {
	now := r.clock.Now()
	r.mu.RLock()
	rev := r.revs[key]
	if rev != nil {
		rev.mu.Lock()
		rev.refs++
	}
	r.mu.RUnlock()
	if rev == nil {
		r.mu.Lock()
		rev = r.revs[key]
		if rev == nil {
			rev = &revision{last: now}
			r.revs[key] = rev
		}
		rev.mu.Lock()
		rev.refs++
		r.mu.Unlock()
	}
	rev.advance(now)
	rev.inflight++
	rev.arrivals++
	rev.mu.Unlock()
	return Handle{r: r, rev: rev}
}

// Done records the request's end.
func (h Handle) Done() {
	if h.rev == nil {
		return
	}
	now := h.r.clock.Now()
	h.rev.mu.Lock()
	h.rev.advance(now)
	h.rev.inflight--
	h.rev.refs--
	h.rev.mu.Unlock()
}

// advance adds the area since the last change; call with mu held.
func (v *revision) advance(now time.Time) {
	if d := now.Sub(v.last); d > 0 {
		v.area += float64(v.inflight) * d.Seconds()
		v.last = now
	}
}

// cut closes the period ending at now and returns the average concurrency
// over period and the arrivals; call with mu held.
func (v *revision) cut(now time.Time, period time.Duration) (avg float64, n int) {
	v.advance(now)
	avg = v.area / period.Seconds()
	n = v.arrivals
	v.area, v.arrivals = 0, 0
	v.last = now
	return avg, n
}
