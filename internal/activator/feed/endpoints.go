package feed

import (
	"net"
	"slices"
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// RevisionConfig returns the throttler's settings for a revision: its
// concurrency, and the HTTP path of its readiness probe, if any, for the
// activator's own probing of starting pods.
func RevisionConfig(rev *servingv1alpha1.Revision) throttler.RevisionConfig {
	rc := throttler.RevisionConfig{ContainerConcurrency: int(rev.Spec.ContainerConcurrency)}
	if c := rev.Spec.ServingContainer(); c != nil && c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil {
		rc.ProbePath = c.ReadinessProbe.HTTPGet.Path
		if rc.ProbePath == "" {
			rc.ProbePath = "/"
		}
		if p := c.ReadinessProbe.HTTPGet.Port; p != nil && p.IntValue() > 0 {
			rc.ProbePort = p.IntValue()
		}
	}
	return rc
}

// Endpoints lists the pods of a revision's EndpointSlices as ip:port, ready
// or not. Terminating endpoints are left out: they must get no new requests.
// So are addresses that can never be a pod's (see PodAddress), names (FQDN
// slices) and, when podIPs is not nil, addresses that no pod of the
// revision holds (see PodIPs). The caller passes only slices that
// SliceRefusal accepts.
func Endpoints(eps []*discoveryv1.EndpointSlice, podIPs map[string]bool) []throttler.Endpoint {
	var out []throttler.Endpoint
	seen := map[string]bool{}
	for _, s := range eps {
		if len(s.Ports) == 0 || s.Ports[0].Port == nil {
			continue
		}
		port := strconv.Itoa(int(*s.Ports[0].Port))
		for _, e := range s.Endpoints {
			if ptr.Deref(e.Conditions.Terminating, false) || !usable(e, podIPs) {
				continue
			}
			addr := net.JoinHostPort(e.Addresses[0], port)
			if seen[addr] {
				continue
			}
			seen[addr] = true
			out = append(out, throttler.Endpoint{Address: addr, Ready: ptr.Deref(e.Conditions.Ready, false)})
		}
	}
	slices.SortFunc(out, func(a, b throttler.Endpoint) int {
		switch {
		case a.Address < b.Address:
			return -1
		case a.Address > b.Address:
			return 1
		}
		return 0
	})
	return out
}

// usable reports whether the endpoint e names a pod of the revision, going
// by its first address, the one consumers use.
func usable(e discoveryv1.Endpoint, podIPs map[string]bool) bool {
	return len(e.Addresses) > 0 && PodAddress(e.Addresses[0]) && (podIPs == nil || podIPs[e.Addresses[0]])
}

// ActivatorPeers returns the IPs of the ready activators, sorted, and this
// one's index among them, from the activator Service's EndpointSlices: peers[k]
// is the activator with index k. An activator not yet listed appends itself.
func ActivatorPeers(eps []*discoveryv1.EndpointSlice, selfIP string) (peers []string, index int) {
	var ips []string
	for _, s := range eps {
		for _, e := range s.Endpoints {
			if ptr.Deref(e.Conditions.Ready, false) && len(e.Addresses) > 0 {
				ips = append(ips, e.Addresses[0])
			}
		}
	}
	slices.Sort(ips)
	ips = slices.Compact(ips)
	i := slices.Index(ips, selfIP)
	if i < 0 {
		return append(ips, selfIP), len(ips)
	}
	return ips, i
}
