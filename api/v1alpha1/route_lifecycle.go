package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

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
