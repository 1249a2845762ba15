package feed

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/pace"
)

// Throttler is what the Watcher tells the throttler.
type Throttler interface {
	UpsertRevision(key throttler.RevisionKey, rc throttler.RevisionConfig)
	DeleteRevision(key throttler.RevisionKey)
	SetEndpoints(key throttler.RevisionKey, eps []throttler.Endpoint)
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions;revisions;routes,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services;pods,verbs=get;list;watch

// Watcher keeps the routing table and the throttler in step with the API: it
// rebuilds the table whenever a Function, Revision or Route changes in a way
// that matters to routing (a request sees the old table or the new one,
// never a mix; under churn rebuilds are paced, see package pace) and passes each
// revision's settings and endpoints to the throttler. It passes on only the
// endpoints of slices that belong to the Service Wake made for the revision
// (see SliceRefusal), and of those only the addresses that a running pod of
// the revision holds (see PodIPs): a tenant can forge a slice that passes
// SliceRefusal until the EndpointSlice controller rewrites it, but cannot
// give a pod an IP.
type Watcher struct {
	// Cache holds Functions, Revisions, Routes and the revisions' Services,
	// EndpointSlices and pods (those labelled with serving.wake.dev/revision).
	Cache cache.Cache
	// Mirrors holds the credentials mirrors in Wake's namespace (see
	// NewSystemCache); nil serves apiKeys policies without clients, so
	// that they refuse every request.
	Mirrors cache.Cache
	// Table receives each new routing table.
	Table *routing.Holder
	// Throttler receives revision settings and endpoints.
	Throttler Throttler
	// OnRevisionDeleted is called after a revision is removed (metrics).
	OnRevisionDeleted func(key types.NamespacedName)
	// OnRouteDeleted is called after a Route is removed (metrics).
	OnRouteDeleted func(key types.NamespacedName)
	// Config supplies the domain of Function hosts.
	Config *config.Store
	// Log records table rebuilds and refused inputs.
	Log logr.Logger
	// OnSliceRefused, if set, counts an EndpointSlice version refused, or
	// one whose addresses were partly dropped, with the reason (one of the
	// Refused* constants). It is called once per slice version and reason.
	OnSliceRefused func(reason string)

	kick    chan struct{}
	syncMu  sync.Mutex // serialises endpoint syncs, so the last one wins
	refused refusedSlices
	synced  []toolscache.InformerSynced // each handler has seen its informer's first listing
}

// Start registers the event handlers and rebuilds the table on every change
// until ctx ends. The Cache must be started separately.
func (w *Watcher) Start(ctx context.Context) error {
	w.kick = make(chan struct{}, 1)
	for _, obj := range []client.Object{&servingv1alpha1.Function{}, &servingv1alpha1.Route{}} {
		if err := w.handle(ctx, obj, toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { w.Rebuild() },
			UpdateFunc: func(old, o any) {
				if RoutingChanged(old, o) {
					w.Rebuild()
				}
			},
			DeleteFunc: func(o any) { w.Rebuild(); w.routeDeleted(o) },
		}); err != nil {
			return err
		}
	}
	if err := w.handle(ctx, &servingv1alpha1.Revision{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { w.upsertRevision(o); w.Rebuild(); w.revisionAdded(ctx, o) },
		UpdateFunc: func(old, o any) {
			w.upsertRevision(o)
			if RoutingChanged(old, o) {
				w.Rebuild()
			}
		},
		DeleteFunc: func(o any) { w.deleteRevision(o) },
	}); err != nil {
		return err
	}
	if w.Mirrors != nil {
		if err := w.handleIn(ctx, w.Mirrors, &corev1.Secret{}, toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.Rebuild() },
			UpdateFunc: func(any, any) { w.Rebuild() },
			DeleteFunc: func(any) { w.Rebuild() },
		}); err != nil {
			return err
		}
	}
	if err := w.handle(ctx, &discoveryv1.EndpointSlice{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.sliceChanged(ctx, o, false) },
		UpdateFunc: func(_, o any) { w.sliceChanged(ctx, o, false) },
		DeleteFunc: func(o any) { w.sliceChanged(ctx, o, true) },
	}); err != nil {
		return err
	}
	if err := w.handle(ctx, &corev1.Pod{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { w.podChanged(ctx, o) },
		UpdateFunc: func(old, o any) {
			if podIPsChanged(old, o) {
				w.podChanged(ctx, o)
			}
		},
		DeleteFunc: func(o any) { w.podChanged(ctx, o) },
	}); err != nil {
		return err
	}
	if err := w.handle(ctx, &corev1.Service{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.serviceChanged(ctx, o) },
		UpdateFunc: func(_, o any) { w.serviceChanged(ctx, o) },
		DeleteFunc: func(o any) { w.serviceChanged(ctx, o) },
	}); err != nil {
		return err
	}
	if !w.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("activator cache did not sync")
	}
	// An informer reports synced before its handlers have seen every object
	// of its first listing; the table is published (and the activator
	// ready) only once the throttler knows every revision and endpoint, or
	// a request let in at once (one a listener keeper queued meanwhile)
	// would find its revision unknown.
	if !toolscache.WaitForCacheSync(ctx.Done(), w.synced...) {
		return nil // ctx is done
	}
	w.Config.Subscribe(func(*config.Config) { w.Rebuild() })
	rebuild := func(ctx context.Context) {
		if err := w.rebuild(ctx); err != nil {
			w.Log.Error(err, "rebuild routing table")
		}
	}
	rebuild(ctx)
	pace.Loop(ctx, clock.RealClock{}, w.kick, rebuild)
	return nil
}

