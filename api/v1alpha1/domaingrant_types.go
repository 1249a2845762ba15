package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// DomainGrant is written by a cluster operator: it lets the Routes of one
// namespace use some custom hosts. Under the wake-config policy "claims"
// (the default) a Route may use a host outside its own namespace's hosts
// ({anything}.{namespace}.{domain}) only when a DomainGrant gives its
// namespace that host or a wildcard covering it; under "first-come" grants
// are not needed and the oldest Route wins. Deleting a grant stops the
// hosts it gave from being served.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=dg,categories=wake
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.spec.namespace`
// +kubebuilder:printcolumn:name="Domains",type=string,JSONPath=`.spec.domains`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Exclusive",type=string,JSONPath=`.status.conditions[?(@.type=="Exclusive")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DomainGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says which namespace gets which domains.
	Spec DomainGrantSpec `json:"spec"`
	// Status is what Wake observed.
	// +optional
	Status DomainGrantStatus `json:"status,omitempty"`
}

// DomainGrantSpec gives domains to one namespace.
type DomainGrantSpec struct {
	// Namespace is the namespace whose Routes may use the domains.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a namespace name: a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)"
	Namespace string `json:"namespace"`

	// Domains are the hosts granted: an exact host ("shop.example.org")
	// grants only itself; a wildcard "*.example.org" grants every host
	// under example.org ("a.example.org", "a.b.example.org") and the
	// wildcard hosts under it ("*.example.org", "*.a.example.org"), never
	// "example.org" itself. A Route's tag hosts ({tag}-{host}) must be
	// granted too, which a wildcard does.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	Domains []Hostname `json:"domains"`
}

// DomainGrantStatus is the observed state of a DomainGrant: Ready once Wake
// applies it (for its observedGeneration), and Exclusive, informational,
// False when another grant gives one of its domains, or an overlapping one,
// to another namespace (among those namespaces the oldest Route wins).
type DomainGrantStatus struct {
	duckv1.Status `json:",inline"`
}

// DomainGrantList is a list of DomainGrants.
//
// +kubebuilder:object:root=true
type DomainGrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the DomainGrants.
	Items []DomainGrant `json:"items"`
}

func init() {
	registerTypes(&DomainGrant{}, &DomainGrantList{})
}
