package manifests

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// pod is one end of a connection: a pod's namespace, its labels and its
// namespace's labels, and, for a destination, its container ports.
type pod struct {
	namespace       string
	labels          map[string]string
	namespaceLabels map[string]string
	ports           []corev1.ContainerPort
}

// ingressAllowed reports whether the NetworkPolicies pols let src open a
// TCP connection to dst on port, by the NetworkPolicy API's rules: a pod no
// Ingress policy selects accepts everything; a selected pod accepts what at
// least one rule of one selecting policy allows. Traffic from the pod's
// own node (kubelet's probes), which the API always allows, is not modelled.
func ingressAllowed(pols []networkingv1.NetworkPolicy, src, dst pod, port int32) bool {
	isolated := false
	for i := range pols {
		p := &pols[i]
		if p.Namespace != dst.namespace || !selects(&p.Spec.PodSelector, dst.labels) || !hasIngress(p) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Ingress {
			if portMatches(r.Ports, dst, port) && peerMatches(r.From, p.Namespace, src) {
				return true
			}
		}
	}
	return !isolated
}

// hasIngress reports whether p restricts ingress: policyTypes lists
// Ingress, or is empty (which means Ingress, plus Egress when egress rules
// are present).
func hasIngress(p *networkingv1.NetworkPolicy) bool {
	return len(p.Spec.PolicyTypes) == 0 || slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
}

// selects applies a label selector; a nil selector selects nothing, an
// empty one everything.
func selects(sel *metav1.LabelSelector, l map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(l))
}

// portMatches reports whether a rule's ports include TCP port of dst; no
// ports means every port. Named ports resolve against dst's containers.
func portMatches(ports []networkingv1.NetworkPolicyPort, dst pod, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		if pp.Protocol != nil && *pp.Protocol != corev1.ProtocolTCP {
			continue
		}
		if pp.Port == nil {
			return true
		}
		lo := pp.Port.IntVal
		if pp.Port.StrVal != "" {
			lo = -1
			for _, cp := range dst.ports {
				if cp.Name == pp.Port.StrVal {
					lo = cp.ContainerPort
				}
			}
		}
		hi := lo
		if pp.EndPort != nil {
			hi = *pp.EndPort
		}
		if port >= lo && port <= hi {
			return true
		}
	}
	return false
}

// peerMatches reports whether src is among a rule's peers; no peers means
// every source. A podSelector alone means pods of the policy's namespace.
// ipBlock peers are not used by Wake and match nothing here.
func peerMatches(from []networkingv1.NetworkPolicyPeer, policyNamespace string, src pod) bool {
	if len(from) == 0 {
		return true
	}
	for _, f := range from {
		switch {
		case f.IPBlock != nil:
			continue
		case f.NamespaceSelector == nil:
			if src.namespace == policyNamespace && selects(f.PodSelector, src.labels) {
				return true
			}
		case selects(f.NamespaceSelector, src.namespaceLabels):
			if f.PodSelector == nil || selects(f.PodSelector, src.labels) {
				return true
			}
		}
	}
	return false
}
