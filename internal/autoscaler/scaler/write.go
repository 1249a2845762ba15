package scaler

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
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
	log := s.opts.Log.WithValues("revision", e.key.String(), "deployment", ch.dep.Name)
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
		err := s.writeScale(ctx, ch.dep, ch.dec.DesiredReplicas)
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
			"from", ptr.Deref(ch.dep.Spec.Replicas, 1), "to", ch.dec.DesiredReplicas,
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

// writeScale sets a Deployment's replicas through its scale subresource.
func (s *Scaler) writeScale(ctx context.Context, dep *appsv1.Deployment, replicas int32) error {
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: dep.Name, Namespace: dep.Namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	// dep is the change's own copy (some clients, the fake one, write into
	// the object they are given).
	if err := s.opts.Client.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale)); err != nil {
		return fmt.Errorf("update scale of deployment %s/%s to %d: %w", dep.Namespace, dep.Name, replicas, err)
	}
	return nil
}
