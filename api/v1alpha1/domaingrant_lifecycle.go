package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// domainGrantCondSet has Ready alone: a grant takes effect as soon as it
// exists. Exclusive is informational (severity Info) and does not affect
// Ready.
var domainGrantCondSet = apis.NewLivingConditionSet()

// GetConditionSet returns the DomainGrant's condition set.
func (*DomainGrant) GetConditionSet() apis.ConditionSet { return domainGrantCondSet }

// GetStatus returns the DomainGrant's conditions and observedGeneration.
func (g *DomainGrant) GetStatus() *duckv1.Status { return &g.Status.Status }

// GetGroupVersionKind returns the DomainGrant's kind.
func (*DomainGrant) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("DomainGrant")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *DomainGrantStatus) InitializeConditions() {
	domainGrantCondSet.Manage(s).InitializeConditions()
}

// MarkApplied records that Wake applies the grant.
func (s *DomainGrantStatus) MarkApplied() { domainGrantCondSet.Manage(s).MarkTrue(apis.ConditionReady) }

// MarkExclusive records that no other namespace is granted any of the
// grant's domains.
func (s *DomainGrantStatus) MarkExclusive() {
	domainGrantCondSet.Manage(s).SetCondition(apis.Condition{
		Type: DomainGrantConditionExclusive, Status: corev1.ConditionTrue, Severity: apis.ConditionSeverityInfo,
	})
}

// MarkShared records which domains other namespaces are granted too.
func (s *DomainGrantStatus) MarkShared(message string) {
	domainGrantCondSet.Manage(s).SetCondition(apis.Condition{
		Type: DomainGrantConditionExclusive, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityInfo,
		Reason: ReasonDomainShared, Message: message,
	})
}
