package tenantpolicy

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
)

// SetupWithManager registers the reconciler. Any policy can change which
// namespaces another governs, so every policy is reconciled again when:
//   - a policy is created or deleted, or its spec changes (its generation;
//     status writes do not count);
//   - a namespace is created or deleted, or its labels change (namespaces
//     are watched as metadata only: names and labels are all it reads);
//   - wake-config's tenant-* defaults change.
//
// Use (pods, requests in flight) is refreshed every UsageRefresh instead
// of on Revision changes, which the autoscaler makes every few seconds.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&servingv1alpha1.TenantPolicy{}).
		Watches(&servingv1alpha1.TenantPolicy{}, handler.EnqueueRequestsFromMapFunc(r.allPolicies),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.allPolicies),
			builder.OnlyMetadata, builder.WithPredicates(predicate.LabelChangedPredicate{})).
		WatchesRawSource(defaultsSource(mgr.GetClient(), r.Config)).
		Complete(r)
}

// allPolicies maps any object to every TenantPolicy. A list error is
// logged: a map function cannot return it.
func (r *Reconciler) allPolicies(ctx context.Context, _ client.Object) []reconcile.Request {
	return listPolicies(ctx, r.Client)
}

// listPolicies returns a request for every TenantPolicy.
func listPolicies(ctx context.Context, c client.Reader) []reconcile.Request {
	list := &servingv1alpha1.TenantPolicyList{}
	if err := c.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "list tenant policies to enqueue")
		return nil
	}
	reqs := make([]reconcile.Request, len(list.Items))
	for i := range list.Items {
		reqs[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
	}
	return reqs
}

// defaultsSource enqueues every TenantPolicy when wake-config's tenant-*
// defaults change, since they fill the limits policies leave unset.
func defaultsSource(c client.Reader, store *config.Store) source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		var mu sync.Mutex
		last := store.Load().Tenant
		store.Subscribe(func(cfg *config.Config) {
			mu.Lock()
			changed := cfg.Tenant != last
			last = cfg.Tenant
			mu.Unlock()
			if !changed {
				return
			}
			for _, req := range listPolicies(ctx, c) {
				q.Add(req)
			}
		})
		return nil
	})
}
