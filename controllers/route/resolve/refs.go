package resolve

import (
	"slices"

	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/hosts"
)

// FunctionNames returns the functions rt's traffic names, in spec order,
// without duplicates.
func FunctionNames(rt *servingv1alpha1.Route) []string {
	return targetNames(rt, func(t servingv1alpha1.TrafficTarget) string { return t.FunctionName })
}

// RevisionNames returns the revisions rt's traffic pins, in spec order,
// without duplicates.
func RevisionNames(rt *servingv1alpha1.Route) []string {
	return targetNames(rt, func(t servingv1alpha1.TrafficTarget) string { return t.RevisionName })
}

func targetNames(rt *servingv1alpha1.Route, name func(servingv1alpha1.TrafficTarget) string) []string {
	var out []string
	for _, rule := range rt.Spec.Rules {
		for _, t := range rule.Traffic {
			if n := name(t); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// FirstExactHost returns rt's first host that is not a wildcard, or "".
func FirstExactHost(rt *servingv1alpha1.Route) string {
	for _, h := range rt.Spec.Hosts {
		if name := hosts.Normalize(string(h)); !hosts.IsWildcard(name) {
			return name
		}
	}
	return ""
}

// URL returns rt's status.url: http://{first exact host}. A Route with only
// wildcard hosts gets its first wildcard as written (http://*.example.com):
// it shows in `kubectl get rt` what the Route serves, and inventing a name
// in place of "*" could name a host that another Route holds. A Route
// without hosts has no URL.
func URL(rt *servingv1alpha1.Route) *apis.URL {
	host := FirstExactHost(rt)
	if host == "" && len(rt.Spec.Hosts) > 0 {
		host = hosts.Normalize(string(rt.Spec.Hosts[0]))
	}
	if host == "" {
		return nil
	}
	return &apis.URL{Scheme: "http", Host: host}
}
