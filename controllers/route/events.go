package route

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// Event reasons recorded on Routes. Traffic problems are recorded with the
// AllTrafficAssigned condition's reason (RevisionMissing, RevisionFailed),
// refused hosts with HostsClaimed's (HostTaken), credentials that are not
// mirrored with CredentialsResolved's (SecretMissing, SecretNotMirrored,
// TooManyClients), and a failed reconcile with
// reconciler.ReasonReconcileFailed.
const (
	// ReasonHostsClaimed: the Route now holds all its hosts.
	ReasonHostsClaimed = "HostsClaimed"
	// ReasonTrafficUpdated: the Route's resolved traffic changed.
	ReasonTrafficUpdated = "TrafficUpdated"
)

// RecordChanges logs and records events for what a reconcile changed, once
// its status is written: hosts refused or won, traffic not assigned,
// traffic moved, credentials not resolved. Unchanged conditions record
// nothing, so a Route that stays refused does not fill the event log.
func (r *Reconciler) RecordChanges(ctx context.Context, orig, rt *servingv1alpha1.Route) {
	logger := log.FromContext(ctx)
	before, after := orig.Status.GetCondition, rt.Status.GetCondition

	if c, changed := conditionChanged(before(servingv1alpha1.RouteConditionHostsClaimed), after(servingv1alpha1.RouteConditionHostsClaimed)); changed {
		switch {
		case c.IsFalse():
			logger.Info("hosts refused", "reason", c.Reason, "message", c.Message)
			r.Recorder.Eventf(rt, nil, corev1.EventTypeWarning, c.Reason, "ClaimHosts", "%s", c.Message)
		case c.IsTrue():
			logger.Info("hosts claimed")
			r.Recorder.Eventf(rt, nil, corev1.EventTypeNormal, ReasonHostsClaimed, "ClaimHosts", "Route holds all its hosts")
		}
	}
	if c, changed := conditionChanged(before(servingv1alpha1.RouteConditionAllTrafficAssigned), after(servingv1alpha1.RouteConditionAllTrafficAssigned)); changed && c.IsFalse() {
		logger.Info("traffic not assigned", "reason", c.Reason, "message", c.Message)
		r.Recorder.Eventf(rt, nil, corev1.EventTypeWarning, c.Reason, "ResolveTraffic", "%s", c.Message)
	}
	if c, changed := conditionChanged(before(servingv1alpha1.RouteConditionCredentialsResolved), after(servingv1alpha1.RouteConditionCredentialsResolved)); changed && c.IsFalse() {
		logger.Info("credentials not resolved", "reason", c.Reason, "message", c.Message)
		r.Recorder.Eventf(rt, nil, corev1.EventTypeWarning, c.Reason, "ResolveCredentials", "%s", c.Message)
	}
	if old, now := trafficSummary(orig.Status.Rules), trafficSummary(rt.Status.Rules); old != now && now != "" {
		logger.Info("traffic updated", "traffic", now)
		r.Recorder.Eventf(rt, nil, corev1.EventTypeNormal, ReasonTrafficUpdated, "ResolveTraffic", "Traffic now %s", now)
	}
}

// conditionChanged returns after and whether its status or message differs
// from before.
func conditionChanged(before, after *apis.Condition) (*apis.Condition, bool) {
	if after == nil {
		return nil, false
	}
	return after, before == nil || before.Status != after.Status || before.Message != after.Message
}

// trafficSummary describes resolved traffic, e.g.
// "rule 0: hello-00002 90%, hello-00001 10%". Unresolved entries show as "?";
// traffic with no resolved entry at all is "".
func trafficSummary(rules []servingv1alpha1.RuleStatus) string {
	resolved := false
	parts := make([]string, 0, len(rules))
	for i, rule := range rules {
		entries := make([]string, 0, len(rule.Traffic))
		for _, t := range rule.Traffic {
			name := t.RevisionName
			if name == "" {
				name = "?"
			} else {
				resolved = true
			}
			entries = append(entries, fmt.Sprintf("%s %d%%", name, t.Percent))
		}
		parts = append(parts, fmt.Sprintf("rule %d: %s", i, strings.Join(entries, ", ")))
	}
	if !resolved {
		return ""
	}
	return strings.Join(parts, "; ")
}
