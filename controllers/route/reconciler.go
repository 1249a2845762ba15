// Package route reconciles Routes: it resolves each rule's traffic targets
// to revisions and decides which Route holds each host, so that the
// activator can build its routing table from Route status alone, and
// reports whether the credential Secrets its apiKeys policies name are
// mirrored for the activators. A Route creates no child objects.
//
// It is the example a new kind's reconciler is copied from, being the
// smallest: reconciler.go has the Reconciler struct, its RBAC, Reconcile
// (one call to the shared reconciler.Reconcile) and ReconcileKind (the
// phases, their errors joined); one file per phase (traffic.go, hosts.go,
// credentials.go) reads what the phase needs and hands it to pure
// functions (package resolve); events.go has the event reasons and
// RecordChanges, the hook that records what a written status changed;
// setup.go has SetupWithManager and its watches. Its tests show the same split:
// table tests on reconcilertest's harness (reconciler_test.go), envtest
// scenarios (envtest_test.go, started by main_test.go).
package route

import (
	"context"
	"errors"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// Reconciler reconciles Routes.
type Reconciler struct {
	reconciler.Deps
	// Reader reads, from the API server, whether a credential Secret that
	// has no mirror exists: tenants' Secrets are not cached.
	Reader client.Reader
	// SystemNamespace holds the credentials mirrors.
	SystemNamespace string
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes/status,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=domaingrants,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the shared reconcile (see package reconciler) with the
// Route's phases, ReconcileKind, and its change hook, RecordChanges.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.Route](ctx, r.Client, r.Recorder, req, r)
}

// ReconcileKind resolves rt's traffic, host claims and credentials into its
// status. A
// phase that cannot read what it needs leaves its part of the status as it
// was and returns the error, so the Route is retried.
func (r *Reconciler) ReconcileKind(ctx context.Context, rt *servingv1alpha1.Route) error {
	err := errors.Join(
		r.reconcileTraffic(ctx, rt),
		r.reconcileHosts(ctx, rt, r.Config.Load()),
		r.reconcileCredentials(ctx, rt),
	)
	rt.Status.URL = resolve.URL(rt)
	return err
}
