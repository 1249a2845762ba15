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

// apply writes the changes, as many at a time as slots holds, and returns
// when all are done.
func (s *Scaler) apply(ctx context.Context, changes []change, slots chan struct{}) {
	var wg sync.WaitGroup
	for _, ch := range changes {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			s.applyOne(ctx, ch)
		})
	}
	wg.Wait()
}

// applyOne writes one revision's scale, if still current, and then its
// status. A failed write leaves the status alone, so both are retried on
// the next tick.
func (s *Scaler) applyOne(ctx context.Context, ch change) {
	e := ch.e
	log := s.opts.Log.WithValues("revision", e.key.String(), "deployment", ch.deployment)
	if ch.write {
		e.writeMu.Lock()
		e.mu.Lock()
		stale := ch.seq != e.seq
		e.mu.Unlock()
		if stale {
			// A newer decision is on its way; writing this one could undo it.
			e.writeMu.Unlock()
			return
		}
		wrote, err := s.write(ctx, e.key.Namespace, ch)
		if err == nil && !wrote {
			// A standby found the revision woken already.
			e.writeMu.Unlock()
			return
		}
		if err == nil {
			e.mu.Lock()
			e.written, e.writtenAt, e.scale = ch.dec.DesiredReplicas, s.opts.Clock.Now(), ch.dec.DesiredReplicas
			e.mu.Unlock()
		}
		e.writeMu.Unlock()
		if err != nil {
			s.metrics.writeErrors.Inc()
			log.Error(err, "scale revision")
			return
		}
		s.metrics.writes.Inc()
		log.Info("scaled revision",
			"from", ch.from, "to", ch.dec.DesiredReplicas, "standby", ch.onlyFromZero,
			"reason", string(ch.dec.Reason), "panic", ch.dec.Panic,
			"stableConcurrency", ch.dec.StableConcurrency, "panicConcurrency", ch.dec.PanicConcurrency)
		if ch.from == 0 && ch.dec.DesiredReplicas > 0 {
			s.wakeReplicaSet(ctx, e.key.Namespace, ch.deployment, ch.dec.DesiredReplicas, log)
		}
	}
	if !ch.record {
		return
	}
	if err := s.opts.Status.RecordDecision(ctx, e.key, ch.dec); err != nil {
		log.Error(err, "record scaling decision on the revision")
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
