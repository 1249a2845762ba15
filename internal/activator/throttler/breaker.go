package throttler

import "context"

// pod is one endpoint of a revision and its breaker: how many requests this
// activator may send to it at once (capacity, its share of cc) and how many
// it has sent that are not finished (inflight). All fields are guarded by
// the owning revision's mutex.
type pod struct {
	addr string
	// capacity is this activator's share of containerConcurrency for the pod.
	// Unused when containerConcurrency is 0 (unlimited).
	capacity int
	inflight int

	// ready is the endpoint's ready condition; everReady stays true once the
	// pod has been ready, so that a pod going not-ready (terminating, failing
	// its probe) is taken out of rotation rather than probed back in.
	ready, everReady bool
	// probed is set when our own probe succeeded before kubelet said ready.
	probed bool
	// routable is set while the pod is in revision.routable.
	routable bool
	// removed is set once the pod left the endpoints; it then lives on in
	// revision.draining until its in-flight requests finish.
	removed bool
	// stopProbe cancels the probe loop; nil when no probe is running.
	stopProbe context.CancelFunc
	// probeGen counts probe loops started, so that a late result of a
	// stopped loop is ignored.
	probeGen uint64
	// ejected is set while the pod gets no requests after an answer out of
	// bounds; strikes counts such ejections in a row. trial is set from the
	// end of an ejection until the pod answers well: meanwhile it takes one
	// request at a time, so that a pod that goes on misbehaving costs one
	// answer per ejection, not a burst of the requests that waited.
	ejected, trial bool
	strikes        int
}

// usable reports whether requests may be sent to the pod.
func (p *pod) usable() bool {
	return !p.removed && !p.ejected && (p.ready || (p.probed && !p.everReady))
}

// onTrial reports whether p is on trial after an ejection with a request
// in flight: it takes no other until that one answers.
func (p *pod) onTrial() bool { return p.trial && p.inflight > 0 }

// free returns the number of unused slots on the pod.
func (p *pod) free() int {
	return max(0, p.capacity-p.inflight)
}

// take reserves a slot on p. The caller holds the revision mutex and has
// checked (for cc > 0) that p has a free slot.
func (r *revision) take(p *pod) {
	if r.cc > 0 && p.routable && p.inflight < p.capacity {
		r.free--
	}
	p.inflight++
	r.inflight++
}

// put returns a slot taken on p. The caller holds the revision mutex.
func (r *revision) put(p *pod) {
	p.inflight--
	r.inflight--
	if r.cc > 0 && p.routable && p.inflight < p.capacity {
		r.free++
	}
	if p.removed && p.inflight == 0 && r.draining[p.addr] == p {
		delete(r.draining, p.addr)
	}
}

// recomputeFree recounts the free slots over routable pods after their
// capacities changed.
func (r *revision) recomputeFree() {
	r.free = 0
	for _, p := range r.routable {
		r.free += p.free()
	}
}
