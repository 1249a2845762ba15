package kubectlwake

import (
	"fmt"
	"strings"

	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// The one-sentence answers to "why is it not ready?". Each reads the
// object's Ready condition and, where Ready only repeats a dependent's
// verdict, goes to the dependent that decided it: a Function's latest
// created Revision, a Route's hosts or the revisions its traffic resolves
// to, a Revision's ResourcesAvailable and ContainerHealthy.

// revisionDependents decide a Revision's Ready, in the order its
// reconciler settles it (resources before the container).
var revisionDependents = []apis.ConditionType{
	servingv1alpha1.RevisionConditionResourcesAvailable,
	servingv1alpha1.RevisionConditionContainerHealthy,
}

// routeDependents decide a Route's Ready: hosts first, since a Route
// without its hosts is not served at all.
var routeDependents = []apis.ConditionType{
	servingv1alpha1.RouteConditionHostsClaimed,
	servingv1alpha1.RouteConditionAllTrafficAssigned,
}

// reasonMessage is "Reason: message", either alone when the other is
// empty, with no final full stop.
func reasonMessage(c *apis.Condition) string {
	msg := strings.TrimRight(oneLine(c.Message), ".")
	switch {
	case c.Reason == "" && msg == "":
		return "no reason given"
	case c.Reason == "":
		return msg
	case msg == "":
		return c.Reason
	}
	return c.Reason + ": " + msg
}

// pending says why s, of a kind and name, is not known to be ready
// regardless of its conditions: Wake has not reported on it, or not on its
// latest generation. "" when neither.
func pending(s *duckv1.Status, generation int64, kind, name string) string {
	if s.GetCondition(apis.ConditionReady) == nil {
		return fmt.Sprintf("Wake has not reported on %s %s yet: is the Wake controller running?", kind, name)
	}
	if s.ObservedGeneration != generation {
		return fmt.Sprintf("Wake has not processed generation %d of %s %s yet (its status is of generation %d).",
			generation, kind, name, s.ObservedGeneration)
	}
	return ""
}

// decidingCondition returns the condition that makes s not ready: the
// first False of deps, else the first not True, else Ready itself.
func decidingCondition(s *duckv1.Status, deps []apis.ConditionType) *apis.Condition {
	for _, t := range deps {
		if c := s.GetCondition(t); c != nil && c.IsFalse() {
			return c
		}
	}
	for _, t := range deps {
		if c := s.GetCondition(t); c != nil && !c.IsTrue() {
			return c
		}
	}
	return s.GetCondition(apis.ConditionReady)
}

// revisionWhy says why rev is not ready, as "revision X is not ready:
// Reason: message" without a final full stop; "" when it is ready.
func revisionWhy(rev *servingv1alpha1.Revision) string {
	s := &rev.Status.Status
	ready := s.GetCondition(apis.ConditionReady)
	if ready == nil {
		return fmt.Sprintf("revision %s has no status yet", rev.Name)
	}
	if ready.IsTrue() {
		return ""
	}
	not := "is not ready"
	if ready.IsUnknown() {
		not = "is not ready yet"
	}
	return fmt.Sprintf("revision %s %s: %s", rev.Name, not, reasonMessage(decidingCondition(s, revisionDependents)))
}

// FunctionWhy says in one sentence why fn is not ready, from its
// conditions and its latest created revision (revs by name; it may be
// missing), or what it serves when it is ready.
func FunctionWhy(fn *servingv1alpha1.Function, revs map[string]*servingv1alpha1.Revision) string {
	s := &fn.Status.Status
	if p := pending(s, fn.Generation, "Function", fn.Name); p != "" {
		return p
	}
	latestReady := fn.Status.LatestReadyRevisionName
	if s.GetCondition(apis.ConditionReady).IsTrue() {
		if latestReady == "" {
			return fmt.Sprintf("Function %s is ready.", fn.Name)
		}
		return fmt.Sprintf("Function %s is ready: it serves revision %s.", fn.Name, latestReady)
	}
	var why string
	if rev := revs[fn.Status.LatestCreatedRevisionName]; rev != nil {
		why = revisionWhy(rev)
	}
	if why == "" {
		// No revision to ask, or it became ready since the Function's
		// status was written: the Function's own condition says it.
		why = "the latest revision is not ready: " + reasonMessage(decidingCondition(s, []apis.ConditionType{servingv1alpha1.FunctionConditionLatestRevisionReady}))
	}
	switch {
	case latestReady == "":
		why += "; no revision has been ready, so the Function serves nothing"
	case latestReady != fn.Status.LatestCreatedRevisionName:
		why += "; traffic stays on revision " + latestReady
	}
	return sentence(why)
}

// RouteWhy says in one sentence why rt is not ready, from its conditions
// and the revisions its traffic resolves to (revs by name), or what it
// serves when it is ready.
func RouteWhy(rt *servingv1alpha1.Route, revs map[string]*servingv1alpha1.Revision) string {
	s := &rt.Status.Status
	if p := pending(s, rt.Generation, "Route", rt.Name); p != "" {
		return p
	}
	if s.GetCondition(apis.ConditionReady).IsTrue() {
		hosts := make([]string, 0, len(rt.Spec.Hosts))
		for _, h := range rt.Spec.Hosts {
			hosts = append(hosts, string(h))
		}
		return fmt.Sprintf("Route %s is ready: it serves %s.", rt.Name, strings.Join(hosts, ", "))
	}
	c := decidingCondition(s, routeDependents)
	if c.Type == servingv1alpha1.RouteConditionAllTrafficAssigned && c.Reason == servingv1alpha1.ReasonRevisionNotReady {
		for i, rule := range rt.Status.Rules {
			for _, t := range rule.Traffic {
				if rev := revs[t.RevisionName]; rev != nil {
					if why := revisionWhy(rev); why != "" {
						return sentence(fmt.Sprintf("%s (rule %d, %d%%)", why, i, t.Percent))
					}
				}
			}
		}
	}
	switch c.Type {
	case servingv1alpha1.RouteConditionHostsClaimed:
		return sentence("its hosts are not claimed, so it is not served: " + reasonMessage(c))
	case servingv1alpha1.RouteConditionAllTrafficAssigned:
		return sentence("its traffic is not all assigned: " + reasonMessage(c))
	}
	return sentence("Route " + rt.Name + " is not ready: " + reasonMessage(c))
}

// warnings lists the conditions of s that are not True and have severity
// Warning (informational ones that do not decide Ready but need action),
// each as "Type: Reason: message", prefixed by who when it is not empty.
func warnings(who string, s *duckv1.Status) []string {
	var out []string
	for _, c := range s.Conditions {
		if c.Severity == apis.ConditionSeverityWarning && !c.IsTrue() {
			w := string(c.Type) + " is " + string(c.Status) + ": " + reasonMessage(&c)
			if who != "" {
				w = who + ": " + w
			}
			out = append(out, sentence(w))
		}
	}
	return out
}
