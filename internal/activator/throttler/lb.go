package throttler

import "math/rand/v2"

// pick returns a routable pod, other than excl, that can take a request
// now, or nil. The caller holds the revision mutex.
func (r *revision) pick(excl *pod) *pod {
	if r.cc == 0 {
		return r.pickLeastLoaded(excl)
	}
	return r.pickRoundRobin(excl)
}

// pickRoundRobin is the policy for cc > 0: starting after the pod picked
// last, the first pod with a free slot. Spreading in turn keeps the pods
// evenly loaded, and r.free makes the all-full case O(1).
func (r *revision) pickRoundRobin(excl *pod) *pod {
	if r.free == 0 {
		return nil
	}
	n := len(r.routable)
	for i := range n {
		idx := r.rr + i
		if idx >= n {
			idx -= n
		}
		p := r.routable[idx]
		if p != excl && p.inflight < p.capacity && !p.onTrial() {
			r.rr = idx + 1
			if r.rr == n {
				r.rr = 0
			}
			return p
		}
	}
	return nil
}

// pickLeastLoaded is the policy for cc == 0 (unlimited): power of two
// choices. Of two distinct random pods (excl left out), the one with fewer
// requests in flight; ties go to the first draw, itself random.
func (r *revision) pickLeastLoaded(excl *pod) *pod {
	pods := r.routable
	n := len(pods)
	e := -1 // index of excl in pods, if there
	if excl != nil && excl.routable {
		for i, p := range pods {
			if p == excl {
				e = i
				break
			}
		}
	}
	if e >= 0 {
		n--
	}
	// at maps an index among the n eligible pods to an index in pods.
	at := func(i int) *pod {
		if e >= 0 && i >= e {
			i++
		}
		return pods[i]
	}
	switch n {
	case 0:
		return nil
	case 1:
		return usable(at(0))
	}
	i := rand.IntN(n)
	j := rand.IntN(n - 1)
	if j >= i {
		j++
	}
	a, b := at(i), at(j)
	if b.inflight < a.inflight {
		a, b = b, a
	}
	if a.onTrial() {
		return usable(b)
	}
	return a
}

// usable returns p, or nil if it is on trial with a request in flight.
func usable(p *pod) *pod {
	if p.onTrial() {
		return nil
	}
	return p
}