// Rebuild asks for the routing table to be rebuilt; calls coalesce.
func (w *Watcher) Rebuild() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *Watcher) handle(ctx context.Context, obj client.Object, h toolscache.ResourceEventHandler) error {
	return w.handleIn(ctx, w.Cache, obj, h)
}

// handleIn registers h on c's informer for obj; the table waits for it to
// have seen the informer's first listing.
func (w *Watcher) handleIn(ctx context.Context, c cache.Cache, obj client.Object, h toolscache.ResourceEventHandler) error {
	inf, err := c.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("informer for %T: %w", obj, err)
	}
	reg, err := inf.AddEventHandler(h)
	if err != nil {
		return fmt.Errorf("event handler for %T: %w", obj, err)
	}
	w.synced = append(w.synced, reg.HasSynced)
	return nil
}

// rebuild builds a new table from the cache and publishes it. It reads the
// cache's objects in place (no copies: at 10,000 Functions copying them took
// longer than building the table) and must not change them.
func (w *Watcher) rebuild(ctx context.Context) error {
	var (
		fns    servingv1alpha1.FunctionList
		revs   servingv1alpha1.RevisionList
		routes servingv1alpha1.RouteList
	)
	for _, l := range []client.ObjectList{&fns, &revs, &routes} {
		if err := w.Cache.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return fmt.Errorf("list %T: %w", l, err)
		}
	}
	var mirrors corev1.SecretList
	if w.Mirrors != nil {
		if err := w.Mirrors.List(ctx, &mirrors, client.UnsafeDisableDeepCopy); err != nil {
			return fmt.Errorf("list credentials mirrors: %w", err)
		}
	}
	table, problems := routing.Build(BuildInput(w.Config.Load().Domain, fns.Items, revs.Items, routes.Items, CredentialsOf(mirrors.Items)))
	for _, p := range problems {
		w.Log.Info("routing input refused", "kind", p.Kind, "object", p.Object.String(), "problem", p.Message)
	}
	w.Table.Store(table)
	w.Log.V(1).Info("routing table rebuilt", "functions", len(fns.Items), "revisions", len(revs.Items), "routes", len(routes.Items))
	return nil
}

func (w *Watcher) upsertRevision(o any) {
	rev, ok := o.(*servingv1alpha1.Revision)
	if !ok {
		return
	}
	w.Throttler.UpsertRevision(types.NamespacedName{Namespace: rev.Namespace, Name: rev.Name}, RevisionConfig(rev))
}

// routeDeleted passes a deleted Route's name to OnRouteDeleted; other
// objects are ignored.
func (w *Watcher) routeDeleted(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if rt, ok := o.(*servingv1alpha1.Route); ok && w.OnRouteDeleted != nil {
		w.OnRouteDeleted(types.NamespacedName{Namespace: rt.Namespace, Name: rt.Name})
	}
}

func (w *Watcher) deleteRevision(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	rev, ok := o.(*servingv1alpha1.Revision)
	if !ok {
		return
	}
	key := types.NamespacedName{Namespace: rev.Namespace, Name: rev.Name}
	w.Throttler.DeleteRevision(key)
	if w.OnRevisionDeleted != nil {
		w.OnRevisionDeleted(key)
	}
	w.Rebuild()
}
