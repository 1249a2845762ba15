package scaler

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// tenants is the scaler's state of the namespaces that have pod limits.
type tenants struct {
	mu   sync.Mutex
	byNS map[string]*tenant
}

// tenant is one limited namespace's state.
type tenant struct {
	// mu makes the namespace's allocations one at a time: a tick's and a
	// poke's must not both grant the last free pod.
	mu  sync.Mutex
	ups scaleUps // guarded by mu
}

// get returns ns's state, made on first use.
func (t *tenants) get(ns string) *tenant {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byNS == nil {
		t.byNS = map[string]*tenant{}
	}
	tn := t.byNS[ns]
	if tn == nil {
		tn = &tenant{}
		t.byNS[ns] = tn
	}
	return tn
}

// retain forgets the namespaces not in keep and returns their names.
func (t *tenants) retain(keep map[string]bool) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for ns := range t.byNS {
		if !keep[ns] {
			delete(t.byNS, ns)
			gone = append(gone, ns)
		}
	}
	return gone
}

// decideAll decides for every revision, namespace by namespace: those of a
// namespace with pod limits together (decideNamespace), the others alone.
func (s *Scaler) decideAll(now time.Time) []change {
	var changes []change
	limited := map[string]bool{}
	for ns, list := range s.reg.namespaces() {
		lim := s.opts.Limits.PodLimits(ns)
		if lim.None() {
			for _, e := range list {
				if ch, ok := s.decide(e, now); ok {
					changes = append(changes, ch)
				}
			}
			continue
		}
		limited[ns] = true
		changes = s.decideNamespace(changes, ns, list, lim, now, nil)
	}
	for _, ns := range s.tenants.retain(limited) {
		s.metrics.capped.DeleteLabelValues(ns)
	}
	return changes
}

// decidePoked decides for the poked revisions of namespace ns, which are at
// zero, and appends the changes.
func (s *Scaler) decidePoked(changes []change, ns string, poked []*entry, now time.Time) []change {
	lim := PodLimits{}
	if s.opts.Limits != nil {
		lim = s.opts.Limits.PodLimits(ns)
	}
	if lim.None() {
		for _, e := range poked {
			if ch, ok := s.decide(e, now); ok {
				changes = append(changes, ch)
			}
		}
		return changes
	}
	only := make(map[types.NamespacedName]bool, len(poked))
	for _, e := range poked {
		only[e.key] = true
	}
	return s.decideNamespace(changes, ns, s.reg.namespace(ns), lim, now, only)
}

// decideNamespace decides for the revisions of namespace ns (list, sorted
// by name) under its limits lim and appends the changes: each revision's
// decider decides, then allocate caps the decisions so that the namespace
// stays within lim, and a decision it cuts gets the reason
// ReasonTenantQuotaExceeded. With only set (a poke), only those revisions
// decide; the others, and those whose wake is being written, hold what
// they have or were last granted.
func (s *Scaler) decideNamespace(changes []change, ns string, list []*entry, lim PodLimits, now time.Time, only map[types.NamespacedName]bool) []change {
	tn := s.tenants.get(ns)
	tn.mu.Lock()
	defer tn.mu.Unlock()
	props := make([]proposal, len(list))
	deciding := make([]bool, len(list))
	claims := make([]claim, len(list))
	for i, e := range list {
		e.mu.Lock()
		in, ok := s.inputLocked(e, now)
		switch {
		case !ok:
		case (only == nil || only[e.key]) && !e.waking:
			props[i], deciding[i] = proposal{e: e, in: in, dec: e.decider.Decide(now, in)}, true
			claims[i] = claim{current: in.CurrentScale, ready: in.ReadyPods, want: props[i].dec.DesiredReplicas, prev: e.granted}
		default:
			use := max(in.CurrentScale, e.granted)
			claims[i] = claim{current: use, ready: in.ReadyPods, want: use, prev: use}
		}
		e.mu.Unlock()
	}
	grant := allocate(claims, lim.MaxPods, tn.ups.budget(now, lim))
	var added int64
	capped := 0
	for i, e := range list {
		e.mu.Lock()
		if deciding[i] {
			p := props[i]
			cut := grant[i] < p.dec.DesiredReplicas
			if cut {
				p.dec.DesiredReplicas, p.dec.Reason = grant[i], decider.ReasonTenantQuotaExceeded
			}
			added += int64(max(0, grant[i]-claims[i].current))
			if ch, ok := s.settleLocked(p, cut); ok {
				changes = append(changes, ch)
			}
		}
		if e.capped {
			capped++
		}
		e.mu.Unlock()
	}
	tn.ups.add(now, added)
	s.metrics.capped.WithLabelValues(ns).Set(float64(capped))
	return changes
}
