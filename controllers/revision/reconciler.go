// Package revision reconciles Revisions: each becomes a Deployment, whose
// replicas the autoscaler owns, and a headless Service, whose EndpointSlices
// the activator reads. The Revision's status reports on both, on the
// revision's pods, and on whether any traffic can reach it.
package revision

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/kerrors"
)

// Reconciler makes a Revision's Deployment and Service and reports their
// state on the Revision.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// Recorder records events on Revisions.
	Recorder events.EventRecorder
	// Config holds wake-config; the initial scale default comes from it.
	Config *config.Store
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions/status,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=resourcequotas,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Revision's children in line with it and updates its
// status, including whether traffic can reach it. It never writes a Deployment's replicas after creating it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	orig := &servingv1alpha1.Revision{}
	if err := r.Client.Get(ctx, req.NamespacedName, orig); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get revision %s: %w", req.NamespacedName, err)
	}
	if !orig.DeletionTimestamp.IsZero() {
		// The garbage collector removes the children.
		return ctrl.Result{}, nil
	}
	rev := orig.DeepCopy()
	rev.Status.InitializeConditions()
	cfg := r.Config.Load()

	var errs []error
	dep, err := r.reconcileDeployment(ctx, rev, cfg)
	errs = append(errs, err)
	if dep != nil {
		svcOwned, err := r.reconcileService(ctx, rev)
		errs = append(errs, err)
		if err == nil {
			errs = append(errs, r.reconcileStatus(ctx, rev, dep, svcOwned, cfg))
		}
	}
	errs = append(errs, r.reconcileReachability(ctx, rev))
	settleReady(&rev.Status)
	rev.Status.ObservedGeneration = rev.Generation

	written, err := kerrors.UpdateStatus(ctx, r.Client, "revision", rev, orig.Status, rev.Status)
	if written {
		r.recordReadiness(ctx, orig, rev)
		r.recordReachability(ctx, orig, rev)
	}
	return ctrl.Result{}, errors.Join(append(errs, err)...)
}

// recordReadiness records an event when the revision becomes ready or fails.
// It runs after the status is written, so a retried reconcile does not
// repeat it.
func (r *Reconciler) recordReadiness(ctx context.Context, before, after *servingv1alpha1.Revision) {
	was := before.Status.GetCondition(apis.ConditionReady)
	now := after.Status.GetCondition(apis.ConditionReady)
	if now == nil || (was != nil && was.Status == now.Status) {
		return
	}
	switch now.Status {
	case corev1.ConditionTrue:
		log.FromContext(ctx).Info("Revision is ready")
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, "RevisionReady", "Reconcile", "Revision is ready")
	case corev1.ConditionFalse:
		if now.Reason == servingv1alpha1.ReasonNotOwned || refused(after) {
			return // markNotOwned, createChild or updateChild recorded it
		}
		log.FromContext(ctx).Info("Revision failed", "reason", now.Reason, "message", now.Message)
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
	}
}
