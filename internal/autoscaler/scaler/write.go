package scaler

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apply writes the changes, at most Options.Writers at a time, and returns
// when all are done.
func (s *Scaler) apply(ctx context.Context, changes []change) {
	if len(changes) == 1 {
		s.applyOne(ctx, changes[0])
		return
	}
	sem := make(chan struct{}, s.opts.Writers)
	var wg sync.WaitGroup
	for _, ch := range changes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
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
		err := s.writeScale(ctx, e.key.Namespace, ch.deployment, ch.dec.DesiredReplicas)
		if err == nil {
			e.mu.Lock()
			e.written, e.writtenAt, e.scale = ch.dec.DesiredReplicas, s.opts.Clock.Now(), ch.dec.DesiredReplicas
			e.mu.Unlock()
		}
		e.writeMu.Unlock()
		if err != nil {
			s.metrics.writeErrors.Inc()
			log.Error(err, "Scale revision")
			return
		}
		s.metrics.writes.Inc()
		log.Info("Scaled revision",
			"from", ch.from, "to", ch.dec.DesiredReplicas,
			"reason", string(ch.dec.Reason), "panic", ch.dec.Panic,
			"stableConcurrency", ch.dec.StableConcurrency, "panicConcurrency", ch.dec.PanicConcurrency)
	}
	if !ch.record {
		return
	}
	if err := s.opts.Status.RecordDecision(ctx, e.key, ch.dec); err != nil {
		log.Error(err, "Record scaling decision on the revision")
		return
	}
	e.mu.Lock()
	dec := ch.dec
	e.recorded = &dec
	e.mu.Unlock()
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
