// Package reconciler is the one reconcile every Wake kind runs, modelled on
// Knative's generated reconcilers: it reads the object, skips one being
// deleted, deep-copies it, initialises its conditions, calls the kind's
// ReconcileKind (its phases), sets observedGeneration, writes the status
// only when it changed, and records events. A kind's package holds only
// what is its own: a Reconciler struct that embeds Deps and whose Reconcile is one call to
// Reconcile here, ReconcileKind, an optional RecordChanges, an optional
// ResyncPeriod, and SetupWithManager. Its table tests run on reconcilertest's harness.
//
// controllers/route is the example to copy for a new kind: its
// reconciler.go shows the whole shape in one short file, and its events.go
// the change hook.
//
// What belongs here: the steps every kind shares, and nothing about any
// one kind.
package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ConflictRetry is how soon an object whose status write conflicted is
// reconciled again, by then from a cache that holds the newer version.
const ConflictRetry = 500 * time.Millisecond

// OwnStatusFilter is for a kind whose status only its own reconciler
// writes, or others write only in parts the reconcile never reads (a
// Function's status.usage, the autoscaler's): it passes the updates that
// change more than the status (the spec, so the generation, the labels or
// the annotations), creations and deletions. The reconciler's own status writes would only bring the object
// back for a reconcile that finds nothing to do or, from a cache that has
// not yet seen the children it just created, one that creates them again.
var OwnStatusFilter = predicate.Or(predicate.GenerationChangedPredicate{},
	predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{})

// ReasonReconcileFailed is the reason of the one Warning event recorded on
// an object whose ReconcileKind returned an error. Every kind uses it.
const ReasonReconcileFailed = "ReconcileFailed"

// Object is a Wake kind as the skeleton handles it: a pointer to T with
// Knative-style status (conditions and observedGeneration) and a condition
// set, as Knative's KRshaped.
type Object[T any] interface {
	*T
	client.Object
	GetGroupVersionKind() schema.GroupVersionKind
	GetStatus() *duckv1.Status
	GetConditionSet() apis.ConditionSet
}

// Kind is what a kind's reconciler adds to the skeleton.
type Kind[P client.Object] interface {
	// ReconcileKind runs the kind's phases on obj, a deep copy whose
	// conditions are initialised. It changes only obj's status, and
	// returns the phases' errors, combined with errors.Join when several
	// phases ran.
	ReconcileKind(ctx context.Context, obj P) error
}

// ChangeRecorder is implemented by a Kind that records events or logs for
// what a reconcile changed in the status.
type ChangeRecorder[P client.Object] interface {
	// RecordChanges is called with the object as it was read and as it was
	// written, only after a status write succeeded: a reconcile that is
	// retried does not record the same change twice.
	RecordChanges(ctx context.Context, before, after P)
}

// Resyncer is implemented by a Kind whose status shows what no watch
// reports, such as use measured by another component: each of its objects
// is reconciled again ResyncPeriod after a reconcile that succeeded (an
// error is retried with the usual backoff instead).
type Resyncer interface {
	// ResyncPeriod is how long after a successful reconcile the object is
	// reconciled again.
	ResyncPeriod() time.Duration
}

// Reconcile reconciles the object req names with kind's phases:
//
//  1. get it: NotFound is done, another error is returned;
//  2. skip it while it is being deleted (the garbage collector removes
//     its children);
//  3. deep-copy it and initialise its conditions;
//  4. run kind.ReconcileKind;
//  5. set observedGeneration and write the status if it changed (see
//     updateStatus); after a write, call kind.RecordChanges if the kind
//     has one; a write that conflicts is tried again after ConflictRetry;
//  6. on an error from ReconcileKind, record one Warning event,
//     ReasonReconcileFailed; an error that only says the namespace is
//     being deleted is dropped (the deletion removes the object).
//
// It returns ReconcileKind's error joined with the status write's, so the
// object is retried with a backoff; without an error, a kind that is a
// Resyncer has the object requeued after its ResyncPeriod.
func Reconcile[T any, P Object[T]](ctx context.Context, c client.Client, rec events.EventRecorder, req ctrl.Request, kind Kind[P]) (ctrl.Result, error) {
	var orig P = new(T)
	if err := c.Get(ctx, req.NamespacedName, orig); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get %s %s: %w", kindName(orig), req.NamespacedName, err)
	}
	if !orig.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, nil
	}
	obj := orig.DeepCopyObject().(P)
	obj.GetConditionSet().Manage(obj.GetStatus()).InitializeConditions()

	err := kind.ReconcileKind(ctx, obj)
	obj.GetStatus().ObservedGeneration = obj.GetGeneration()

	written, uerr := updateStatus(ctx, c, orig, obj)
	conflict := apierrors.IsConflict(uerr)
	if conflict {
		// The object changed since it was read; its update event brings it
		// back, unless that event is filtered out (see OwnStatusFilter).
		uerr = nil
	}
	if cr, ok := kind.(ChangeRecorder[P]); ok && written {
		cr.RecordChanges(ctx, orig, obj)
	}
	if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// The namespace's deletion removes the object too: a retry or a
		// warning only adds noise (thousands of stack traces when a
		// namespace of many Functions is deleted).
		log.FromContext(ctx).V(1).Info("namespace is being deleted", "error", err.Error())
		err = nil
	}
	if err != nil {
		rec.Eventf(obj, nil, corev1.EventTypeWarning, ReasonReconcileFailed, "Reconcile", "%v", err)
	}
	if err := errors.Join(err, uerr); err != nil {
		return ctrl.Result{}, err
	}
	if conflict {
		return ctrl.Result{RequeueAfter: ConflictRetry}, nil
	}
	if rs, ok := kind.(Resyncer); ok {
		return ctrl.Result{RequeueAfter: rs.ResyncPeriod()}, nil
	}
	return ctrl.Result{}, nil
}

// updateStatus writes after's status subresource when after differs from
// before, the object as it was read (ReconcileKind changes only the status,
// so the objects differ only when the statuses do), and reports whether it
// wrote. A failure is returned naming the kind and the object.
func updateStatus(ctx context.Context, c client.Client, before, after shaped) (bool, error) {
	if equality.Semantic.DeepEqual(before, after) {
		return false, nil
	}
	if err := c.Status().Update(ctx, after); err != nil {
		return false, fmt.Errorf("update status of %s %s: %w", kindName(after), client.ObjectKeyFromObject(after), err)
	}
	return true, nil
}

// shaped is an object with a kind, as updateStatus takes it.
type shaped interface {
	client.Object
	GetGroupVersionKind() schema.GroupVersionKind
}

// kindName is obj's kind as error messages name it: "function",
// "revision", "route".
func kindName(obj shaped) string {
	return strings.ToLower(obj.GetGroupVersionKind().Kind)
}
