// Package controllers wires Wake's reconcilers into a controller-runtime
// manager. Each kind has its own package below this one (function,
// revision, route, domaingrant, tenantpolicy), and every kind runs the one reconcile of package
// reconciler; controllers/route is the example a new kind copies.
package controllers

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/credentials"
	"github.com/wakefn/wake/controllers/domaingrant"
	"github.com/wakefn/wake/controllers/function"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/revision"
	"github.com/wakefn/wake/controllers/route"
	"github.com/wakefn/wake/controllers/tenantpolicy"
	"github.com/wakefn/wake/internal/config"
)

// Options configures Setup.
type Options struct {
	// SystemNamespace is where wake-config and the credentials mirrors
	// live.
	SystemNamespace string
	// TenantUsage reports the requests in flight per namespace, shown on
	// TenantPolicy status; nil shows 0.
	TenantUsage tenantpolicy.Usage
}

// Setup registers the wake-config watcher and every reconciler with mgr, and
// returns the configuration store they share.
func Setup(mgr ctrl.Manager, opts Options) (*config.Store, error) {
	store := config.NewStore()
	deps := reconciler.NewDeps(mgr, store)
	cw := &config.Watcher{Client: deps.Client, Store: store, Namespace: opts.SystemNamespace, Recorder: deps.Recorder}
	if err := cw.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&function.Reconciler{Deps: deps},
		&revision.Reconciler{Deps: deps},
		&route.Reconciler{Deps: deps, Reader: mgr.GetAPIReader(), SystemNamespace: opts.SystemNamespace},
		&domaingrant.Reconciler{Deps: deps},
		&tenantpolicy.Reconciler{Deps: deps, Usage: opts.TenantUsage},
		&credentials.Reconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), SystemNamespace: opts.SystemNamespace},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return nil, err
		}
	}
	return store, nil
}

// CacheOptions limits what the manager caches to what the reconcilers read:
// ConfigMaps only in the system namespace, pods only when they belong to a
// revision, and no object's managed fields (writes never send them back, so
// the API server keeps them; at 10,000 Functions they were much of the
// controller's memory).
func CacheOptions(opts Options) cache.Options {
	byObject := map[client.Object]cache.ByObject{
		&corev1.ConfigMap{}: {Namespaces: map[string]cache.Config{opts.SystemNamespace: {}}},
	}
	maps.Copy(byObject, revision.CacheByObject())
	maps.Copy(byObject, credentials.CacheByObject(opts.SystemNamespace))
	return cache.Options{ByObject: byObject, DefaultTransform: cache.TransformStripManagedFields()}
}
