package route

import (
	"context"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/hosts"
)

// Field indexes this package registers on Routes.
const (
	// IndexHosts indexes Routes by every host and tag host they claim
	// (resolve.ClaimedHosts).
	IndexHosts = "route.wake.dev/hosts"
	// IndexFunctions indexes Routes by the functions their traffic names.
	IndexFunctions = "route.wake.dev/functions"
	// IndexRevisions indexes Routes by the revisions their traffic pins.
	IndexRevisions = "route.wake.dev/revisions"
)

// indexes lists the field indexes on Routes and how each is computed.
var indexes = []struct {
	field   string
	extract func(*servingv1alpha1.Route) []string
}{
	{IndexHosts, resolve.ClaimedHosts},
	{IndexFunctions, resolve.FunctionNames},
	{IndexRevisions, resolve.RevisionNames},
}

// indexFunc adapts an extractor to client.IndexerFunc.
func indexFunc(extract func(*servingv1alpha1.Route) []string) client.IndexerFunc {
	return func(o client.Object) []string {
		rt, ok := o.(*servingv1alpha1.Route)
		if !ok {
			return nil
		}
		return extract(rt)
	}
}

// SetupWithManager registers the field indexes and the reconciler. A Route
// is reconciled again when:
//   - a Route sharing one of its hosts is deleted or changes its hosts, so
//     the next oldest claimant takes over a released host;
//   - a Function its traffic names is created, deleted, or changes its
//     latest ready revision or readiness;
//   - a Revision it pins, or a Revision of a Function it names, is created,
//     deleted, or changes readiness;
//   - a DomainGrant is created, changed or deleted: the Routes in the
//     namespace it names (before and after a change) and the Routes asking
//     for a host its domains cover, in any namespace (one may take over a
//     host that another namespace lost);
//   - the cluster domain or the domain policy in wake-config changes;
//   - a credentials mirror is created, deleted or changes its annotations
//     (how many clients it leaves out): the Routes in its source Secret's
//     namespace that name that Secret. The mirrors come from the
//     manager's informer on Secrets, which credentials.CacheByObject
//     limits to the mirrors, and the Routes from the index
//     resolve.IndexCredentialSecrets, which the credentials reconciler
//     registers: both run in the same manager.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	for _, ix := range indexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, &servingv1alpha1.Route{}, ix.field, indexFunc(ix.extract)); err != nil {
			return err
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&servingv1alpha1.Route{}).
		Watches(&servingv1alpha1.Route{}, handler.EnqueueRequestsFromMapFunc(r.routesSharingHosts),
			builder.WithPredicates(hostsChanged())).
		Watches(&servingv1alpha1.Function{}, handler.EnqueueRequestsFromMapFunc(r.routesForFunction),
			builder.WithPredicates(functionChanged())).
		Watches(&servingv1alpha1.Revision{}, handler.EnqueueRequestsFromMapFunc(r.routesForRevision),
			builder.WithPredicates(revisionChanged())).
		Watches(&servingv1alpha1.DomainGrant{}, handler.EnqueueRequestsFromMapFunc(r.routesForGrant)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.routesForMirror),
			builder.WithPredicates(predicate.AnnotationChangedPredicate{})).
		WatchesRawSource(domainSource(mgr.GetClient(), r.Config)).
		Complete(r)
}

// routesSharingHosts maps a Route to the other Routes that claim one of its
// hosts. On an update it is called with both the old and the new object, so
// the claimants of released hosts are enqueued too.
func (r *Reconciler) routesSharingHosts(ctx context.Context, o client.Object) []reconcile.Request {
	rt, ok := o.(*servingv1alpha1.Route)
	if !ok {
		return nil
	}
	var reqs []reconcile.Request
	for _, h := range resolve.ClaimedHosts(rt) {
		reqs = append(reqs, r.routesMatching(ctx, client.MatchingFields{IndexHosts: h})...)
	}
	self := client.ObjectKeyFromObject(rt)
	return slices.DeleteFunc(reqs, func(req reconcile.Request) bool { return req.NamespacedName == self })
}

// routesForFunction maps a Function to the Routes in its namespace that
// name it.
func (r *Reconciler) routesForFunction(ctx context.Context, o client.Object) []reconcile.Request {
	return r.routesMatching(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{IndexFunctions: o.GetName()})
}

// routesForRevision maps a Revision to the Routes in its namespace that pin
// it or name its Function.
func (r *Reconciler) routesForRevision(ctx context.Context, o client.Object) []reconcile.Request {
	reqs := r.routesMatching(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{IndexRevisions: o.GetName()})
	if fn := o.GetLabels()[servingv1alpha1.FunctionLabelKey]; fn != "" {
		reqs = append(reqs, r.routesMatching(ctx, client.InNamespace(o.GetNamespace()),
			client.MatchingFields{IndexFunctions: fn})...)
	}
	return reqs
}

