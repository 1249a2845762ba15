package throttler

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// revision is the throttler state of one revision: its pods, their
// capacity shares, and the queue of requests waiting for a slot.
type revision struct {
	key RevisionKey
	t   *Throttler
	ns  *namespace // the held count of key's namespace

	mu     sync.Mutex
	closed bool
	cfg    RevisionConfig
	cc     int // containerConcurrency, >= 0
	depth  int // effective queue depth
	acts   activatorSet

	pods     map[string]*pod // every endpoint, ready or not
	routable []*pod          // usable pods sorted by address
	draining map[string]*pod // removed pods with requests still in flight
	free     int             // free slots on routable pods (cc > 0)
	rr       int             // round-robin cursor into routable
	// owner is, when this activator has no share of a revision that has
	// ready capacity (cc > 0), the activator owning slot 0; -1 otherwise.
	owner int

	queue    waitQueue
	inflight int
	requests uint64

	// poked is set once OnColdStart was called for the current episode of
	// waiting with no usable pod.
	poked bool
	// endpointsSince and routableSince are when the revision last went from
	// no endpoint (resp. no usable pod) to at least one; zero while it has
	// none. They split a cold start's wait into phases.
	endpointsSince, routableSince time.Time
}

// newRevision returns the state for a revision registered with rc.
func newRevision(t *Throttler, key RevisionKey, rc RevisionConfig, acts activatorSet, ns *namespace) *revision {
	r := &revision{
		key:      key,
		t:        t,
		ns:       ns,
		acts:     acts,
		pods:     map[string]*pod{},
		draining: map[string]*pod{},
		owner:    -1,
	}
	r.configure(rc)
	return r
}

// configure applies rc. The caller holds r.mu (or owns r exclusively).
func (r *revision) configure(rc RevisionConfig) {
	r.cfg = rc
	r.cc = max(0, rc.ContainerConcurrency)
	r.depth = rc.QueueDepth
	if r.depth <= 0 {
		r.depth = r.t.cfg.QueueDepth
	}
}

// update applies a new RevisionConfig and releases waiters that the new
// capacity admits.
func (r *revision) update(rc RevisionConfig) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	old := r.cfg
	r.configure(rc)
	if old.ProbePath != rc.ProbePath || old.ProbePort != rc.ProbePort {
		for _, p := range r.pods { // probe running loops' pods the new way
			if p.stopProbe != nil {
				r.stopProbe(p)
				r.startProbe(p)
			}
		}
	}
	r.applyShares()
	r.dispatch()
}

// setActivators records this activator's place among its replicas and
// recomputes its shares of the pods.
func (r *revision) setActivators(acts activatorSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.acts = acts
	r.applyShares()
	r.dispatch()
}

// setEndpoints replaces the revision's endpoints: new pods that are not
// ready start being probed, pods that left stop being probed and drain.
func (r *revision) setEndpoints(eps []Endpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	seen := make(map[string]struct{}, len(eps))
	for _, ep := range eps {
		if _, dup := seen[ep.Address]; dup {
			continue
		}
		seen[ep.Address] = struct{}{}
		p := r.pods[ep.Address]
		if p == nil {
			// A pod that left with requests in flight and came back keeps
			// its count, so its breaker still holds.
			if p = r.draining[ep.Address]; p != nil {
				delete(r.draining, ep.Address)
				p.removed = false
			} else {
				p = &pod{addr: ep.Address}
			}
			r.pods[ep.Address] = p
		}
		p.ready = ep.Ready
		if ep.Ready {
			p.everReady = true
			p.probed = false
		}
		if p.ready || p.everReady || p.probed {
			r.stopProbe(p)
		} else if p.stopProbe == nil {
			r.startProbe(p)
		}
	}
	for addr, p := range r.pods {
		if _, ok := seen[addr]; ok {
			continue
		}
		r.stopProbe(p)
		p.removed = true
		delete(r.pods, addr)
		if p.inflight > 0 {
			r.draining[addr] = p
		}
	}
	now := r.t.cfg.Clock.Now()
	switch {
	case len(r.pods) == 0:
		r.endpointsSince = time.Time{}
	case r.endpointsSince.IsZero():
		r.endpointsSince = now
	}
	r.rebuild(now)
}

// markProbed records that p passed the probe loop gen: it is used before
// kubelet reports it ready.
func (r *revision) markProbed(p *pod, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != p.probeGen {
		return // a loop that was stopped; a newer one may be running
	}
	p.stopProbe = nil
	if r.closed || p.removed || p.ready || p.everReady {
		return
	}
	p.probed = true
	r.t.cfg.Logger.V(1).Info("pod accepted a probe before it was ready", "revision", r.key, "address", p.addr)
	r.rebuild(r.t.cfg.Clock.Now())
}

