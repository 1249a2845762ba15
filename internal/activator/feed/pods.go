package feed

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// PodIPs returns the set of IPs that the pods among pods hold: an endpoint
// whose address is not among them is not a pod of the revision, whatever
// its slice says. Pods on the host network (whose IP is the node's) and
// pods that have finished (whose IP may already be another pod's) are left
// out. A pod being deleted keeps its IP until it is gone; its slice marks
// it terminating.
func PodIPs(pods []corev1.Pod) map[string]bool {
	ips := make(map[string]bool, len(pods))
	for i := range pods {
		p := &pods[i]
		if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			ips[ip.IP] = true
		}
	}
	return ips
}

// stripPod keeps of a pod only what PodIPs reads, so the activator's cache
// of revision pods stays small. Other objects pass unchanged.
func stripPod(o any) (any, error) {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return o, nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
			Labels: p.Labels,
		},
		Spec:   corev1.PodSpec{HostNetwork: p.Spec.HostNetwork},
		Status: corev1.PodStatus{Phase: p.Status.Phase, PodIPs: p.Status.PodIPs},
	}, nil
}

// podIPsChanged reports whether a pod update may change what PodIPs and
// the revision label say, so that pods' other status updates cause no sync.
func podIPsChanged(old, cur any) bool {
	o, ok1 := old.(*corev1.Pod)
	c, ok2 := cur.(*corev1.Pod)
	if !ok1 || !ok2 {
		return true
	}
	return o.Status.Phase != c.Status.Phase || o.Spec.HostNetwork != c.Spec.HostNetwork ||
		!slices.Equal(o.Status.PodIPs, c.Status.PodIPs) ||
		o.Labels[servingv1alpha1.RevisionLabelKey] != c.Labels[servingv1alpha1.RevisionLabelKey]
}
