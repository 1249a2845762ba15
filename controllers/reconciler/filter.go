package reconciler

import (
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ChildFilter is for a watch on children whose status the owner's
// reconcile reads only in part. It passes creations, deletions, updates
// that change a child's metadata (see metadataChanged), and updates for
// which changed reports a difference in what the owner reads; objects of
// another type pass. Without it every status write of a child's own
// controller reconciles the owner again: a Deployment's controller writes
// its status three or four times for each Deployment created, and from a
// cache that lags, such a reconcile writes the owner's status in vain and
// conflicts.
func ChildFilter[T client.Object](changed func(old, cur T) bool) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(T)
		cur, okCur := e.ObjectNew.(T)
		return !okOld || !okCur || metadataChanged(old, cur) || changed(old, cur)
	}}
}

// metadataChanged reports whether an update changed more than the status:
// the generation (so the spec), labels, annotations, owners or the
// deletion timestamp.
func metadataChanged(old, cur client.Object) bool {
	return old.GetGeneration() != cur.GetGeneration() ||
		!maps.Equal(old.GetLabels(), cur.GetLabels()) ||
		!maps.Equal(old.GetAnnotations(), cur.GetAnnotations()) ||
		!equality.Semantic.DeepEqual(old.GetOwnerReferences(), cur.GetOwnerReferences()) ||
		!old.GetDeletionTimestamp().Equal(cur.GetDeletionTimestamp())
}
