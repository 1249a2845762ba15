package scaler

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A standby wakes revisions at zero when the leader does not.
//
// Only the leader decides, but a leader that dies leaves no leader until
// its lease runs out (15 s by default), and a request to a revision at
// zero would wait that long. So every replica serves pokes: the leader at
// once, a standby after StandbyWakeDelay, and then only the wakes, each
// written only if the Deployment's scale is still zero (read, then written
// with that read's resourceVersion). While the leader lives, it has woken
// the revision by then and the standby's read finds it so; two standbys
// that both find zero cannot both write. A standby never scales down and
// never writes a Revision's status. Nor does it wake a revision of a
// namespace with tenant pod limits: only the leader knows the pods that
// namespace was given in the last minute, and a revision it holds at zero
// under those limits must stay there.

// standbyWait waits StandbyWakeDelay, the leader's head start on a poke;
// false when ctx ended first.
func (s *Scaler) standbyWait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-s.opts.Clock.After(s.opts.StandbyWakeDelay):
		return true
	}
}

// standbyWakes keeps the changes that wake a revision from zero and makes
// each write conditional on the scale still being zero; it drops status
// records, which are the leader's.
func standbyWakes(changes []change) []change {
	wakes := changes[:0]
	for _, ch := range changes {
		if !ch.write || ch.from != 0 || ch.dec.DesiredReplicas <= 0 {
			continue
		}
		ch.onlyFromZero, ch.record = true, false
		wakes = append(wakes, ch)
	}
	return wakes
}

// writeScaleFromZero sets a Deployment's replicas if its scale subresource
// still reads zero, with that read's resourceVersion as a precondition
// (verbs get and update on deployments/scale). It reports whether it wrote;
// a scale already above zero, or changed since the read, is not an error.
func (s *Scaler) writeScaleFromZero(ctx context.Context, namespace, name string, replicas int32) (bool, error) {
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	scale := &autoscalingv1.Scale{}
	if err := s.opts.Client.SubResource("scale").Get(ctx, dep, scale); err != nil {
		return false, fmt.Errorf("read scale of deployment %s/%s: %w", namespace, name, err)
	}
	if scale.Spec.Replicas != 0 {
		return false, nil
	}
	scale.Spec.Replicas = replicas
	err := s.opts.Client.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale))
	switch {
	case apierrors.IsConflict(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("update scale of deployment %s/%s from 0 to %d: %w", namespace, name, replicas, err)
	}
	return true, nil
}

// limited reports whether namespace ns has tenant pod limits.
func (s *Scaler) limited(ns string) bool {
	return s.opts.Limits != nil && !s.opts.Limits.PodLimits(ns).None()
}