// demote takes a pod that is in use only because it passed our probe back
// out of rotation after a request could not connect to it, and probes it
// again. The caller holds r.mu.
func (r *revision) demote(p *pod) {
	if r.closed || p.removed || !p.probed || p.ready {
		return
	}
	p.probed = false
	r.rebuild(r.t.cfg.Clock.Now())
	if p.stopProbe == nil {
		r.startProbe(p)
	}
}

// eject takes p out of rotation after an answer out of bounds, for
// EjectBase doubled with each ejection in a row, at most EjectMax; answers
// of requests already in flight on p do not extend it. The caller holds
// r.mu.
func (r *revision) eject(p *pod) {
	if r.closed || p.removed || p.ejected {
		return
	}
	cfg := r.t.cfg
	d := cfg.EjectBase << min(p.strikes, 16)
	if d <= 0 || d > cfg.EjectMax {
		d = cfg.EjectMax
	}
	p.strikes++
	p.ejected = true
	r.t.cfg.Logger.Info("pod ejected after an answer out of bounds", "revision", r.key, "address", p.addr, "for", d.String(), "strikes", p.strikes)
	r.rebuild(cfg.Clock.Now())
	// On a goroutine of its own: a fake clock runs the callback while
	// holding its lock, and readmitting reads the clock.
	cfg.Clock.AfterFunc(d, func() { go r.readmit(p) })
}

// readmit puts an ejected pod back in rotation.
func (r *revision) readmit(p *pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p.ejected, p.trial = false, true
	if !r.closed && !p.removed {
		r.rebuild(r.t.cfg.Clock.Now())
	}
}

// rebuild recomputes the routable pods after a change in readiness, then
// their shares, then releases waiters. The caller holds r.mu.
func (r *revision) rebuild(now time.Time) {
	for _, p := range r.routable {
		p.routable = false
	}
	r.routable = r.routable[:0]
	for _, p := range r.pods {
		if p.usable() {
			p.routable = true
			r.routable = append(r.routable, p)
		}
	}
	slices.SortFunc(r.routable, func(a, b *pod) int { return cmp.Compare(a.addr, b.addr) })
	if len(r.routable) == 0 {
		r.routableSince = time.Time{}
	} else if r.routableSince.IsZero() {
		r.routableSince = now
		r.poked = false
	}
	r.applyShares()
	r.dispatch()
}

// applyShares sets every routable pod's capacity to this activator's share
// of it. The caller holds r.mu.
func (r *revision) applyShares() {
	if r.rr >= len(r.routable) {
		r.rr = 0
	}
	r.owner = -1
	if r.cc == 0 {
		r.free = 0
		return
	}
	count, index := 1, 0
	if !r.acts.single() {
		count, index = r.acts.count, r.acts.rotate(r.key)
	}
	total := 0
	for i, p := range r.routable {
		p.capacity = podShare(i, len(r.routable), r.cc, count, index)
		total += p.capacity
	}
	r.recomputeFree()
	if total == 0 {
		r.owner = r.acts.owner(r.key, len(r.routable)*r.cc)
	}
	if r.owner >= 0 {
		r.redirectWaiters()
	}
}

// redirectWaiters fails, with a NoShareError, the waiters that came through
// Try with mode Forward (for example during a cold start, before the pods and thus
// the shares were known): they would otherwise wait for a scale-out. The
// caller holds r.mu and has set r.owner >= 0.
func (r *revision) redirectWaiters() {
	for w := r.queue.head; w != nil; {
		next := w.next
		if w.forward && w.excl == nil {
			r.queue.remove(w)
			w.err = &NoShareError{Owner: r.owner}
			w.ch <- struct{}{}
		}
		w = next
	}
}

// close fails every waiter with ErrRevisionRemoved and stops probing.
// Requests in flight finish normally.
func (r *revision) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for _, p := range r.pods {
		r.stopProbe(p)
	}
	for w := r.queue.head; w != nil; w = r.queue.head {
		r.queue.remove(w)
		w.err = ErrRevisionRemoved
		w.ch <- struct{}{}
	}
}

// RevisionStats is a snapshot of one revision's throttler state.
type RevisionStats struct {
	// Queued is the number of requests waiting for capacity.
	Queued int
	// InFlight is the number of requests sent to pods and not finished.
	InFlight int
	// Requests is the number of requests that ever called Try for the
	// revision (cumulative; report deltas).
	Requests uint64
	// Pods is the number of pods requests may go to (ready, or passed our
	// probe).
	Pods int
	// Capacity is this activator's total share of the pods' slots;
	// -1 when containerConcurrency is unlimited.
	Capacity int
}

// stats returns a snapshot of r.
func (r *revision) stats() RevisionStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RevisionStats{
		Queued:   r.queue.len(),
		InFlight: r.inflight,
		Requests: r.requests,
		Pods:     len(r.routable),
		Capacity: -1,
	}
	if r.cc > 0 {
		s.Capacity = 0
		for _, p := range r.routable {
			s.Capacity += p.capacity
		}
	}
	return s
}
