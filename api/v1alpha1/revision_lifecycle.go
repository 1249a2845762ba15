package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

var revisionCondSet = apis.NewLivingConditionSet(
	RevisionConditionResourcesAvailable,
	RevisionConditionContainerHealthy,
)

// GetConditionSet returns the Revision's condition set.
func (*Revision) GetConditionSet() apis.ConditionSet { return revisionCondSet }

// GetStatus returns the Revision's conditions and observedGeneration.
func (r *Revision) GetStatus() *duckv1.Status { return &r.Status.Status }

// GetGroupVersionKind returns the Revision's kind.
func (*Revision) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("Revision")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *RevisionStatus) InitializeConditions() { revisionCondSet.Manage(s).InitializeConditions() }

// IsReady reports whether the revision can serve.
func (s *RevisionStatus) IsReady() bool { return revisionCondSet.Manage(s).IsHappy() }

// IsFailed reports whether the revision's Ready condition is False.
func (s *RevisionStatus) IsFailed() bool {
	return revisionCondSet.Manage(s).GetCondition(apis.ConditionReady).IsFalse()
}

// MarkResourcesAvailable records that the Deployment and Service are in
// place.
func (s *RevisionStatus) MarkResourcesAvailable() {
	revisionCondSet.Manage(s).MarkTrue(RevisionConditionResourcesAvailable)
}

// MarkResourcesUnavailable records why the revision's resources are not
// available (quota refused, not owned, ...).
func (s *RevisionStatus) MarkResourcesUnavailable(reason, message string) {
	revisionCondSet.Manage(s).MarkFalse(RevisionConditionResourcesAvailable, reason, "%s", message)
}

// MarkDeploying records that the resources are being created or scaled.
func (s *RevisionStatus) MarkDeploying(reason, message string) {
	revisionCondSet.Manage(s).MarkUnknown(RevisionConditionResourcesAvailable, reason, "%s", message)
}

// MarkResourceNotOwned records that an object the revision needs exists but
// is not controlled by it.
func (s *RevisionStatus) MarkResourceNotOwned(kind, name string) {
	revisionCondSet.Manage(s).MarkFalse(RevisionConditionResourcesAvailable, ReasonNotOwned,
		"there is an existing %s %q that we do not own", kind, name)
}

// MarkContainerHealthy records that the container runs.
func (s *RevisionStatus) MarkContainerHealthy() {
	revisionCondSet.Manage(s).MarkTrue(RevisionConditionContainerHealthy)
}

// MarkContainerUnhealthy records why the container cannot run.
func (s *RevisionStatus) MarkContainerUnhealthy(reason, message string) {
	revisionCondSet.Manage(s).MarkFalse(RevisionConditionContainerHealthy, reason, "%s", message)
}

// MarkContainerHealthUnknown records that the container's health is not
// known yet.
func (s *RevisionStatus) MarkContainerHealthUnknown(reason, message string) {
	revisionCondSet.Manage(s).MarkUnknown(RevisionConditionContainerHealthy, reason, "%s", message)
}

// MarkActive records that the revision has pods.
func (s *RevisionStatus) MarkActive() {
	revisionCondSet.Manage(s).MarkTrue(RevisionConditionActive)
}

// MarkPodsNotCreated records that a serving revision's Deployment cannot
// create the pods it is asked for, and why (see
// RevisionConditionPodsCreated).
func (s *RevisionStatus) MarkPodsNotCreated(reason, message string) {
	revisionCondSet.Manage(s).SetCondition(apis.Condition{
		Type:     RevisionConditionPodsCreated,
		Status:   corev1.ConditionFalse,
		Severity: apis.ConditionSeverityWarning,
		Reason:   reason,
		Message:  message,
	})
}

// MarkPodsCreated removes RevisionConditionPodsCreated: nothing stops the
// Deployment from creating pods.
func (s *RevisionStatus) MarkPodsCreated() {
	// ClearCondition fails only for Ready and its dependents.
	_ = revisionCondSet.Manage(s).ClearCondition(RevisionConditionPodsCreated)
}

// MarkInactive records that the revision has no pods, and why.
func (s *RevisionStatus) MarkInactive(reason, message string) {
	revisionCondSet.Manage(s).MarkFalse(RevisionConditionActive, reason, "%s", message)
}
