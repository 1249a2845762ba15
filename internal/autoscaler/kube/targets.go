package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/names"
)

// Targets lists the Revisions to scale; it implements scaler.Targets.
// Revisions being deleted are left out: their Deployments go with them.
type Targets struct {
	// Reader lists Revisions: the manager's cache.
	Reader client.Reader
	// Config supplies the cluster defaults of the scaling settings.
	Config *config.Store
}

var _ scaler.Targets = (*Targets)(nil)

// ListTargets returns a Target for every Revision in the cache. A Revision
// is unreachable only when its status.reachability says so: Pending and
// unset count as reachable.
func (t *Targets) ListTargets(ctx context.Context) ([]scaler.Target, error) {
	var list servingv1alpha1.RevisionList
	// Only a few fields are read: no need to copy 10,000 Revisions.
	if err := t.Reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	cfg := t.Config.Load().Autoscaler
	out := make([]scaler.Target, 0, len(list.Items))
	for i := range list.Items {
		rev := &list.Items[i]
		if rev.DeletionTimestamp != nil {
			continue
		}
		out = append(out, scaler.Target{
			Revision:    types.NamespacedName{Namespace: rev.Namespace, Name: rev.Name},
			Deployment:  names.Deployment(rev.Name),
			Spec:        DeciderSpec(rev, cfg),
			Unreachable: rev.Status.Reachability == servingv1alpha1.ReachabilityUnreachable,
			Shown:       shownDecision(rev),
		})
	}
	return out, nil
}

// shownDecision returns the decision rev's status shows. A status that
// shows none reads as scaled to zero, which is what a revision created at
// zero is: so a new revision that stays at zero costs no status write
// (one of about twenty API writes per Function when 10,000 are created at
// once), and a decision that differs is written as before.
func shownDecision(rev *servingv1alpha1.Revision) decider.Decision {
	a, desired := rev.Status.Autoscaler, rev.Status.DesiredReplicas
	if a == nil || desired == nil {
		return decider.Decision{Reason: decider.ReasonScaledToZero}
	}
	return decider.Decision{DesiredReplicas: *desired, Panic: a.PanicMode, Reason: decider.Reason(a.Reason)}
}
