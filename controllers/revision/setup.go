package revision

import (
	"context"
	"time"

	"golang.org/x/time/rate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
)

// ControllerName names the controller in logs and metrics.
const ControllerName = "revision"

// MaxRetryDelay bounds the backoff between retries of a failing revision,
// so that one refused by an admission policy that was since relaxed
// recovers within a minute, not the default's quarter of an hour.
const MaxRetryDelay = time.Minute

// rateLimiter is controller-runtime's default (per-item exponential backoff
// from 5 ms, and 10 retries a second overall with a burst of 100) with its
// per-item backoff capped at MaxRetryDelay.
func rateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, MaxRetryDelay),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// SetupWithManager registers the reconciler. It watches Revisions, the
// Deployments and Services they control, their pods, the deletion of a
// Deployment or Service that blocked a revision (see NotOwned), the
// ResourceQuotas that may have refused a revision's children (see
// markRefused), and the Functions and Routes that decide which revisions
// traffic can reach.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		WithOptions(controller.Options{RateLimiter: rateLimiter()}).
		For(&servingv1alpha1.Revision{}).
		Owns(&appsv1.Deployment{}, builder.WithPredicates(reconciler.ChildFilter(deploymentReadChanged))).
		Owns(&corev1.Service{}).
		Watches(&corev1.Pod{},
			handler.EnqueueRequestsFromMapFunc(podToRevision),
			builder.WithPredicates(predicate.NewPredicateFuncs(hasRevisionLabel))).
		Watches(&appsv1.Deployment{},
			handler.EnqueueRequestsFromMapFunc(blockerToRevision),
			builder.WithPredicates(deletedBlocker)).
		Watches(&corev1.Service{},
			handler.EnqueueRequestsFromMapFunc(blockerToRevision),
			builder.WithPredicates(deletedBlocker)).
		Watches(&corev1.ResourceQuota{},
			handler.EnqueueRequestsFromMapFunc(r.quotaToRevisions)).
		Watches(&servingv1alpha1.Function{},
			handler.EnqueueRequestsFromMapFunc(r.functionToRevisions),
			builder.WithPredicates(functionMovedOn)).
		Watches(&servingv1alpha1.Route{},
			handler.EnqueueRequestsFromMapFunc(routeToRevisions),
			builder.WithPredicates(routeTargetsChanged)).
		Complete(r)
}

// CacheByObject returns the manager cache settings this reconciler needs:
// only pods with the revision label are cached, not every pod of the
// cluster. Pass it as cache.Options.ByObject (merged with other
// reconcilers' settings). Deployments and Services must stay unfiltered so
// that the reconciler sees, and refuses to adopt, objects it did not make.
func CacheByObject() map[client.Object]cache.ByObject {
	hasRevision, err := labels.NewRequirement(servingv1alpha1.RevisionLabelKey, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant, valid label key
	}
	return map[client.Object]cache.ByObject{
		&corev1.Pod{}: {Label: labels.NewSelector().Add(*hasRevision)},
	}
}

// deploymentReadChanged reports whether a Deployment's status changed in
// what reconcileStatus reads: its ready replicas or a failure it reports
// (see deploymentFailure). Its controller's other status writes (observed
// generation, updated and available replicas, the Progressing condition's
// routine reasons) do not change the revision.
func deploymentReadChanged(old, cur *appsv1.Deployment) bool {
	return old.Status.ReadyReplicas != cur.Status.ReadyReplicas ||
		ptr.Deref(deploymentFailure(old), problem{}) != ptr.Deref(deploymentFailure(cur), problem{})
}

// hasRevisionLabel reports whether obj belongs to a revision.
func hasRevisionLabel(obj client.Object) bool {
	return obj.GetLabels()[servingv1alpha1.RevisionLabelKey] != ""
}

// podToRevision maps a pod to the revision named by its label.
func podToRevision(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[servingv1alpha1.RevisionLabelKey]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
}

// blockerToRevision maps a Deployment or Service that no Revision controls
// to the revision whose child would have its name. A revision's Deployment
// and Service are named after the revision (names.Deployment and
// names.Service are the identity; a test checks it).
func blockerToRevision(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}}}
}

// quotaToRevisions maps a ResourceQuota that was created, changed or deleted
// to the revisions of its namespace whose children were refused: a quota
// raised, deleted or less used may now admit them. Without it they would
// wait for their backoff, which grows to minutes.
func (r *Reconciler) quotaToRevisions(ctx context.Context, obj client.Object) []reconcile.Request {
	var revs servingv1alpha1.RevisionList
	if err := r.Client.List(ctx, &revs, client.InNamespace(obj.GetNamespace())); err != nil {
		// The cache does not fail a List; the backoff retries the revisions.
		return nil
	}
	var out []reconcile.Request
	for i := range revs.Items {
		if refused(&revs.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&revs.Items[i])})
		}
	}
	return out
}

// deletedBlocker passes the deletion of objects that no Revision controls:
// a revision they blocked may now create its own.
var deletedBlocker = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	DeleteFunc:  func(e event.DeleteEvent) bool { return !controlledByRevision(e.Object) },
}

// controlledByRevision reports whether a Revision controls obj.
func controlledByRevision(obj client.Object) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.Kind == "Revision" && ref.APIVersion == servingv1alpha1.GroupVersion.String()
}
