package feed

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// The activator caches every Function, Revision and revision Service; at
// 10,000 Functions their templates, images, environments and conditions
// were most of its memory. Each is stripped, as it enters the cache, to
// what BuildInput, RevisionConfig and SliceRefusal read.

// stripFunction keeps a Function's name and its latest ready revision.
func stripFunction(o any) (any, error) {
	f, ok := o.(*servingv1alpha1.Function)
	if !ok {
		return o, nil
	}
	return &servingv1alpha1.Function{
		ObjectMeta: keptMeta(&f.ObjectMeta),
		Status: servingv1alpha1.FunctionStatus{
			LatestReadyRevisionName: f.Status.LatestReadyRevisionName,
		},
	}, nil
}

// stripRevision keeps a Revision's identity, timeout, container
// concurrency and its serving container's port and readiness probe.
func stripRevision(o any) (any, error) {
	r, ok := o.(*servingv1alpha1.Revision)
	if !ok {
		return o, nil
	}
	out := &servingv1alpha1.Revision{
		ObjectMeta: keptMeta(&r.ObjectMeta),
		Spec: servingv1alpha1.RevisionSpec{
			TimeoutSeconds:       r.Spec.TimeoutSeconds,
			ContainerConcurrency: r.Spec.ContainerConcurrency,
		},
	}
	if c := r.Spec.ServingContainer(); c != nil {
		out.Spec.Containers = []servingv1alpha1.Container{{Port: c.Port, ReadinessProbe: c.ReadinessProbe}}
	}
	return out, nil
}

// stripRoute drops a Route's status.usage, which the activator never
// reads and which may hold a few kilobytes per Route, and its managed
// fields (a transform of its own replaces the cache's default one).
func stripRoute(o any) (any, error) {
	if rt, ok := o.(*servingv1alpha1.Route); ok {
		rt.Status.Usage, rt.ManagedFields = nil, nil
	}
	return o, nil
}

// stripService keeps a Service's identity, labels and owners.
func stripService(o any) (any, error) {
	s, ok := o.(*corev1.Service)
	if !ok {
		return o, nil
	}
	return &corev1.Service{ObjectMeta: keptMeta(&s.ObjectMeta)}, nil
}

// keptMeta is the metadata every stripped object keeps.
func keptMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, DeletionTimestamp: m.DeletionTimestamp,
		Labels: m.Labels, OwnerReferences: m.OwnerReferences,
	}
}
