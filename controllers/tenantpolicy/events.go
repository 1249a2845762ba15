package tenantpolicy

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// ReasonApplied is the reason of the Normal event recorded when Wake starts
// applying a policy. An invalid selector is recorded with Ready's reason
// (InvalidSelector), an overlap with Exclusive's (GovernedByOlderPolicy).
const ReasonApplied = "Applied"

// RecordChanges logs and records events for what a reconcile changed, once
// its status is written: the policy applied (Normal), its selector invalid
// or some of its namespaces governed by an older policy (Warning). An
// unchanged condition records nothing, so neither a policy that stays
// invalid nor the periodic refresh of its use fills the event log.
func (r *Reconciler) RecordChanges(ctx context.Context, orig, p *servingv1alpha1.TenantPolicy) {
	logger := log.FromContext(ctx)
	before, after := orig.Status.GetCondition, p.Status.GetCondition

	if c, changed := conditionChanged(before(apis.ConditionReady), after(apis.ConditionReady)); changed {
		switch {
		case c.IsFalse():
			logger.Info("tenant policy invalid", "reason", c.Reason, "message", c.Message)
			r.Recorder.Eventf(p, nil, corev1.EventTypeWarning, c.Reason, "Resolve", "%s", c.Message)
		case c.IsTrue() && !before(apis.ConditionReady).IsTrue():
			logger.Info("tenant policy applied", "namespaces", p.Status.NamespaceCount)
			r.Recorder.Eventf(p, nil, corev1.EventTypeNormal, ReasonApplied, "Resolve",
				"TenantPolicy applied: it governs %d namespaces", p.Status.NamespaceCount)
		}
	}
	if c, changed := conditionChanged(before(servingv1alpha1.TenantPolicyConditionExclusive), after(servingv1alpha1.TenantPolicyConditionExclusive)); changed && c.IsFalse() {
		logger.Info("tenant policy overlapped", "message", c.Message)
		r.Recorder.Eventf(p, nil, corev1.EventTypeWarning, c.Reason, "Resolve", "%s", c.Message)
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
