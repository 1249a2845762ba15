package resolve

import (
	"time"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
)

// route returns a Route created age seconds after fixture.Epoch with the
// given hosts and one rule sending 100% to function "hello".
func route(ns, name string, age int, hosts ...string) servingv1alpha1.Route {
	return *fixture.Route(ns, name, fixture.WithRouteCreated(time.Duration(age)*time.Second),
		fixture.WithHosts(hosts...), fixture.WithRule(fixture.ToFunction("hello", 100, "")))
}

// withTag tags the first target of the first rule.
func withTag(rt servingv1alpha1.Route, tag string) servingv1alpha1.Route {
	rt.Spec.Rules[0].Traffic[0].Tag = tag
	return rt
}
