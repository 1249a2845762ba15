package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Route maps hosts, paths and methods to Functions and Revisions, and splits
// traffic between them by percentage. A host belongs to the oldest Route
// that claims it; a Route cannot claim another namespace's Function hosts.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rt,categories=wake
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Route struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user asks for.
	Spec RouteSpec `json:"spec"`
	// Status is what Wake observed.
	// +optional
	Status RouteStatus `json:"status,omitempty"`
}

// RouteSpec is the desired state of a Route.
type RouteSpec struct {
	// Hosts are the DNS names this Route serves. A leading "*." matches any
	// one or more labels in its place; exact names win over wildcards.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Hosts []Hostname `json:"hosts"`

	// Rules decide where requests go. The most specific match wins: Exact
	// paths first, then Prefix paths from longest to shortest; rules with
	// equally specific paths are tried in the order written. A rule matches
	// when its path and its methods both fit the request.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	Rules []RouteRule `json:"rules"`
}

// Hostname is a DNS name, optionally starting with the wildcard "*.".
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\*\\\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a lowercase DNS name, optionally starting with '*.'"
type Hostname string

// RouteRule sends the requests it matches to its traffic targets.
type RouteRule struct {
	// Match selects requests by path and method. An empty match takes
	// every request.
	// +optional
	Match RouteMatch `json:"match,omitempty"`

	// Traffic splits the matched requests. Percents add up to 100.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +kubebuilder:validation:XValidation:rule="self.map(t, t.percent).sum() == 100",message="traffic percents must add up to 100"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.tag) || self.exists_one(u, has(u.tag) && u.tag == t.tag))",message="each tag may appear only once in a rule's traffic"
	Traffic []TrafficTarget `json:"traffic"`
}

// RouteMatch selects requests.
type RouteMatch struct {
	// Path matches the request path. Unset matches every path.
	// +optional
	Path *PathMatch `json:"path,omitempty"`

	// Methods lists the HTTP methods allowed; empty allows all. A request
	// whose path matches but whose method does not is answered 405.
	// +optional
	// +kubebuilder:validation:MaxItems=9
	// +listType=set
	Methods []HTTPMethod `json:"methods,omitempty"`
}

// PathMatch matches a request path.
type PathMatch struct {
	// Type is Prefix (the default: whole path segments) or Exact.
	// +optional
	// +kubebuilder:default=Prefix
	Type PathMatchType `json:"type,omitempty"`

	// Value is the path or prefix, starting with "/".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="path must start with '/'"
	Value string `json:"value"`
}

// PathMatchType is how a path is compared.
// +kubebuilder:validation:Enum=Prefix;Exact
type PathMatchType string

// Path match types.
const (
	// PathMatchPrefix matches the path and everything below it.
	PathMatchPrefix PathMatchType = "Prefix"
	// PathMatchExact matches only the path itself.
	PathMatchExact PathMatchType = "Exact"
)

// HTTPMethod is an HTTP request method.
// +kubebuilder:validation:Enum=GET;HEAD;POST;PUT;PATCH;DELETE;OPTIONS;CONNECT;TRACE
type HTTPMethod string

// TrafficTarget is one share of a rule's traffic.
// +kubebuilder:validation:XValidation:rule="has(self.functionName) != has(self.revisionName)",message="set exactly one of functionName or revisionName"
type TrafficTarget struct {
	// FunctionName sends traffic to the latest ready Revision of this
	// Function, following it as new revisions become ready.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	FunctionName string `json:"functionName,omitempty"`

	// RevisionName pins traffic to one Revision.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	RevisionName string `json:"revisionName,omitempty"`

	// Percent of the rule's requests sent to this target.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent int32 `json:"percent"`

	// Tag gives this target its own host, {tag}-{host}, for each of the
	// Route's exact hosts; requests to that host that match the rule all
	// go to this target.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Tag string `json:"tag,omitempty"`
}

// RouteStatus is the observed state of a Route.
type RouteStatus struct {
	duckv1.Status `json:",inline"`

	// URL is the Route's first host as a URL.
	// +optional
	URL *apis.URL `json:"url,omitempty"`

	// Rules holds each rule's traffic resolved to revisions, in spec order.
	// +optional
	// +listType=atomic
	Rules []RuleStatus `json:"rules,omitempty"`
}

// RuleStatus is one rule's traffic as resolved by Wake.
type RuleStatus struct {
	// Traffic lists the rule's targets with their revisions.
	// +listType=atomic
	Traffic []ResolvedTarget `json:"traffic"`
}

// ResolvedTarget is a traffic target resolved to a revision.
type ResolvedTarget struct {
	// FunctionName is the target's function, if it named one.
	// +optional
	FunctionName string `json:"functionName,omitempty"`
	// RevisionName is the revision that receives the traffic.
	RevisionName string `json:"revisionName"`
	// Percent of the rule's requests it receives.
	Percent int32 `json:"percent"`
	// Tag is the target's tag, if any.
	// +optional
	Tag string `json:"tag,omitempty"`
	// URL is the tag's URL, if the target has a tag.
	// +optional
	URL *apis.URL `json:"url,omitempty"`
}

// RouteList is a list of Routes.
//
// +kubebuilder:object:root=true
type RouteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Routes.
	Items []Route `json:"items"`
}

func init() {
	registerTypes(&Route{}, &RouteList{})
}
