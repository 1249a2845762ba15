package feed

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
)

// EndpointSliceControllerName is the value of the
// endpointslice.kubernetes.io/managed-by label on the slices that
// Kubernetes' EndpointSlice controller maintains for a Service's selector.
const EndpointSliceControllerName = "endpointslice-controller.k8s.io"

// Reasons for refusing an EndpointSlice, as SliceRefusal returns them. They
// are a fixed set, so they can label a metric.
const (
	// RefusedServiceName: the slice's kubernetes.io/service-name label does
	// not name the revision's Service.
	RefusedServiceName = "service-name"
	// RefusedManagedBy: the slice is not managed by the EndpointSlice
	// controller.
	RefusedManagedBy = "managed-by"
	// RefusedSliceOwner: the slice is not controlled by the revision's
	// Service (name and UID).
	RefusedSliceOwner = "slice-owner"
	// RefusedNoService: the revision's Service is not known.
	RefusedNoService = "no-service"
	// RefusedServiceOwner: the revision's Service is not controlled by the
	// Revision (name and UID), so Wake did not make it.
	RefusedServiceOwner = "service-owner"
	// RefusedAddress: the slice is trusted, but some of its addresses can
	// never be a pod's (see PodAddress) and were dropped.
	RefusedAddress = "address"
	// RefusedNotPod: the slice is trusted, but some of its addresses are held
	// by no running pod of the revision and were dropped: a forged slice,
	// or, rarely and for a moment, a pod whose IP reached the activator's
	// cache after the slice did (the pod's arrival syncs again).
	RefusedNotPod = "not-a-pod"
)

// SliceRefusal returns why the EndpointSlice s must not be used for the
// revision rev, or "" when it may: s must belong to the Service that Wake
// created for rev. That is, s's kubernetes.io/service-name label names the
// revision's Service, s is managed by the EndpointSlice controller, s's
// controller is svc (by name and UID), and svc, the revision's Service, is
// controlled by rev (by name and UID). svc may be nil when the revision's
// Service is not known.
//
// A tenant may create EndpointSlices in their namespace with any labels and
// addresses; without these checks the activator, a shared component with its
// own network identity, would send requests wherever such a slice points.
func SliceRefusal(s *discoveryv1.EndpointSlice, svc *corev1.Service, rev *servingv1alpha1.Revision) string {
	svcName := names.Service(rev.Name)
	switch {
	case s.Labels[discoveryv1.LabelServiceName] != svcName:
		return RefusedServiceName
	case s.Labels[discoveryv1.LabelManagedBy] != EndpointSliceControllerName:
		return RefusedManagedBy
	case svc == nil || svc.Name != svcName || svc.Namespace != s.Namespace || svc.Namespace != rev.Namespace:
		return RefusedNoService
	case !controlledBy(s.OwnerReferences, corev1.GroupName, "Service", svc.Name, svc.UID):
		return RefusedSliceOwner
	case !controlledBy(svc.OwnerReferences, servingv1alpha1.GroupVersion.Group, "Revision", rev.Name, rev.UID):
		return RefusedServiceOwner
	}
	return ""
}

// controlledBy reports whether refs hold a controller reference to the
// object of that API group (any version), kind, name and (non-empty) uid.
func controlledBy(refs []metav1.OwnerReference, group, kind, name string, uid types.UID) bool {
	for i := range refs {
		if ref := &refs[i]; ref.Controller != nil && *ref.Controller {
			gv, err := schema.ParseGroupVersion(ref.APIVersion)
			return err == nil && uid != "" && ref.UID == uid && gv.Group == group && ref.Kind == kind && ref.Name == name
		}
	}
	return false
}

// PodAddress reports whether addr is an IP address that a pod may have: a
// valid unicast address, not loopback, unspecified, link-local, multicast or
// broadcast, with no zone. IPv4-mapped IPv6 addresses are judged as IPv4.
func PodAddress(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return false
	}
	return ip.Unmap().IsGlobalUnicast()
}
