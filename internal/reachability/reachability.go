// Package reachability decides whether any traffic can reach a Revision.
// The Revision reconciler writes the answer on the Revision's status; the
// autoscaler reads it there and scales an unreachable revision to zero
// whatever its minScale.
package reachability

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
)

// Of returns rev's reachability. fn is the Function rev belongs to, or nil
// when there is none; a Function that does not control rev counts as none.
// routes are the Routes in rev's namespace.
//
// rev is Reachable when the Function's default URL serves it (it is the
// latest ready revision) or a Route target names it, in the Route's spec
// (a pinned revision, served once it is ready) or in its resolved status (a
// Function target as the activator serves it, until the Route follows the
// Function to its next revision). A target reaches its revision only if it
// has a share of the traffic or a tag. Failing that, rev is Pending while it
// is its Function's latest created revision (or newer: the Function's
// status may not name it yet), and Unreachable otherwise.
//
// Of is pure: the same objects always give the same answer.
func Of(rev *servingv1alpha1.Revision, fn *servingv1alpha1.Function, routes []servingv1alpha1.Route) servingv1alpha1.Reachability {
	if fn != nil && !metav1.IsControlledBy(rev, fn) {
		fn = nil
	}
	if fn != nil && fn.Status.LatestReadyRevisionName == rev.Name {
		return servingv1alpha1.ReachabilityReachable
	}
	for i := range routes {
		if routeReaches(&routes[i], rev.Name) {
			return servingv1alpha1.ReachabilityReachable
		}
	}
	if fn != nil && fn.DeletionTimestamp.IsZero() && isLatestCreated(fn, rev.Name) {
		return servingv1alpha1.ReachabilityPending
	}
	return servingv1alpha1.ReachabilityUnreachable
}

// routeReaches reports whether any of rt's targets, as written or as
// resolved, sends traffic to the revision named rev.
func routeReaches(rt *servingv1alpha1.Route, rev string) bool {
	reaches := false
	eachTarget(rt, func(name string, carries bool) { reaches = reaches || (name == rev && carries) })
	return reaches
}

// eachTarget calls f for every target of rt that names a revision, in its
// spec and in its status; carries is true when the target has a share of
// the traffic or a tag.
func eachTarget(rt *servingv1alpha1.Route, f func(revision string, carries bool)) {
	visit := func(revision string, percent int32, tag string) {
		if revision != "" {
			f(revision, percent > 0 || tag != "")
		}
	}
	for _, rule := range rt.Spec.Rules {
		for _, t := range rule.Traffic {
			visit(t.RevisionName, t.Percent, t.Tag)
		}
	}
	for _, rule := range rt.Status.Rules {
		for _, t := range rule.Traffic {
			visit(t.RevisionName, t.Percent, t.Tag)
		}
	}
}

// isLatestCreated reports whether rev is fn's latest created revision, or a
// newer one that fn's status does not name yet.
func isLatestCreated(fn *servingv1alpha1.Function, rev string) bool {
	n := names.RevisionNumber(fn.Name, rev)
	return n > 0 && n >= names.RevisionNumber(fn.Name, fn.Status.LatestCreatedRevisionName)
}

// Referenced returns the names of the revisions that rt's targets name, in
// its spec or its status, whether or not they carry traffic: the revisions
// whose reachability a change of rt may change.
func Referenced(rt *servingv1alpha1.Route) []string {
	var out []string
	eachTarget(rt, func(revision string, _ bool) { out = append(out, revision) })
	return out
}
