package scaler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// entry is the scaler's state for one revision.
type entry struct {
	key    types.NamespacedName
	gauges gauges

	mu         sync.Mutex // guards the fields below
	deployment string
	decider    *decider.Decider
	lastSample int64 // Unix second of the newest sample; 0 before the first
	scale      int32 // last known spec.replicas; -1 before the first read
	seq        uint64
	written    int32
	writtenAt  time.Time         // zero before the first write
	recorded   *decider.Decision // last decision shown on the status
	observed   *decider.Decision // last decision exported as metrics
	syncGen    uint64            // last Sync that listed this revision

	// writeMu orders this revision's writes, so an older decision never
	// lands after a newer one.
	writeMu sync.Mutex
}

// registry holds the tracked revisions. The list is rebuilt on change and
// never mutated, so readers iterate it without holding the lock.
type registry struct {
	mu    sync.RWMutex
	byKey map[types.NamespacedName]*entry
	list  []*entry
}

func (r *registry) get(key types.NamespacedName) *entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byKey[key]
}

func (r *registry) all() []*entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.list
}

// Tracked reports whether a revision is being scaled; the stat server drops
// stats for any other.
func (s *Scaler) Tracked(rev types.NamespacedName) bool {
	return s.reg.get(rev) != nil
}

// Sync reads the targets and starts or stops tracking revisions. A target
// with an invalid spec is skipped (or, if tracked, keeps its old spec) and
// reported in the returned error; the others are synced all the same. Sync
// runs once per tick; it may also be called directly.
func (s *Scaler) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	targets, err := s.opts.Targets.ListTargets(ctx)
	if err != nil {
		return fmt.Errorf("list scaling targets: %w", err)
	}
	s.gen++
	var invalid []error
	var added []*entry
	for _, t := range targets {
		if e := s.reg.get(t.Revision); e != nil {
			if err := e.update(t, s.gen); err != nil {
				invalid = append(invalid, err)
			}
			continue
		}
		d, err := decider.New(t.Spec)
		if err != nil {
			invalid = append(invalid, fmt.Errorf("revision %s: %w", t.Revision, err))
			continue
		}
		added = append(added, &entry{key: t.Revision, gauges: s.metrics.forRevision(t.Revision),
			deployment: t.Deployment, decider: d, scale: -1, syncGen: s.gen})
	}
	s.commit(added)
	if len(invalid) > 0 {
		return fmt.Errorf("%d scaling targets skipped or not updated: %w", len(invalid), invalid[0])
	}
	return nil
}

// commit adds the new entries and drops those the last Sync did not list,
// rebuilding the registry only when something changed.
func (s *Scaler) commit(added []*entry) {
	var removed []*entry
	for _, e := range s.reg.all() {
		e.mu.Lock()
		gone := e.syncGen != s.gen
		e.mu.Unlock()
		if gone {
			removed = append(removed, e)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	for _, e := range removed {
		delete(s.reg.byKey, e.key)
		s.metrics.forget(e.key)
		s.opts.Stats.Forget(e.key)
	}
	for _, e := range added {
		s.reg.byKey[e.key] = e
	}
	list := make([]*entry, 0, len(s.reg.byKey))
	for _, e := range s.reg.byKey {
		list = append(list, e)
	}
	s.reg.list = list
	s.metrics.revisions.Set(float64(len(list)))
}

// update applies a target's spec and Deployment name to a tracked entry.
func (e *entry) update(t Target, gen uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncGen = gen
	e.deployment = t.Deployment
	if t.Spec == e.decider.Spec() {
		return nil
	}
	if err := e.decider.SetSpec(t.Spec); err != nil {
		return fmt.Errorf("revision %s: %w", t.Revision, err)
	}
	return nil
}
