package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// TenantPolicy is written by a cluster operator: it sets the limits of
// every namespace its selector matches, each namespace on its own (two
// selected namespaces do not share one budget). A namespace that several
// policies select is governed by the oldest of them (then by name); one that
// no policy selects gets the tenant-* defaults of wake-config, as does a
// limit a policy leaves unset. Requests over a limit are answered 429 with
// Retry-After and a Wake-Limit header naming the limit; pods over MaxPods
// are not created, and the Revision denied them says so.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=tp,categories=wake
// +kubebuilder:printcolumn:name="Namespaces",type=integer,JSONPath=`.status.namespaceCount`
// +kubebuilder:printcolumn:name="In-flight",type=integer,JSONPath=`.spec.limits.maxInFlight`
// +kubebuilder:printcolumn:name="Pods",type=integer,JSONPath=`.spec.limits.maxPods`
// +kubebuilder:printcolumn:name="RPS",type=integer,JSONPath=`.spec.limits.requestsPerSecond`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TenantPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec selects namespaces and sets their limits.
	Spec TenantPolicySpec `json:"spec"`
	// Status is what Wake observed: the namespaces governed and their use.
	// +optional
	Status TenantPolicyStatus `json:"status,omitempty"`
}

// TenantPolicySpec selects namespaces and sets the limits of each.
type TenantPolicySpec struct {
	// NamespaceSelector selects the namespaces, by their labels. The empty
	// selector ({}) selects every namespace.
	NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`

	// Limits apply to each selected namespace on its own.
	// +optional
	Limits TenantLimits `json:"limits,omitempty"`
}

// TenantLimits are one namespace's limits, each summed over all of its
// revisions and over all activators (each activator enforces its share of
// the limit: the limit divided by the number of activators, the remainder
// going to the first ones, so the shares add up to the limit exactly; a
// limit below the number of activators leaves some activators a share of
// zero). An unset limit takes wake-config's tenant-* default; 0 there
// means no limit.
// +kubebuilder:validation:XValidation:rule="!has(self.burst) || has(self.requestsPerSecond)",message="burst needs requestsPerSecond",fieldPath=".burst"
type TenantLimits struct {
	// MaxInFlight caps the requests being served at once (sent to a pod and
	// not yet answered). Over it, a request is answered 429 with
	// "Wake-Limit: tenant-in-flight".
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxInFlight *int32 `json:"maxInFlight,omitempty"`

	// MaxHeldRequests caps the requests held waiting, for capacity or for
	// a cold start. Over it, a request is answered 429 with
	// "Wake-Limit: tenant-held-requests". Each activator's own
	// activator-max-held-requests-per-namespace applies as well.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxHeldRequests *int32 `json:"maxHeldRequests,omitempty"`

	// RequestsPerSecond is the sustained rate of requests admitted (a token
	// bucket refilled at this rate). Over it, a request is answered 429
	// with "Wake-Limit: tenant-rate" and a Retry-After of the seconds until
	// a token is free.
	// +kubebuilder:validation:Minimum=1
	// +optional
	RequestsPerSecond *int32 `json:"requestsPerSecond,omitempty"`

	// Burst is the token bucket's size: how many requests may arrive at
	// once above the rate. Defaults to RequestsPerSecond.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Burst *int32 `json:"burst,omitempty"`

	// MaxPods caps the pods of all the namespace's revisions together, as
	// the autoscaler scales them. A revision denied pods it wants shows it
	// on its status (reason TenantQuotaExceeded).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxPods *int32 `json:"maxPods,omitempty"`

	// MaxScaleUpPerMinute caps the pods the autoscaler adds to the
	// namespace's revisions together in any minute.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxScaleUpPerMinute *int32 `json:"maxScaleUpPerMinute,omitempty"`
}

// TenantPolicyStatus is the observed state of a TenantPolicy: Ready once
// Wake applies it (for its observedGeneration); Exclusive, informational,
// False when an older policy governs some of the namespaces it selects; and
// the namespaces it governs with their use.
type TenantPolicyStatus struct {
	duckv1.Status `json:",inline"`

	// NamespaceCount is how many namespaces the policy governs.
	// +optional
	NamespaceCount int32 `json:"namespaceCount,omitempty"`

	// Namespaces are the namespaces the policy governs, by name, each with
	// its limits in force and its use, at most MaxTenantNamespacesInStatus
	// of them (NamespaceCount counts them all).
	// +listType=map
	// +listMapKey=name
	// +optional
	Namespaces []TenantNamespaceStatus `json:"namespaces,omitempty"`
}

// MaxTenantNamespacesInStatus bounds TenantPolicyStatus.Namespaces, so
// that a policy selecting thousands of namespaces stays a small object.
const MaxTenantNamespacesInStatus = 500

// TenantNamespaceStatus is one governed namespace's use against its limits.
type TenantNamespaceStatus struct {
	// Name is the namespace's name.
	Name string `json:"name"`

	// InFlight is the requests in the activators for the namespace's
	// revisions, held waiting or being served, summed over all activators,
	// as last reported to the autoscaler.
	// +optional
	InFlight int32 `json:"inFlight"`

	// Pods is the pods the autoscaler wants for the namespace's revisions
	// together.
	// +optional
	Pods int32 `json:"pods"`

	// Limits are the limits in force: the policy's, with wake-config's
	// defaults for those it leaves unset (0 means none).
	// +optional
	Limits TenantLimitsInForce `json:"limits"`
}

// TenantLimitsInForce are a namespace's effective limits; 0 means none.
type TenantLimitsInForce struct {
	// MaxInFlight is the effective TenantLimits.MaxInFlight.
	MaxInFlight int32 `json:"maxInFlight"`
	// MaxHeldRequests is the effective TenantLimits.MaxHeldRequests.
	MaxHeldRequests int32 `json:"maxHeldRequests"`
	// RequestsPerSecond is the effective TenantLimits.RequestsPerSecond.
	RequestsPerSecond int32 `json:"requestsPerSecond"`
	// Burst is the effective TenantLimits.Burst.
	Burst int32 `json:"burst"`
	// MaxPods is the effective TenantLimits.MaxPods.
	MaxPods int32 `json:"maxPods"`
	// MaxScaleUpPerMinute is the effective TenantLimits.MaxScaleUpPerMinute.
	MaxScaleUpPerMinute int32 `json:"maxScaleUpPerMinute"`
}

// TenantPolicyList is a list of TenantPolicies.
//
// +kubebuilder:object:root=true
type TenantPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the TenantPolicies.
	Items []TenantPolicy `json:"items"`
}

func init() {
	registerTypes(&TenantPolicy{}, &TenantPolicyList{})
}
