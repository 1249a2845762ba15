package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// routeCondSet's dependents decide Ready. CredentialsResolved is not one
// of them: it is set with severity Info or Warning, so that it never
// decides Ready, and cleared when the Route names no credential Secret.
var routeCondSet = apis.NewLivingConditionSet(
	RouteConditionAllTrafficAssigned,
	RouteConditionHostsClaimed,
)

// GetConditionSet returns the Route's condition set.
func (*Route) GetConditionSet() apis.ConditionSet { return routeCondSet }

// GetStatus returns the Route's conditions and observedGeneration.
func (r *Route) GetStatus() *duckv1.Status { return &r.Status.Status }

// GetGroupVersionKind returns the Route's kind.
func (*Route) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("Route")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *RouteStatus) InitializeConditions() { routeCondSet.Manage(s).InitializeConditions() }

// IsReady reports whether the Route is served.
func (s *RouteStatus) IsReady() bool { return routeCondSet.Manage(s).IsHappy() }

// MarkTrafficAssigned records that every target resolved to a ready
// revision.
func (s *RouteStatus) MarkTrafficAssigned() {
	routeCondSet.Manage(s).MarkTrue(RouteConditionAllTrafficAssigned)
}

// MarkTrafficNotReady records that a target's revision exists but is not
// ready yet.
func (s *RouteStatus) MarkTrafficNotReady(message string) {
	routeCondSet.Manage(s).MarkUnknown(RouteConditionAllTrafficAssigned, ReasonRevisionNotReady, "%s", message)
}

// MarkTrafficMissing records that a target names a missing or failed
// revision or function.
func (s *RouteStatus) MarkTrafficMissing(reason, message string) {
	routeCondSet.Manage(s).MarkFalse(RouteConditionAllTrafficAssigned, reason, "%s", message)
}

// MarkHostsClaimed records that the Route holds all its hosts.
func (s *RouteStatus) MarkHostsClaimed() {
	routeCondSet.Manage(s).MarkTrue(RouteConditionHostsClaimed)
}

// MarkHostsTaken records which hosts are held by someone else.
func (s *RouteStatus) MarkHostsTaken(message string) {
	routeCondSet.Manage(s).MarkFalse(RouteConditionHostsClaimed, ReasonHostTaken, "%s", message)
}

// MarkHostsNotGranted records which hosts no DomainGrant gives the Route's
// namespace.
func (s *RouteStatus) MarkHostsNotGranted(message string) {
	routeCondSet.Manage(s).MarkFalse(RouteConditionHostsClaimed, ReasonHostNotGranted, "%s", message)
}

// MarkCredentialsResolved records that every credential Secret the Route
// names is mirrored with all its clients (see
// RouteConditionCredentialsResolved).
func (s *RouteStatus) MarkCredentialsResolved() {
	routeCondSet.Manage(s).SetCondition(apis.Condition{
		Type: RouteConditionCredentialsResolved, Status: corev1.ConditionTrue, Severity: apis.ConditionSeverityInfo,
	})
}

// MarkCredentialsNotResolved records why requests with some of the Route's
// credentials are refused: reason is ReasonSecretMissing,
// ReasonSecretNotMirrored or ReasonTooManyClients.
func (s *RouteStatus) MarkCredentialsNotResolved(reason, message string) {
	routeCondSet.Manage(s).SetCondition(apis.Condition{
		Type: RouteConditionCredentialsResolved, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityWarning,
		Reason: reason, Message: message,
	})
}

// MarkCredentialsPending records which credential Secrets exist but are
// not mirrored yet.
func (s *RouteStatus) MarkCredentialsPending(message string) {
	routeCondSet.Manage(s).SetCondition(apis.Condition{
		Type: RouteConditionCredentialsResolved, Status: corev1.ConditionUnknown, Severity: apis.ConditionSeverityInfo,
		Reason: ReasonSecretNotMirrored, Message: message,
	})
}

// ClearCredentials removes RouteConditionCredentialsResolved: the Route
// names no credential Secret.
func (s *RouteStatus) ClearCredentials() {
	// ClearCondition fails only for Ready and its dependents.
	_ = routeCondSet.Manage(s).ClearCondition(RouteConditionCredentialsResolved)
}
