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

// apply writes the changes, as many scales at a time as scales holds, and
// returns when all are done. Each change's status is recorded after its
// scale, holding a slot of records: when that is another pool than scales
// (a wake's), the scale's slot is first handed back, so that a wake's pods
// never wait for other wakes' status writes.
func (s *Scaler) apply(ctx context.Context, changes []change, scales, records chan struct{}) {
	var wg sync.WaitGroup
	for _, ch := range changes {
		scales <- struct{}{}
		wg.Go(func() {
			if !s.writeChange(ctx, ch) || !ch.record {
				<-scales
				return
			}
			if records != scales {
				<-scales
				records <- struct{}{}
			}
			defer func() { <-records }()
			s.recordChange(ctx, ch)
		})
	}
	wg.Wait()
}

// writeChange writes one revision's scale, if the change has one and it is
// still current, and reports whether its status should be recorded next:
// not after a failed write (both are retried on the next tick), a stale
// decision, or a standby that found the revision woken already.
func (s *Scaler) writeChange(ctx context.Context, ch change) bool {
	if !ch.write {
		return true
	}
	e := ch.e
	e.writeMu.Lock()
	e.mu.Lock()
	stale := ch.seq != e.seq
	e.mu.Unlock()
	if stale {
		// A newer decision is on its way; writing this one could undo it.
		e.writeMu.Unlock()
		return false
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
	log := s.opts.Log.WithValues("revision", e.key.String(), "deployment", ch.deployment)
	switch {
	case err != nil:
		s.metrics.writeErrors.Inc()
		log.Error(err, "scale revision")
		return false
	case !wrote:
		return false
	}
	s.metrics.writes.Inc()
	kv := []any{
		"from", ch.from, "to", ch.dec.DesiredReplicas, "standby", ch.onlyFromZero,
		"reason", string(ch.dec.Reason), "panic", ch.dec.Panic,
		"stableConcurrency", ch.dec.StableConcurrency, "panicConcurrency", ch.dec.PanicConcurrency,
		"writeMs", written.Sub(started).Milliseconds(),
	}
	if ch.from == 0 && ch.dec.DesiredReplicas > 0 {
		s.wakeReplicaSet(ctx, e.key.Namespace, ch.deployment, ch.dec.DesiredReplicas, log)
		kv = append(kv, "replicaSetMs", s.opts.Clock.Since(written).Milliseconds())
		if !ch.pokedAt.IsZero() {
			// From the poke to the pods asked for: the wait for a writer
			// slot, then the writes.
			kv = append(kv, "sincePokeMs", started.Sub(ch.pokedAt).Milliseconds())
			s.metrics.wake.Observe(s.opts.Clock.Since(ch.pokedAt).Seconds())
		}
	}
	log.Info("scaled revision", kv...)
	return true
}

// recordChange records one revision's decision on its status.
func (s *Scaler) recordChange(ctx context.Context, ch change) {
	e := ch.e
	if err := s.opts.Status.RecordDecision(ctx, e.key, ch.dec); err != nil {
		s.opts.Log.Error(err, "record scaling decision on the revision", "revision", e.key.String())
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
func (s *Scaler) wakeReplicaSet(ctx context.Context, namespace, deployment string, replicas int32, log logr.Logger) {
	if s.opts.ReplicaSets == nil {
		return
	}
	scaled, err := s.opts.ReplicaSets.Wake(ctx, namespace, deployment, replicas)
	switch {
	case err != nil:
		s.metrics.rsWakes.WithLabelValues("failed").Inc()
		log.Error(err, "scale the woken revision's ReplicaSet")
	case scaled:
		s.metrics.rsWakes.WithLabelValues("scaled").Inc()
	default:
		s.metrics.rsWakes.WithLabelValues("skipped").Inc()
	}
}
