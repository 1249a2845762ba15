package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
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
		})
	}
	return out, nil
}
