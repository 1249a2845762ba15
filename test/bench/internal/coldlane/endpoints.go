package coldlane

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// ReadyAddress returns the first address of a ready endpoint in es, and
// whether there is one.
func ReadyAddress(es *discoveryv1.EndpointSlice) (string, bool) {
	for _, e := range es.Endpoints {
		if ptr.Deref(e.Conditions.Ready, false) && len(e.Addresses) > 0 {
			return e.Addresses[0], true
		}
	}
	return "", false
}
