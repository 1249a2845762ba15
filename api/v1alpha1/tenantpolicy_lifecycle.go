package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// tenantPolicyCondSet has Ready alone: a policy takes effect as soon as it
// exists. Exclusive is informational (severity Info) and does not affect
// Ready.
var tenantPolicyCondSet = apis.NewLivingConditionSet()

// GetConditionSet returns the TenantPolicy's condition set.
func (*TenantPolicy) GetConditionSet() apis.ConditionSet { return tenantPolicyCondSet }

// GetStatus returns the TenantPolicy's conditions and observedGeneration.
func (p *TenantPolicy) GetStatus() *duckv1.Status { return &p.Status.Status }

// GetGroupVersionKind returns the TenantPolicy's kind.
func (*TenantPolicy) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("TenantPolicy")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *TenantPolicyStatus) InitializeConditions() {
	tenantPolicyCondSet.Manage(s).InitializeConditions()
}

// MarkApplied records that Wake applies the policy.
func (s *TenantPolicyStatus) MarkApplied() {
	tenantPolicyCondSet.Manage(s).MarkTrue(apis.ConditionReady)
}

// MarkInvalid records that the policy cannot be applied (its selector does
// not parse), with the reason and message.
func (s *TenantPolicyStatus) MarkInvalid(reason, message string) {
	tenantPolicyCondSet.Manage(s).MarkFalse(apis.ConditionReady, reason, "%s", message)
}

// MarkExclusive records that the policy governs every namespace it selects.
func (s *TenantPolicyStatus) MarkExclusive() {
	tenantPolicyCondSet.Manage(s).SetCondition(apis.Condition{
		Type: TenantPolicyConditionExclusive, Status: corev1.ConditionTrue, Severity: apis.ConditionSeverityInfo,
	})
}

// MarkOverlapped records which selected namespaces older policies govern.
func (s *TenantPolicyStatus) MarkOverlapped(message string) {
	tenantPolicyCondSet.Manage(s).SetCondition(apis.Condition{
		Type: TenantPolicyConditionExclusive, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityInfo,
		Reason: ReasonGovernedByOlderPolicy, Message: message,
	})
}
