package tenantpolicy

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/tenancy"
)

// Usage reports the use that only the data plane sees. The autoscaler's
// stat collector implements it (collector.Usage).
type Usage interface {
	// InFlight returns the requests in flight to namespace's revisions,
	// summed over all activators.
	InFlight(namespace string) float64
}

// namespaces returns the status line of each of names (sorted), with the
// limits res gives it and its use.
func (r *Reconciler) namespaces(ctx context.Context, names []string, res *tenancy.Result) ([]servingv1alpha1.TenantNamespaceStatus, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make([]servingv1alpha1.TenantNamespaceStatus, len(names))
	for i, ns := range names {
		pods, err := r.pods(ctx, ns)
		if err != nil {
			return nil, err
		}
		var inFlight float64
		if r.Usage != nil {
			inFlight = r.Usage.InFlight(ns)
		}
		out[i] = NamespaceStatus(ns, res.For(ns), pods, inFlight)
	}
	return out, nil
}

// pods sums status.desiredReplicas over namespace's Revisions: the pods
// the autoscaler's latest decisions hold for them. That is what maxPods
// caps, so the two compare directly: pods reaches maxPods when the quota
// holds the namespace back. Ready pods (status.actualReplicas) would leave
// out pods that are starting or failing but hold their share of the quota
// all the same. A revision the autoscaler has not decided for yet counts 0.
func (r *Reconciler) pods(ctx context.Context, namespace string) (int64, error) {
	revs := &servingv1alpha1.RevisionList{}
	if err := r.Client.List(ctx, revs, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return 0, fmt.Errorf("list revisions of namespace %s: %w", namespace, err)
	}
	var sum int64
	for i := range revs.Items {
		if d := revs.Items[i].Status.DesiredReplicas; d != nil && *d > 0 {
			sum += int64(*d)
		}
	}
	return sum, nil
}
