package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Revision is an immutable snapshot of a Function's template. Wake runs it as
// a Deployment, whose replicas the autoscaler owns, and a headless Service.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rev,categories=wake
// +kubebuilder:printcolumn:name="Function",type=string,JSONPath=`.metadata.labels['serving\.wake\.dev/function']`
// +kubebuilder:printcolumn:name="Reachability",type=string,JSONPath=`.status.reachability`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredReplicas`
// +kubebuilder:printcolumn:name="Actual",type=integer,JSONPath=`.status.actualReplicas`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
//
// A Revision's name is checked when it is created (a name never changes): it
// becomes the name of its Service, a DNS-1035 label of at most 63
// characters, and a label value on its pods.
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || self.metadata.name.size() <= 63",message="must be at most 63 characters: it becomes a Service name and a label value",fieldPath=".metadata.name",optionalOldSelf=true
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit): it becomes a Service name",fieldPath=".metadata.name",optionalOldSelf=true
type Revision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the revision's specification; it never changes.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a Revision's spec is immutable; change the Function's template instead"
	Spec RevisionSpec `json:"spec"`
	// Status is what Wake observed.
	// +optional
	Status RevisionStatus `json:"status,omitempty"`
}

// RevisionStatus is the observed state of a Revision.
type RevisionStatus struct {
	duckv1.Status `json:",inline"`

	// Reachability says whether any traffic can reach the revision:
	// Reachable (the Function's URL or a Route sends it traffic), Pending
	// (the Function's newest revision, not serving yet) or Unreachable
	// (nothing routes to it: it scales to zero whatever its minScale). Unset
	// means not known yet, and counts as Reachable.
	// +optional
	Reachability Reachability `json:"reachability,omitempty"`

	// DesiredReplicas is the autoscaler's latest decision. A revision
	// created at zero has none until its first wake.
	// +optional
	DesiredReplicas *int32 `json:"desiredReplicas,omitempty"`

	// ActualReplicas is the number of ready pods.
	// +optional
	ActualReplicas *int32 `json:"actualReplicas,omitempty"`

	// Autoscaler shows what the autoscaler observed for its latest decision.
	// +optional
	Autoscaler *AutoscalerStatus `json:"autoscaler,omitempty"`
}

// Reachability says whether any traffic can reach a revision.
// +kubebuilder:validation:Enum=Reachable;Pending;Unreachable
type Reachability string

// Reachabilities of a revision.
const (
	// ReachabilityReachable: the Function's default URL (its latest ready
	// revision) or a Route target sends the revision traffic.
	ReachabilityReachable Reachability = "Reachable"
	// ReachabilityPending: the revision is its Function's latest created
	// one and the Function's URL has not moved to it yet.
	ReachabilityPending Reachability = "Pending"
	// ReachabilityUnreachable: no traffic can reach the revision; it is
	// scaled to zero after its scaleToZeroGracePeriod, whatever its
	// minScale.
	ReachabilityUnreachable Reachability = "Unreachable"
)

// AutoscalerStatus is the input and outcome of the autoscaler's latest
// decision for a revision.
type AutoscalerStatus struct {
	// StableConcurrency is the average concurrency over the stable window.
	// +optional
	StableConcurrency *resource.Quantity `json:"stableConcurrency,omitempty"`
	// PanicConcurrency is the average concurrency over the panic window.
	// +optional
	PanicConcurrency *resource.Quantity `json:"panicConcurrency,omitempty"`
	// PanicMode is true while the autoscaler is in panic mode.
	// +optional
	PanicMode bool `json:"panicMode,omitempty"`
	// Reason explains the decision, e.g. ScaledToZero.
	// +optional
	Reason string `json:"reason,omitempty"`
	// LastDecisionTime is when the decision was made.
	// +optional
	LastDecisionTime *metav1.Time `json:"lastDecisionTime,omitempty"`
}

// RevisionList is a list of Revisions.
//
// +kubebuilder:object:root=true
type RevisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Revisions.
	Items []Revision `json:"items"`
}

func init() {
	registerTypes(&Revision{}, &RevisionList{})
}
