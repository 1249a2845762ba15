// Package function reconciles Functions: one immutable Revision per change of
// the template, latest created / latest ready tracking, the default URL, and
// garbage collection of old revisions.
package function

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/hosts"
	"github.com/wakefn/wake/internal/names"
)

// Reconciler reconciles Functions.
type Reconciler struct {
	reconciler.Deps
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions/status,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes,verbs=get;list;watch

// Reconcile runs the shared reconcile (see package reconciler) with the
// Function's phases, ReconcileKind.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.Function](ctx, r.Client, r.Recorder, req, r)
}

// ReconcileKind brings fn's URL, revisions and their garbage collection up
// to date. Old revisions are collected only once the current ones are
// known.
func (r *Reconciler) ReconcileKind(ctx context.Context, fn *servingv1alpha1.Function) error {
	r.reconcileURL(fn)
	revs, err := r.reconcileRevisions(ctx, fn)
	if err != nil {
		return err
	}
	return r.collectGarbage(ctx, fn, revs)
}

// reconcileURL sets the Function's default URL from the cluster domain.
func (r *Reconciler) reconcileURL(fn *servingv1alpha1.Function) {
	fn.Status.URL = &apis.URL{Scheme: "http", Host: hosts.Function(fn.Name, fn.Namespace, r.Config.Load().Domain)}
}

// listRevisions returns the revisions fn controls, by revision number.
func (r *Reconciler) listRevisions(ctx context.Context, fn *servingv1alpha1.Function) (map[int64]*servingv1alpha1.Revision, error) {
	list := &servingv1alpha1.RevisionList{}
	if err := r.Client.List(ctx, list, client.InNamespace(fn.Namespace),
		client.MatchingLabels{servingv1alpha1.FunctionLabelKey: fn.Name}); err != nil {
		return nil, fmt.Errorf("list revisions of function %s: %w", client.ObjectKeyFromObject(fn), err)
	}
	revs := map[int64]*servingv1alpha1.Revision{}
	for i := range list.Items {
		rev := &list.Items[i]
		if n := names.RevisionNumber(fn.Name, rev.Name); n > 0 && metav1.IsControlledBy(rev, fn) {
			revs[n] = rev
		}
	}
	return revs, nil
}

// SetupWithManager registers the reconciler; Functions are reconciled again
// when their revisions change (see revisionChanged) and when wake-config
// changes, but not for status writes: their own, and the autoscaler's of
// status.usage (see reconciler.OwnStatusFilter).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&servingv1alpha1.Function{}, builder.WithPredicates(reconciler.OwnStatusFilter)).
		Owns(&servingv1alpha1.Revision{}, builder.WithPredicates(reconciler.ChildFilter(revisionChanged))).
		WatchesRawSource(configSource(mgr.GetClient(), r.Config)).
		Complete(r)
}

// ignoreAlreadyExists returns nil for an AlreadyExists error.
func ignoreAlreadyExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// revisionChanged reports whether a Revision's status changed in what a
// Function reads: its Ready condition. Its reachability, scale and the
// autoscaler's decisions change far more often and never change the
// Function.
func revisionChanged(old, cur *servingv1alpha1.Revision) bool {
	return !sameCondition(old.Status.GetCondition(apis.ConditionReady), cur.Status.GetCondition(apis.ConditionReady))
}

// sameCondition reports whether two conditions say the same: status,
// reason and message.
func sameCondition(a, b *apis.Condition) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message
}
