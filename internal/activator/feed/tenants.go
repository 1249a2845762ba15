package feed

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy"
	"github.com/wakefn/wake/internal/tenancy/inputs"
)

// +kubebuilder:rbac:groups=serving.wake.dev,resources=tenantpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// TenantLimits receives every namespace's tenant limits
// (tenant.Limiter.SetLimits).
type TenantLimits interface {
	SetLimits(t *tenant.Table)
}

// TenantWatcher keeps the namespaces' tenant limits in step with the
// TenantPolicies, the namespaces' labels and wake-config's tenant-*
// defaults: on any change it resolves them all again (tenancy.Resolve) and
// hands the result to Limits in one piece, so that a request sees the old
// limits or the new ones, never a mix.
type TenantWatcher struct {
	// Cache holds the TenantPolicies and the namespaces' metadata, as
	// NewCache keeps them (stripped to what Resolve reads).
	Cache cache.Cache
	// Config supplies the tenant-* defaults.
	Config *config.Store
	// Limits receives each resolution.
	Limits TenantLimits
	// Log records resolutions and policies whose selector is invalid.
	Log logr.Logger

	kick   chan struct{}
	loaded atomic.Bool
}

// Start registers the event handlers and resolves the limits on every
// change until ctx ends. The Cache must be started separately.
func (w *TenantWatcher) Start(ctx context.Context) error {
	w.kick = make(chan struct{}, 1)
	if _, err := inputs.Watch(ctx, w.Cache, w.Resolve); err != nil {
		return err
	}
	if !w.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("tenant cache did not sync")
	}
	w.Config.Subscribe(func(*config.Config) { w.Resolve() })
	for {
		if err := w.resolve(ctx); err != nil {
			w.Log.Error(err, "resolve tenant limits")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		}
	}
}

// Resolve asks for the limits to be resolved again; calls coalesce.
func (w *TenantWatcher) Resolve() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Loaded reports whether the limits were resolved once: until then the
// activator enforces none.
func (w *TenantWatcher) Loaded() bool { return w.loaded.Load() }

// resolve lists the policies and namespaces from the cache and hands their
// resolution to Limits.
func (w *TenantWatcher) resolve(ctx context.Context) error {
	in, err := inputs.List(ctx, w.Cache)
	if err != nil {
		return err
	}
	r := in.Resolve(w.Config.Load().Tenant)
	w.Limits.SetLimits(TenantTable(r))
	w.loaded.Store(true)
	for name, err := range r.Invalid {
		w.Log.V(1).Info("tenant policy selects nothing", "policy", name, "error", err.Error())
	}
	w.Log.V(1).Info("tenant limits resolved", "policies", len(in.Policies), "namespaces", len(in.Namespaces), "governed", len(r.Limits))
	return nil
}

// stripTenantPolicy keeps of a TenantPolicy what tenancy.Resolve reads: its
// name, age and spec. Its status (up to MaxTenantNamespacesInStatus
// namespaces) and annotations would only cost memory.
func stripTenantPolicy(o any) (any, error) {
	p, ok := o.(*servingv1alpha1.TenantPolicy)
	if !ok {
		return o, nil
	}
	return &servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, UID: p.UID, ResourceVersion: p.ResourceVersion, Generation: p.Generation,
			CreationTimestamp: p.CreationTimestamp,
		},
		Spec: p.Spec,
	}, nil
}

// stripNamespace keeps of a namespace's metadata its name and labels.
func stripNamespace(o any) (any, error) {
	m, ok := o.(*metav1.PartialObjectMetadata)
	if !ok {
		return o, nil
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta: m.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion, Labels: m.Labels,
		},
	}, nil
}

// TenantTable returns the request limits of r, as the data plane's
// tenant.Limiter takes them.
func TenantTable(r *tenancy.Result) *tenant.Table {
	t := &tenant.Table{Default: requestLimits(r.Defaults), Namespaces: make(map[string]tenant.Limits, len(r.Limits))}
	for ns, l := range r.Limits {
		t.Namespaces[ns] = requestLimits(l)
	}
	return t
}

func requestLimits(l servingv1alpha1.TenantLimitsInForce) tenant.Limits {
	return tenant.Limits{MaxInFlight: l.MaxInFlight, MaxHeldRequests: l.MaxHeldRequests, RequestsPerSecond: l.RequestsPerSecond, Burst: l.Burst}
}