// routesForMirror maps a credentials mirror to the Routes in its source
// Secret's namespace that name that Secret; other Secrets map to none.
func (r *Reconciler) routesForMirror(ctx context.Context, o client.Object) []reconcile.Request {
	a := o.GetAnnotations()
	ns, name := a[servingv1alpha1.CredentialsNamespaceAnnotationKey], a[servingv1alpha1.CredentialsNameAnnotationKey]
	if o.GetNamespace() != r.SystemNamespace || ns == "" || name == "" ||
		o.GetLabels()[servingv1alpha1.CredentialsMirrorLabelKey] != servingv1alpha1.CredentialsMirrorLabelValue {
		return nil
	}
	return r.routesMatching(ctx, client.InNamespace(ns), client.MatchingFields{resolve.IndexCredentialSecrets: name})
}

// routesForGrant maps a DomainGrant to the Routes in the namespace it names
// and the Routes, in any namespace, that ask for a host its domains cover.
// Grants change rarely, so listing every Route is affordable. On an update
// it is called with both the old and the new object.
func (r *Reconciler) routesForGrant(ctx context.Context, o client.Object) []reconcile.Request {
	g, ok := o.(*servingv1alpha1.DomainGrant)
	if !ok {
		return nil
	}
	domains := make([]string, len(g.Spec.Domains))
	for i, d := range g.Spec.Domains {
		domains[i] = string(d)
	}
	list := &servingv1alpha1.RouteList{}
	if err := r.Client.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "list routes to enqueue after a domain grant change")
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		rt := &list.Items[i]
		if rt.Namespace == g.Spec.Namespace || slices.ContainsFunc(resolve.ClaimedHosts(rt), func(h string) bool { return hosts.Granted(h, domains) }) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(rt)})
		}
	}
	return reqs
}

// routesMatching lists Routes and returns a request for each. A list error
// is logged: a map function cannot return it.
func (r *Reconciler) routesMatching(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	list := &servingv1alpha1.RouteList{}
	if err := r.Client.List(ctx, list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "list routes to enqueue")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// hostsChanged passes deletions and updates that change a Route's claimed
// hosts or start its deletion; creations are left out because a new Route
// is never older than an existing one.
func hostsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldRt, ok1 := e.ObjectOld.(*servingv1alpha1.Route)
			newRt, ok2 := e.ObjectNew.(*servingv1alpha1.Route)
			if !ok1 || !ok2 {
				return true
			}
			return !slices.Equal(resolve.ClaimedHosts(oldRt), resolve.ClaimedHosts(newRt)) ||
				oldRt.DeletionTimestamp.IsZero() != newRt.DeletionTimestamp.IsZero()
		},
	}
}

// functionChanged passes Function updates that can change a resolution:
// the latest ready revision or the Ready condition's status.
func functionChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		oldFn, ok1 := e.ObjectOld.(*servingv1alpha1.Function)
		newFn, ok2 := e.ObjectNew.(*servingv1alpha1.Function)
		if !ok1 || !ok2 {
			return true
		}
		return oldFn.Status.LatestReadyRevisionName != newFn.Status.LatestReadyRevisionName ||
			readyStatus(oldFn.Status.GetCondition(apis.ConditionReady)) != readyStatus(newFn.Status.GetCondition(apis.ConditionReady))
	}}
}

// revisionChanged passes Revision updates that can change a resolution:
// readiness or the Function label. The autoscaler's frequent status writes
// are left out.
func revisionChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		oldRev, ok1 := e.ObjectOld.(*servingv1alpha1.Revision)
		newRev, ok2 := e.ObjectNew.(*servingv1alpha1.Revision)
		if !ok1 || !ok2 {
			return true
		}
		return oldRev.Labels[servingv1alpha1.FunctionLabelKey] != newRev.Labels[servingv1alpha1.FunctionLabelKey] ||
			readyStatus(oldRev.Status.GetCondition(apis.ConditionReady)) != readyStatus(newRev.Status.GetCondition(apis.ConditionReady))
	}}
}

// readyStatus returns a condition's status, "" when absent.
func readyStatus(c *apis.Condition) string {
	if c == nil {
		return ""
	}
	return string(c.Status)
}

// domainSource enqueues every Route when the cluster domain or the domain
// policy in wake-config changes, since they decide which hosts a Route may
// hold.
func domainSource(c client.Client, store *config.Store) source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		type hostSettings struct{ domain, policy string }
		var mu sync.Mutex
		last := hostSettings{store.Load().Domain, store.Load().DomainPolicy}
		store.Subscribe(func(cfg *config.Config) {
			now := hostSettings{cfg.Domain, cfg.DomainPolicy}
			mu.Lock()
			changed := now != last
			last = now
			mu.Unlock()
			if !changed {
				return
			}
			routes := &servingv1alpha1.RouteList{}
			if err := c.List(ctx, routes); err != nil {
				log.FromContext(ctx).Error(err, "list routes after a domain or domain policy change")
				return
			}
			for i := range routes.Items {
				q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&routes.Items[i])})
			}
		})
		return nil
	})
}
