package resolve

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// t0 is the creation time of the oldest test Routes.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// route returns a Route created age seconds after t0 with the given hosts
// and one rule sending 100% to function "hello".
func route(ns, name string, age int, hosts ...string) servingv1alpha1.Route {
	rt := servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(age) * time.Second))},
		Spec: servingv1alpha1.RouteSpec{Rules: []servingv1alpha1.RouteRule{{
			Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "hello", Percent: 100}},
		}}},
	}
	for _, h := range hosts {
		rt.Spec.Hosts = append(rt.Spec.Hosts, servingv1alpha1.Hostname(h))
	}
	return rt
}

// withTag tags the first target of the first rule.
func withTag(rt servingv1alpha1.Route, tag string) servingv1alpha1.Route {
	rt.Spec.Rules[0].Traffic[0].Tag = tag
	return rt
}

// readyRevision returns a Revision whose Ready condition is True.
func readyRevision(name string) *servingv1alpha1.Revision {
	rev := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
	rev.Status.InitializeConditions()
	rev.Status.MarkResourcesAvailable()
	rev.Status.MarkContainerHealthy()
	return rev
}

// pendingRevision returns a Revision whose Ready condition is Unknown.
func pendingRevision(name string) *servingv1alpha1.Revision {
	rev := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
	rev.Status.InitializeConditions()
	return rev
}

// failedRevision returns a Revision whose Ready condition is False.
func failedRevision(name string) *servingv1alpha1.Revision {
	rev := pendingRevision(name)
	rev.Status.MarkContainerUnhealthy("CrashLoopBackOff", "container exited with code 1")
	return rev
}

// function returns a Function whose latest ready revision is latestReady
// (none when empty).
func function(name, latestReady string) *servingv1alpha1.Function {
	fn := &servingv1alpha1.Function{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
	fn.Status.InitializeConditions()
	fn.Status.LatestReadyRevisionName = latestReady
	if latestReady != "" {
		fn.Status.MarkLatestRevisionReady()
	}
	return fn
}

// failedFunction returns a Function whose only revision failed.
func failedFunction(name string) *servingv1alpha1.Function {
	fn := function(name, "")
	fn.Status.MarkLatestRevisionFailed(servingv1alpha1.ReasonRevisionFailed, "revision \""+name+"-00001\" failed")
	return fn
}
