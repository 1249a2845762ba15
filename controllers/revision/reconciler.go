// Package revision reconciles Revisions: each becomes a Deployment, whose
// replicas the autoscaler owns, and a headless Service, whose EndpointSlices
// the activator reads. The Revision's status reports on both, on the
// revision's pods, and on whether any traffic can reach it.
package revision

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
)

// Reconciler makes a Revision's Deployment and Service and reports their
// state on the Revision.
type Reconciler struct {
	reconciler.Deps
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions/status,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=resourcequotas,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the shared reconcile (see package reconciler) with the
// Revision's phases, ReconcileKind, and its change hook, RecordChanges.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.Revision](ctx, r.Client, r.Recorder, req, r)
}

// ReconcileKind brings rev's children in line with it and reports them,
// and whether traffic can reach it, on its status. It never writes a
// Deployment's replicas after creating it.
func (r *Reconciler) ReconcileKind(ctx context.Context, rev *servingv1alpha1.Revision) error {
	err := errors.Join(
		r.reconcileChildren(ctx, rev, r.Config.Load()),
		r.reconcileReachability(ctx, rev),
	)
	settleReady(&rev.Status)
	return err
}

// reconcileChildren reconciles the Deployment, then the Service, then the
// status they and the pods give. A phase that fails or finds its child
// owned by someone else ends it.
func (r *Reconciler) reconcileChildren(ctx context.Context, rev *servingv1alpha1.Revision, cfg *config.Config) error {
	dep, err := r.reconcileDeployment(ctx, rev, cfg)
	if dep == nil {
		return err
	}
	svcOwned, err := r.reconcileService(ctx, rev)
	if err != nil {
		return err
	}
	return r.reconcileStatus(ctx, rev, dep, svcOwned, cfg)
}

// RecordChanges records events for what a reconcile changed, once its
// status is written: readiness (see recordReadiness), refused scale-ups
// (see recordPodsNotCreated) and reachability (see recordReachability).
func (r *Reconciler) RecordChanges(ctx context.Context, before, after *servingv1alpha1.Revision) {
	r.recordReadiness(ctx, before, after)
	r.recordPodsNotCreated(ctx, before, after)
	r.recordReachability(ctx, before, after)
}

// recordPodsNotCreated records a Warning event, with the Deployment's
// reason and message, when a serving revision's scale-up starts being
// refused or is refused for another reason.
func (r *Reconciler) recordPodsNotCreated(ctx context.Context, before, after *servingv1alpha1.Revision) {
	now := after.Status.GetCondition(servingv1alpha1.RevisionConditionPodsCreated)
	if now == nil || !now.IsFalse() {
		return
	}
	if was := before.Status.GetCondition(servingv1alpha1.RevisionConditionPodsCreated); was != nil && was.IsFalse() && was.Message == now.Message {
		return
	}
	log.FromContext(ctx).Info("scale-up refused", "reason", now.Reason, "message", now.Message)
	r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Scale", "%s", now.Message)
}

// recordReadiness records an event when the revision becomes ready or fails.
func (r *Reconciler) recordReadiness(ctx context.Context, before, after *servingv1alpha1.Revision) {
	was := before.Status.GetCondition(apis.ConditionReady)
	now := after.Status.GetCondition(apis.ConditionReady)
	if now == nil || (was != nil && was.Status == now.Status) {
		return
	}
	switch now.Status {
	case corev1.ConditionTrue:
		log.FromContext(ctx).Info("revision is ready")
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, ReasonRevisionReady, "Reconcile", "Revision is ready")
	case corev1.ConditionFalse:
		if now.Reason == servingv1alpha1.ReasonNotOwned || refused(after) {
			return // markNotOwned, createChild or updateChild recorded it
		}
		log.FromContext(ctx).Info("revision failed", "reason", now.Reason, "message", now.Message)
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
	}
}
