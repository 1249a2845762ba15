package revision

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/reachability"
)

// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions;routes,verbs=get;list;watch

// reconcileReachability sets status.reachability from the revision's
// Function and the Routes in its namespace (see reachability.Of). On a read
// error the status keeps its previous value.
func (r *Reconciler) reconcileReachability(ctx context.Context, rev *servingv1alpha1.Revision) error {
	fn, err := r.functionOf(ctx, rev)
	if err != nil {
		return err
	}
	var routes servingv1alpha1.RouteList
	if err := r.Client.List(ctx, &routes, client.InNamespace(rev.Namespace)); err != nil {
		return fmt.Errorf("list routes in %s: %w", rev.Namespace, err)
	}
	rev.Status.Reachability = reachability.Of(rev, fn, routes.Items)
	return nil
}

// recordReachability records an event when a revision whose reachability
// was known becomes unreachable or stops being so.
func (r *Reconciler) recordReachability(ctx context.Context, before, after *servingv1alpha1.Revision) {
	was, now := before.Status.Reachability, after.Status.Reachability
	switch {
	case was == now || was == "":
	case now == servingv1alpha1.ReachabilityUnreachable:
		log.FromContext(ctx).Info("revision is unreachable", "was", was)
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, ReasonUnreachable, "Reconcile",
			"No traffic can reach the revision: it scales to zero after its scaleToZeroGracePeriod, whatever its minScale")
	case was == servingv1alpha1.ReachabilityUnreachable:
		log.FromContext(ctx).Info("revision is reachable again", "now", now)
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, ReasonReachableAgain, "Reconcile",
			"Traffic can reach the revision again (%s): it keeps its minScale pods", now)
	}
}

// functionOf returns the Function that controls rev, or nil if there is none.
func (r *Reconciler) functionOf(ctx context.Context, rev *servingv1alpha1.Revision) (*servingv1alpha1.Function, error) {
	ref := metav1.GetControllerOfNoCopy(rev)
	if ref == nil || ref.Kind != "Function" || ref.APIVersion != servingv1alpha1.GroupVersion.String() {
		return nil, nil
	}
	fn := &servingv1alpha1.Function{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: rev.Namespace, Name: ref.Name}, fn)
	if err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("get function %s/%s: %w", rev.Namespace, ref.Name, err)
	}
	return fn, nil
}

// functionToRevisions maps a Function to its revisions, whose reachability
// follows its latest created and latest ready revisions.
func (r *Reconciler) functionToRevisions(ctx context.Context, obj client.Object) []reconcile.Request {
	var revs servingv1alpha1.RevisionList
	if err := r.Client.List(ctx, &revs, client.InNamespace(obj.GetNamespace()),
		client.MatchingLabels{servingv1alpha1.FunctionLabelKey: obj.GetName()}); err != nil {
		// The cache does not fail a List; the next change of the Function
		// maps again.
		return nil
	}
	out := make([]reconcile.Request, 0, len(revs.Items))
	for i := range revs.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&revs.Items[i])})
	}
	return out
}

// routeToRevisions maps a Route to the revisions its targets name. On an
// update both the old and the new Route are mapped, so a revision that
// loses its last reference is reconciled too.
func routeToRevisions(_ context.Context, obj client.Object) []reconcile.Request {
	rt, ok := obj.(*servingv1alpha1.Route)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var out []reconcile.Request
	for _, name := range reachability.Referenced(rt) {
		if !seen[name] {
			seen[name] = true
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rt.Namespace, Name: name}})
		}
	}
	return out
}

// functionMovedOn passes the Function events that may change its revisions'
// reachability: creation, deletion, the start of its deletion, and a new
// latest created or latest ready revision.
var functionMovedOn = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*servingv1alpha1.Function)
		n, ok2 := e.ObjectNew.(*servingv1alpha1.Function)
		return !ok1 || !ok2 ||
			o.Status.LatestCreatedRevisionName != n.Status.LatestCreatedRevisionName ||
			o.Status.LatestReadyRevisionName != n.Status.LatestReadyRevisionName ||
			o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero()
	},
}

// routeTargetsChanged passes the Route events that may change which
// revisions it reaches: creation, deletion and a change of its rules or of
// their resolved traffic.
var routeTargetsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*servingv1alpha1.Route)
		n, ok2 := e.ObjectNew.(*servingv1alpha1.Route)
		return !ok1 || !ok2 ||
			!equality.Semantic.DeepEqual(o.Spec.Rules, n.Spec.Rules) ||
			!equality.Semantic.DeepEqual(o.Status.Rules, n.Status.Rules)
	},
}
