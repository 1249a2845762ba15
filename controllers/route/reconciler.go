// Package route reconciles Routes: it resolves each rule's traffic targets
// to revisions and decides which Route holds each host, so that the
// activator can build its routing table from Route status alone. A Route
// creates no child objects.
package route

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resources"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/kerrors"
)

// Event reasons recorded on Routes. Traffic problems are recorded with the
// AllTrafficAssigned condition's reason (RevisionMissing, RevisionFailed).
const (
	// ReasonHostsClaimed: the Route now holds all its hosts.
	ReasonHostsClaimed = "HostsClaimed"
	// ReasonTrafficUpdated: the Route's resolved traffic changed.
	ReasonTrafficUpdated = "TrafficUpdated"
	// ReasonFailed: a reconcile returned an error.
	ReasonFailed = "ReconcileFailed"
)

// Reconciler reconciles Routes.
type Reconciler struct {
	// Client reads and writes the API.
	Client client.Client
	// Recorder records events on Routes.
	Recorder events.EventRecorder
	// Config holds wake-config (the domain that decides which namespace
	// owns a host).
	Config *config.Store
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes/status,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile resolves one Route's traffic and host claims into its status.
// A phase that cannot read what it needs leaves its part of the status as
// it was and returns the error, so the Route is retried.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	orig := &servingv1alpha1.Route{}
	if err := r.Client.Get(ctx, req.NamespacedName, orig); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !orig.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	rt := orig.DeepCopy()
	rt.Status.InitializeConditions()
	domain := r.Config.Load().Domain

	err := errors.Join(
		r.reconcileTraffic(ctx, rt),
		r.reconcileHosts(ctx, rt, domain),
	)
	rt.Status.URL = resources.URL(rt)
	rt.Status.ObservedGeneration = rt.Generation
	r.recordChanges(ctx, orig, rt)
	if err != nil {
		r.Recorder.Eventf(rt, nil, corev1.EventTypeWarning, ReasonFailed, "Reconcile", "%v", err)
	}
	_, uerr := kerrors.UpdateStatus(ctx, r.Client, "route", rt, orig.Status, rt.Status)
	return ctrl.Result{}, errors.Join(err, uerr)
}
