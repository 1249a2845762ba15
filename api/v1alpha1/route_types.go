package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Route maps hosts, paths and methods to Functions and Revisions, and splits
// traffic between them by percentage. A host belongs to the oldest Route
// that may claim it; a Route cannot claim another namespace's Function
// hosts, and under the domain policy "claims" (the default) it may use a
// host outside its namespace's own only where a DomainGrant gives it.
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
//
// Each tag gives each exact host a tag host {tag}-{host}, which must be a DNS
// name too: its first label (the tag, '-' and the host's first label) at most
// 63 characters, the whole at most 253. Wildcard hosts get no tag host.
// +kubebuilder:validation:XValidation:rule="!has(self.rules) || !has(self.hosts) || [(self.rules.map(r, has(r.traffic) ? (r.traffic.map(t, has(t.tag) ? t.tag.size() : 0) + [0]).max() : 0) + [0]).max()].all(n, n == 0 || self.hosts.all(h, h.startsWith('*.') || n + 1 + h.find('^[^.]*').size() <= 63 && n + 1 + h.size() <= 253))",messageExpression="[(self.rules.map(r, (r.traffic.map(t, has(t.tag) ? t.tag.size() : 0) + [0]).max()) + [0]).max()].map(n, [self.rules.map(r, r.traffic.filter(t, has(t.tag) && t.tag.size() == n).map(t, t.tag)).filter(l, l.size() > 0)[0][0]].map(t, 'tag host ' + t + '-' + self.hosts.filter(h, !h.startsWith('*.') && (n + 1 + h.find('^[^.]*').size() > 63 || n + 1 + h.size() > 253))[0] + ' would not be a DNS name: a tag host {tag}-{host} has a first label of at most 63 characters and at most 253 in all')[0])[0]",message="a tag host {tag}-{host} has a first label of at most 63 characters and at most 253 in all",fieldPath=".hosts"
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
	//
	// A rule that can never match is refused: one with the same path type
	// and path as an earlier rule (Prefix paths compare without trailing
	// "/", as they are matched) whose methods are empty or include all of
	// its own (GET includes HEAD).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +kubebuilder:validation:XValidation:rule="[self.map(r, has(r.match) && has(r.match.path) ? r.match.path.type + ' ' + (r.match.path.type == 'Exact' ? r.match.path.value : r.match.path.value.find('(?s)^.*[^/]')) : 'Prefix ')].all(k, [self.map(r, r.?match.?methods.orValue([]))].all(ms, !k.exists(i, a, k.exists(j, b, j < i && a == b && (ms[j].size() == 0 || ms[i].size() > 0 && ms[i].all(m, m in ms[j] || m == 'HEAD' && 'GET' in ms[j]))))))",messageExpression="[self.map(r, has(r.match) && has(r.match.path) ? r.match.path.type + ' ' + (r.match.path.type == 'Exact' ? r.match.path.value : r.match.path.value.find('(?s)^.*[^/]')) : 'Prefix ')].map(k, [self.map(r, r.?match.?methods.orValue([]))].map(ms, [self.map(r, (has(r.match) && has(r.match.path) ? r.match.path.type + ' ' + r.match.path.value : 'Prefix /') + (has(r.match) && has(r.match.methods) && r.match.methods.size() > 0 ? ' ' + r.match.methods.join(',') : ''))].map(d, k.transformList(i, a, k.transformList(j, b, j < i && a == b && (ms[j].size() == 0 || ms[i].size() > 0 && ms[i].all(m, m in ms[j] || m == 'HEAD' && 'GET' in ms[j])), j)).transformList(i, js, js.size() > 0, 'the rule (' + d[i] + ') can never match: the earlier rule (' + d[js[0]] + ') has the same path and allows every method it allows')[0])[0])[0])[0]",message="a rule can never match: an earlier rule has the same path and allows every method it allows"
	Rules []RouteRule `json:"rules"`

	// Policies apply to every rule; a rule may replace each of them with
	// its own.
	// +optional
	Policies *RoutePolicies `json:"policies,omitempty"`
}

// Hostname is a DNS name, optionally starting with the wildcard "*.": labels
// of at most 63 characters, at most 253 in all, and not an IP address.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\*\\\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a lowercase DNS name, optionally starting with '*.'"
// +kubebuilder:validation:XValidation:rule="self.split('.').all(l, l.size() <= 63)",message="each dot-separated label must be at most 63 characters"
// +kubebuilder:validation:XValidation:rule="!self.matches('(^|[.])[0-9]+$')",message="must be a DNS name, not an IP address: its last label may not be all digits"
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

	// Policies replace, for this rule, the Route's policies of the kinds
	// set here.
	// +optional
	Policies *RoutePolicies `json:"policies,omitempty"`
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

	// Value is the path or prefix, starting with "/". It is compared with
	// the request's path after percent-decoding and after "." and ".."
	// segments are removed, so it holds no query ("?"), fragment ("#"),
	// dot-segment, backslash, whitespace or control character.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="path must start with '/'"
	// +kubebuilder:validation:XValidation:rule="!self.contains('?') && !self.contains('#')",message="must not contain '?' or '#': a request's path never holds its query or fragment"
	// +kubebuilder:validation:XValidation:rule="!self.matches('[[:cntrl:][:space:]]') && !self.contains('\\\\')",message="must not contain whitespace, control characters or a backslash"
	// +kubebuilder:validation:XValidation:rule="!self.matches('/[.][.]?(/|$)')",message="must not contain '.' or '..' segments: they are removed from a request's path before it is matched"
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
	// Function, following it as new revisions become ready. It is a name a
	// Function can have: a DNS-1035 label of at most 57 characters.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=57
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a Function name: a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)"
	FunctionName string `json:"functionName,omitempty"`

	// RevisionName pins traffic to one Revision. It is a name a Revision
	// can have: a DNS-1035 label of at most 63 characters.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a Revision name: a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)"
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

	// Usage is the requests the Route's rules matched, summed over every
	// activator, per UTC day; Wake updates it at most every few seconds.
	// +optional
	Usage *RouteUsage `json:"usage,omitempty"`
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
