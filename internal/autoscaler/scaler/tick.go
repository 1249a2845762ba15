package scaler

import (
	"context"
	"time"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// maxFill is how many missed seconds Sample fills with the current value
// (a late ticker is not a drop in demand); longer gaps count as zero.
const maxFill = 5

// Sample records every tracked revision's concurrency at now. It records
// nothing while no activator is fresh: no report is not the same as no
// demand.
func (s *Scaler) Sample(now time.Time) {
	if !s.opts.Stats.Fresh(now) {
		return
	}
	for _, e := range s.reg.all() {
		v := s.opts.Stats.Concurrency(e.key, now)
		e.mu.Lock()
		e.sampleLocked(now, v)
		e.mu.Unlock()
	}
}

// sampleLocked records concurrency v at now, and in every second since the
// last sample if that was at most maxFill seconds ago. The caller holds
// e.mu, or e is not yet registered.
func (e *entry) sampleLocked(now time.Time, v float64) {
	sec := now.Unix()
	from := sec
	if e.lastSample > 0 && sec-e.lastSample <= maxFill {
		from = e.lastSample + 1
	}
	for t := from; t <= sec; t++ {
		e.decider.Record(time.Unix(t, 0), v)
	}
	e.lastSample = max(e.lastSample, sec)
}

// Tick decides, when leading, for every revision and applies the changes.
// It reads only the scaler's own state: Deployments come through
// ObserveDeployment and targets through Sync. It also asks for a Sync when
// the last listing failed. The revisions of a namespace with pod limits
// are decided together (see decideNamespace).
func (s *Scaler) Tick(ctx context.Context) {
	if s.relist.Swap(false) {
		s.TargetsChanged()
	}
	if !s.Leading() {
		return
	}
	start := time.Now()
	now := s.opts.Clock.Now()
	var changes []change
	if s.opts.Limits == nil {
		for _, e := range s.reg.all() {
			if ch, ok := s.decide(e, now); ok {
				changes = append(changes, ch)
			}
		}
	} else {
		changes = s.decideAll(now)
	}
	s.metrics.tick.Observe(time.Since(start).Seconds())
	s.apply(ctx, changes, s.tickSlots)
}

// change is a decision that needs a scale write, a status record or both.
type change struct {
	e          *entry
	deployment string // the Deployment's name, in the revision's namespace
	from       int32  // the scale the decision replaces
	seq        uint64
	dec        decider.Decision
	write      bool // the scale differs
	record     bool // the status differs
	// onlyFromZero makes the write conditional on the scale still being
	// zero: a standby's wake (see standbyWakes).
	onlyFromZero bool
	// pokedAt is when the revision's first poke arrived, for a wake that a
	// poke asked for; zero otherwise.
	pokedAt time.Time
}

// decide takes one revision's decision at now and says what must change.
// A revision whose Deployment has not been observed, or whose wake is being
// written, is skipped.
func (s *Scaler) decide(e *entry, now time.Time) (change, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.waking {
		// A poke's wake is being written: deciding again before it lands
		// would write the same wake twice.
		return change{}, false
	}
	p, ok := s.proposeLocked(e, now)
	if !ok {
		return change{}, false
	}
	return s.settleLocked(p, false)
}

// proposal is a revision's decision before its namespace's limits.
type proposal struct {
	e   *entry
	in  decider.Input
	dec decider.Decision
}

// inputLocked is what a decision at now starts from; false when the
// Deployment has not been observed. The caller holds e.mu.
func (s *Scaler) inputLocked(e *entry, now time.Time) (decider.Input, bool) {
	if !e.hasDep {
		return decider.Input{}, false
	}
	in := decider.Input{ReadyPods: e.dep.ReadyReplicas, CurrentScale: e.dep.Replicas, Unreachable: e.unreachable}
	// Trust our own recent write over a cache that has not caught up.
	if !e.writtenAt.IsZero() && now.Sub(e.writtenAt) < s.opts.CacheLag {
		in.CurrentScale = e.written
	}
	return in, true
}

// proposeLocked runs the revision's decider at now. The caller holds e.mu.
func (s *Scaler) proposeLocked(e *entry, now time.Time) (proposal, bool) {
	in, ok := s.inputLocked(e, now)
	if !ok {
		return proposal{}, false
	}
	return proposal{e: e, in: in, dec: e.decider.Decide(now, in)}, true
}

// settleLocked makes p.dec the revision's decision, capped says the
// namespace's limits cut it, and says what must change. The caller holds
// p.e.mu.
func (s *Scaler) settleLocked(p proposal, capped bool) (change, bool) {
	e, in, dec := p.e, p.in, p.dec
	if e.observed == nil || *e.observed != dec {
		e.gauges.observe(dec)
		e.observed = &dec
	}
	e.seq++
	e.scale = in.CurrentScale
	e.granted, e.capped = dec.DesiredReplicas, capped
	ch := change{e: e, deployment: e.deployment, from: in.CurrentScale, seq: e.seq, dec: dec}
	ch.write = dec.DesiredReplicas != in.CurrentScale
	rec := e.recorded
	ch.record = s.opts.Status != nil &&
		(rec == nil || rec.DesiredReplicas != dec.DesiredReplicas || rec.Panic != dec.Panic || rec.Reason != dec.Reason)
	if !ch.write && !ch.record {
		return change{}, false
	}
	return ch, true
}
