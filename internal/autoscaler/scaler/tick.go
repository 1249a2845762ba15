package scaler

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	sec := now.Unix()
	for _, e := range s.reg.all() {
		v := s.opts.Stats.Concurrency(e.key, now)
		e.mu.Lock()
		from := sec
		if e.lastSample > 0 && sec-e.lastSample <= maxFill {
			from = e.lastSample + 1
		}
		for t := from; t <= sec; t++ {
			e.decider.Record(time.Unix(t, 0), v)
		}
		e.lastSample = max(e.lastSample, sec)
		e.mu.Unlock()
	}
}

// Tick syncs the targets and, when leading, decides for every revision and
// applies the changes.
func (s *Scaler) Tick(ctx context.Context) {
	if err := s.Sync(ctx); err != nil {
		s.opts.Log.Error(err, "Sync scaling targets")
	}
	if !s.Leading() {
		return
	}
	start := time.Now()
	now := s.opts.Clock.Now()
	var changes []change
	var scratch appsv1.Deployment
	for _, e := range s.reg.all() {
		if ch, ok := s.decide(ctx, e, now, &scratch); ok {
			changes = append(changes, ch)
		}
	}
	s.metrics.tick.Observe(time.Since(start).Seconds())
	s.apply(ctx, changes)
}

// change is a decision that needs a scale write, a status record or both.
type change struct {
	e      *entry
	dep    *appsv1.Deployment
	seq    uint64
	dec    decider.Decision
	write  bool // the scale differs
	record bool // the status differs
}

// noDeepCopy reads cached objects without copying them: 10,000 reads a
// tick only look at two fields. The object read must not be modified.
var noDeepCopy = &client.GetOptions{UnsafeDisableDeepCopy: ptr.To(true)}

// decide takes one revision's decision at now and says what must change.
// dep is scratch space for the Deployment; a change gets its own copy.
func (s *Scaler) decide(ctx context.Context, e *entry, now time.Time, dep *appsv1.Deployment) (change, bool) {
	e.mu.Lock()
	name := e.deployment
	e.mu.Unlock()
	*dep = appsv1.Deployment{}
	err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: e.key.Namespace, Name: name}, dep, noDeepCopy)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			s.opts.Log.Error(err, "Get Deployment", "revision", e.key.String(), "deployment", name)
		}
		return change{}, false
	}
	current := ptr.Deref(dep.Spec.Replicas, 1)
	in := decider.Input{ReadyPods: dep.Status.ReadyReplicas, CurrentScale: current}

	e.mu.Lock()
	defer e.mu.Unlock()
	// Trust our own recent write over a cache that has not caught up.
	if !e.writtenAt.IsZero() && now.Sub(e.writtenAt) < s.opts.CacheLag {
		in.CurrentScale = e.written
	}
	dec := e.decider.Decide(now, in)
	if e.observed == nil || *e.observed != dec {
		e.gauges.observe(dec)
		e.observed = &dec
	}
	e.seq++
	e.scale = in.CurrentScale
	ch := change{e: e, seq: e.seq, dec: dec}
	ch.write = dec.DesiredReplicas != in.CurrentScale
	rec := e.recorded
	ch.record = s.opts.Status != nil &&
		(rec == nil || rec.DesiredReplicas != dec.DesiredReplicas || rec.Panic != dec.Panic || rec.Reason != dec.Reason)
	if !ch.write && !ch.record {
		return change{}, false
	}
	ch.dep = dep.DeepCopy()
	return ch, true
}
