package scaler

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// slots are the writer slots a batch of changes goes through, stage by
// stage: a change's scale, then a woken revision's ReplicaSet, then the
// status. A change holds one slot at a time; where the next stage has
// another pool, it hands its slot back first, so that no wake's scale
// waits for another wake's ReplicaSet or status writes. A tick's stages
// share one pool, and a change keeps its slot through them.
type slots struct{ scale, replicaSet, record chan struct{} }

// onePool is slots whose stages share pool.
func onePool(pool chan struct{}) slots { return slots{pool, pool, pool} }

// apply writes the changes through sl and returns when all are done. Only
// the scale stage bounds the goroutines it starts; a change waiting for a
// later stage's slot has one, and each revision has at most one change
// in flight.
func (s *Scaler) apply(ctx context.Context, changes []change, sl slots) {
	var wg sync.WaitGroup
	for _, ch := range changes {
		sl.scale <- struct{}{}
		wg.Go(func() {
			held := sl.scale
			defer func() { <-held }()
			next := func(pool chan struct{}) {
				if pool != held {
					<-held
					pool <- struct{}{}
					held = pool
				}
			}
			wrote, ok := s.writeChange(ctx, ch)
			if !ok {
				return
			}
			if wrote && ch.from == 0 && ch.dec.DesiredReplicas > 0 {
				next(sl.replicaSet)
				s.wakeReplicaSet(ctx, ch)
			}
			if ch.record {
				next(sl.record)
				s.recordChange(ctx, ch)
			}
		})
	}
	wg.Wait()
}

// writeChange writes one revision's scale, if the change has one and it is
// still current. It reports whether it wrote, and whether the change goes
// on to its later stages: not after a failed write (the scale and the
// status are retried on the next tick), a stale decision, or a standby
// that found the revision woken already.
func (s *Scaler) writeChange(ctx context.Context, ch change) (wrote, ok bool) {
	if !ch.write {
		return false, true
	}
	e := ch.e
	e.writeMu.Lock()
	e.mu.Lock()
	stale := ch.seq != e.seq
	e.mu.Unlock()
	if stale {
		// A newer decision is on its way; writing this one could undo it.
		e.writeMu.Unlock()
		return false, false
	}
	started := s.opts.Clock.Now()
	wrote, err := s.write(ctx, e.key.Namespace, ch)
	written := s.opts.Clock.Now()
	if err == nil && wrote {
		e.mu.Lock()
		e.written, e.writtenAt, e.scale = ch.dec.DesiredReplicas, written, ch.dec.DesiredReplicas
		e.mu.Unlock()
	}
	e.writeMu.Unlock()
	log := s.log(ch)
	switch {
	case err != nil:
		s.metrics.writeErrors.Inc()
		log.Error(err, "scale revision")
		return false, false
	case !wrote:
		return false, false
	}
	s.metrics.writes.Inc()
	kv := []any{
		"from", ch.from, "to", ch.dec.DesiredReplicas, "standby", ch.onlyFromZero,
		"reason", string(ch.dec.Reason), "panic", ch.dec.Panic,
		"stableConcurrency", ch.dec.StableConcurrency, "panicConcurrency", ch.dec.PanicConcurrency,
		"writeMs", written.Sub(started).Milliseconds(),
	}
	if !ch.pokedAt.IsZero() {
		// From the poke to the scale written: the wait for a writer slot,
		// then the write.
		kv = append(kv, "sincePokeMs", written.Sub(ch.pokedAt).Milliseconds())
		s.metrics.wake.Observe(written.Sub(ch.pokedAt).Seconds())
	}
	log.Info("scaled revision", kv...)
	return true, true
}

// log is the scaler's logger with ch's revision and Deployment.
func (s *Scaler) log(ch change) logr.Logger {
	return s.opts.Log.WithValues("revision", ch.e.key.String(), "deployment", ch.deployment)
}

// recordChange records one revision's decision on its status.
func (s *Scaler) recordChange(ctx context.Context, ch change) {
	e := ch.e
	if err := s.opts.Status.RecordDecision(ctx, e.key, ch.dec); err != nil {
		s.log(ch).Error(err, "record scaling decision on the revision")
		return
	}
	e.mu.Lock()
	dec := ch.dec
	e.recorded = &dec
	e.mu.Unlock()
}

// write writes ch's scale and reports whether it did: a standby's wake
// writes only if the scale is still zero.
func (s *Scaler) write(ctx context.Context, namespace string, ch change) (bool, error) {
	if ch.onlyFromZero {
		return s.writeScaleFromZero(ctx, namespace, ch.deployment, ch.dec.DesiredReplicas)
	}
	return true, s.writeScale(ctx, namespace, ch.deployment, ch.dec.DesiredReplicas)
}

// writeScale sets a Deployment's replicas through its scale subresource
// (verb update on deployments/scale; no read).
func (s *Scaler) writeScale(ctx context.Context, namespace, name string, replicas int32) error {
	meta := metav1.ObjectMeta{Name: name, Namespace: namespace}
	scale := &autoscalingv1.Scale{ObjectMeta: meta, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
	// A fresh object: some clients, the fake one, write into it.
	dep := &appsv1.Deployment{ObjectMeta: meta}
	if err := s.opts.Client.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale)); err != nil {
		return fmt.Errorf("update scale of deployment %s/%s to %d: %w", namespace, name, replicas, err)
	}
	return nil
}

// wakeReplicaSet scales the woken revision's ReplicaSet too, when
// Options.ReplicaSets is set. A failure only costs time: the Deployment's
// controller still scales it.
func (s *Scaler) wakeReplicaSet(ctx context.Context, ch change) {
	if s.opts.ReplicaSets == nil {
		return
	}
	started := s.opts.Clock.Now()
	scaled, err := s.opts.ReplicaSets.Wake(ctx, ch.e.key.Namespace, ch.deployment, ch.dec.DesiredReplicas)
	log := s.log(ch).WithValues("ms", s.opts.Clock.Since(started).Milliseconds())
	switch {
	case err != nil:
		s.metrics.rsWakes.WithLabelValues("failed").Inc()
		log.Error(err, "scale the woken revision's ReplicaSet")
	case scaled:
		s.metrics.rsWakes.WithLabelValues("scaled").Inc()
		log.V(1).Info("scaled the woken revision's ReplicaSet")
	default:
		s.metrics.rsWakes.WithLabelValues("skipped").Inc()
	}
}
