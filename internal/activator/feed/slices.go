package feed

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
)

// sliceChanged syncs the endpoints of the revision the slice is labelled
// with; deleted tells that the slice is gone.
func (w *Watcher) sliceChanged(ctx context.Context, o any, deleted bool) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	s, ok := o.(*discoveryv1.EndpointSlice)
	if !ok {
		return
	}
	if deleted {
		w.refused.forget(s.UID)
	}
	w.syncEndpoints(ctx, types.NamespacedName{Namespace: s.Namespace, Name: s.Labels[servingv1alpha1.RevisionLabelKey]})
}

// serviceChanged syncs the endpoints of the revisions whose Service this may
// be: the one it is labelled with, and the one of its name (names.Service
// keeps the revision's name), which matters when the label was removed.
func (w *Watcher) serviceChanged(ctx context.Context, o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	svc, ok := o.(*corev1.Service)
	if !ok {
		return
	}
	rev := svc.Labels[servingv1alpha1.RevisionLabelKey]
	w.syncEndpoints(ctx, types.NamespacedName{Namespace: svc.Namespace, Name: rev})
	if svc.Name != rev {
		w.syncEndpoints(ctx, types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name})
	}
}

// revisionAdded syncs the endpoints of a new revision, whose slices may have
// arrived before it.
func (w *Watcher) revisionAdded(ctx context.Context, o any) {
	if rev, ok := o.(*servingv1alpha1.Revision); ok {
		w.syncEndpoints(ctx, types.NamespacedName{Namespace: rev.Namespace, Name: rev.Name})
	}
}

// syncEndpoints passes the current endpoints of revision key to the
// throttler, from those of its slices in the cache that belong to the
// Service Wake made for it. It does nothing for a revision not in the cache
// (the Revision's arrival syncs it). Refused slices are logged and counted
// once per version.
func (w *Watcher) syncEndpoints(ctx context.Context, key types.NamespacedName) {
	if key.Name == "" {
		return
	}
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	rev := &servingv1alpha1.Revision{}
	if err := w.Cache.Get(ctx, key, rev); err != nil {
		if !apierrors.IsNotFound(err) {
			w.Log.Error(err, "get revision", "revision", key.String())
		}
		return
	}
	var svc *corev1.Service
	s := &corev1.Service{}
	switch err := w.Cache.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: names.Service(key.Name)}, s); {
	case err == nil:
		svc = s
	case !apierrors.IsNotFound(err):
		w.Log.Error(err, "get revision service", "revision", key.String())
		return
	}
	list := &discoveryv1.EndpointSliceList{}
	if err := w.Cache.List(ctx, list, client.InNamespace(key.Namespace),
		client.MatchingLabels{servingv1alpha1.RevisionLabelKey: key.Name}); err != nil {
		w.Log.Error(err, "list endpoint slices", "revision", key.String())
		return
	}
	pods := &corev1.PodList{}
	if err := w.Cache.List(ctx, pods, client.InNamespace(key.Namespace),
		client.MatchingLabels{servingv1alpha1.RevisionLabelKey: key.Name}); err != nil {
		w.Log.Error(err, "list pods", "revision", key.String())
		return
	}
	podIPs := PodIPs(pods.Items)
	trusted := make([]*discoveryv1.EndpointSlice, 0, len(list.Items))
	for i := range list.Items {
		s := &list.Items[i]
		if reason := SliceRefusal(s, svc, rev); reason != "" {
			w.refuse(s, key, reason)
			continue
		}
		trusted = append(trusted, s)
		if bad, notPod := droppedAddresses(s, podIPs); bad > 0 {
			w.refuse(s, key, RefusedAddress, "dropped", bad)
		} else if notPod > 0 {
			w.refuse(s, key, RefusedNotPod, "dropped", notPod)
		}
	}
	w.Throttler.SetEndpoints(key, Endpoints(trusted, podIPs))
}

// refuse logs and counts the refusal of slice s for revision key, once per
// slice version and reason. A missing Service is only logged at V(1): it is
// what the activator sees for a moment when a slice reaches its cache
// before the Service does, and the Service's arrival syncs again.
func (w *Watcher) refuse(s *discoveryv1.EndpointSlice, key types.NamespacedName, reason string, kv ...any) {
	if !w.refused.first(s, reason) {
		return
	}
	kv = append([]any{"slice", s.Namespace + "/" + s.Name, "revision", key.String(), "reason", reason}, kv...)
	if reason == RefusedNoService {
		w.Log.V(1).Info("endpoint slice refused", kv...)
		return
	}
	w.Log.Info("endpoint slice refused", kv...)
	if w.OnSliceRefused != nil {
		w.OnSliceRefused(reason)
	}
}

// droppedAddresses counts the endpoints of s that Endpoints drops: bad,
// those whose address is never a pod's; notPod, those whose address no pod
// of the revision holds. Terminating endpoints, dropped anyway, are not
// counted.
func droppedAddresses(s *discoveryv1.EndpointSlice, podIPs map[string]bool) (bad, notPod int) {
	for _, e := range s.Endpoints {
		switch {
		case len(e.Addresses) == 0 || ptr.Deref(e.Conditions.Terminating, false):
		case !PodAddress(e.Addresses[0]):
			bad++
		case !usable(e, podIPs):
			notPod++
		}
	}
	return bad, notPod
}

// podChanged syncs the endpoints of the pod's revision: a slice may list
// the pod before the activator's cache holds the pod's IP.
func (w *Watcher) podChanged(ctx context.Context, o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if p, ok := o.(*corev1.Pod); ok {
		w.syncEndpoints(ctx, types.NamespacedName{Namespace: p.Namespace, Name: p.Labels[servingv1alpha1.RevisionLabelKey]})
	}
}
