package scaler

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/pace"
)

// TargetsChanged tells the scaler that the targets changed (a revision was
// added or deleted or its reachability changed, the cluster defaults
// changed): it lists them again soon, off the tick path. Calls that arrive
// before that listing collapse into it. It never blocks; informer event handlers call it.
func (s *Scaler) TargetsChanged() {
	select {
	case s.syncSig <- struct{}{}:
	default:
	}
}

// serveSyncs runs Sync after each TargetsChanged until ctx is done, paced
// (see package pace): a Sync lists every revision, and while thousands are
// created they change faster than it takes.
func (s *Scaler) serveSyncs(ctx context.Context) {
	pace.Loop(ctx, s.opts.Clock, s.syncSig, func(ctx context.Context) {
		if err := s.Sync(ctx); err != nil {
			s.opts.Log.Error(err, "sync scaling targets")
		}
	})
}

// Sync reads the targets and starts or stops tracking revisions. A target
// with an invalid spec is skipped (or, if tracked, keeps its old spec) and
// reported in the returned error; the others are synced all the same. If
// the targets cannot be listed, the next tick asks for another Sync. Start
// runs it first and after each TargetsChanged; it may also be called
// directly.
func (s *Scaler) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	targets, err := s.opts.Targets.ListTargets(ctx)
	if err != nil {
		s.relist.Store(true)
		return fmt.Errorf("list scaling targets: %w", err)
	}
	s.gen++
	var invalid []error
	var added, renamed []*entry
	var newNames []string
	var reachable []types.NamespacedName
	now := s.opts.Clock.Now()
	fresh := s.opts.Stats.Fresh(now)
	for _, t := range targets {
		if e := s.reg.get(t.Revision); e != nil {
			changedName, reachableAgain, err := e.update(t, s.gen)
			if err != nil {
				invalid = append(invalid, err)
			}
			if changedName {
				renamed, newNames = append(renamed, e), append(newNames, t.Deployment)
			}
			if reachableAgain {
				reachable = append(reachable, t.Revision)
			}
			continue
		}
		shown := t.Shown
		d, err := decider.New(t.Spec)
		if err != nil {
			invalid = append(invalid, fmt.Errorf("revision %s: %w", t.Revision, err))
			continue
		}
		e := &entry{key: t.Revision, gauges: s.metrics.forRevision(t.Revision),
			deployment: t.Deployment, decider: d, unreachable: t.Unreachable, scale: -1, granted: -1, syncGen: s.gen,
			recorded: &shown}
		if fresh {
			// Sampled at once, so that its first decision has data: one
			// made before the next Sample would be NoData, and its record
			// a status write in vain.
			e.sampleLocked(now, s.opts.Stats.Concurrency(t.Revision, now))
		}
		added = append(added, e)
	}
	s.commit(added, renamed, newNames)
	// A revision at zero that traffic can reach again gets its minScale
	// pods now, not at the next tick.
	s.servePoked(ctx, reachable)
	if len(invalid) > 0 {
		return fmt.Errorf("%d scaling targets skipped or not updated: %w", len(invalid), invalid[0])
	}
	return nil
}

// commit adds the new entries, points renamed entries at their new
// Deployments and drops the entries the last Sync did not list, rebuilding
// the registry only when something changed.
func (s *Scaler) commit(added, renamed []*entry, newNames []string) {
	var removed []*entry
	for _, e := range s.reg.all() {
		e.mu.Lock()
		gone := e.syncGen != s.gen
		e.mu.Unlock()
		if gone {
			removed = append(removed, e)
		}
	}
	if len(added) == 0 && len(removed) == 0 && len(renamed) == 0 {
		return
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	for _, e := range removed {
		delete(s.reg.byKey, e.key)
		s.reg.unlinkLocked(e)
		s.metrics.forget(e.key)
		s.opts.Stats.Forget(e.key)
	}
	for i, e := range renamed {
		s.reg.unlinkLocked(e)
		e.mu.Lock()
		e.deployment = newNames[i]
		e.mu.Unlock()
		s.reg.linkLocked(e)
	}
	for _, e := range added {
		s.reg.byKey[e.key] = e
		s.reg.linkLocked(e)
	}
	if len(added) == 0 && len(removed) == 0 {
		return // the list is unchanged
	}
	list := make([]*entry, 0, len(s.reg.byKey))
	for _, e := range s.reg.byKey {
		list = append(list, e)
	}
	s.reg.list = list
	s.reg.byNS = groupByNamespace(list)
	s.metrics.revisions.Set(float64(len(list)))
}

// update applies a target's spec and reachability to a tracked entry and
// reports whether its Deployment's name changed (commit applies the new
// name) and whether it was unreachable and no longer is.
func (e *entry) update(t Target, gen uint64) (renamed, reachableAgain bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncGen = gen
	reachableAgain = e.unreachable && !t.Unreachable
	e.unreachable = t.Unreachable
	renamed = e.deployment != t.Deployment
	if t.Spec == e.decider.Spec() {
		return renamed, reachableAgain, nil
	}
	if err := e.decider.SetSpec(t.Spec); err != nil {
		return renamed, reachableAgain, fmt.Errorf("revision %s: %w", t.Revision, err)
	}
	return renamed, reachableAgain, nil
}
