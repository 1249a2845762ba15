package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
)

// RoutePolicies are what the activator applies to a Route's requests before
// they reach a function. On the Route they apply to every rule; on a rule,
// each policy set replaces the Route's policy of the same kind for that
// rule (see RouteSpec.RulePolicies).
type RoutePolicies struct {
	// CORS lets browsers call the Route's functions from other origins.
	// The activator answers CORS preflight requests (OPTIONS with Origin
	// and Access-Control-Request-Method) itself, even while the function
	// is at zero and without waking it, and adds the CORS headers to the
	// responses of cross-origin requests, replacing any Access-Control-*
	// headers the function sent. The fields follow Gateway API's
	// HTTPCORSFilter, so its manifests port.
	// +optional
	CORS *CORSPolicy `json:"cors,omitempty"`

	// APIKeys requires a client credential on every request: 401 without
	// one or with a wrong one, 403 for a client not allowed on the rule,
	// both answered by the activator without waking the function. The
	// credential is removed before the request reaches the function, which
	// gets the client's ID in a header instead. The fields follow Envoy
	// Gateway's APIKeyAuth.
	// +optional
	APIKeys *APIKeyPolicy `json:"apiKeys,omitempty"`

	// RateLimit limits how many requests the rule admits, together over
	// every activator: a request over a limit is answered 429 with
	// Retry-After, RateLimit-Policy and RateLimit by the activator, without
	// waking the function. The limits follow Envoy Gateway's rate-limit
	// rules: a token bucket (so many requests per unit, with a burst),
	// optionally counted per client ID, header value or source address,
	// and an optional daily or monthly quota.
	// +optional
	RateLimit *RateLimitPolicy `json:"rateLimit,omitempty"`

	// Usage says what is counted of the rule's requests beyond its
	// requests per status class, which are always counted (in the Route's
	// status.usage and in wake_activator_route_requests_total).
	// +optional
	Usage *UsagePolicy `json:"usage,omitempty"`

	// Logs records a sample of the rule's requests as JSON lines, which
	// the Route's owner reads in the ConfigMap "<route>-wake-logs" of the
	// Route's namespace (LogsConfigMapName).
	// +optional
	Logs *LogPolicy `json:"logs,omitempty"`
}

// LogPolicy says which of a rule's requests are logged, and what a line
// carries beside the request's route, rule, function, revision, client,
// method, path (without the query), status, bytes and latencies.
type LogPolicy struct {
	// SamplePercent is the share of the rule's requests logged.
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	SamplePercent int32 `json:"samplePercent,omitempty"`
	// Headers are request headers whose values a line carries. Those of
	// credentials (Authorization, Proxy-Authorization, Cookie and the
	// apiKeys policy's headers) and those in RedactHeaders are written
	// as "[redacted]".
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Headers []CORSHeaderName `json:"headers,omitempty"`
	// RedactHeaders are more headers whose values are never written.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	RedactHeaders []CORSHeaderName `json:"redactHeaders,omitempty"`
}

// LogsConfigMapName is the ConfigMap, in a Route's namespace, holding its
// latest request log lines: "<route>-wake-logs", with a Route name too
// long for that cut and suffixed with a hash of it.
func LogsConfigMapName(route string) string {
	const suffix, maxName = "-wake-logs", 253
	if len(route)+len(suffix) <= maxName {
		return route + suffix
	}
	sum := sha256.Sum256([]byte(route))
	return route[:maxName-len(suffix)-9] + "-" + hex.EncodeToString(sum[:4]) + suffix
}

// UsagePolicy says what is counted of a rule's requests.
type UsagePolicy struct {
	// PerClient counts the requests of each client the apiKeys policy
	// identified: in the Route's status.usage (its MaxUsageClients
	// busiest clients per rule and day) and, labelled with the client ID,
	// in wake_activator_route_client_requests_total.
	// +optional
	PerClient bool `json:"perClient,omitempty"`
}

// RateLimitPolicy is the rate limits of a rule. A request must be admitted
// by every rule of the policy and by its client's plan; one refused by a
// limit still counts against the others (as in Envoy Gateway).
// +kubebuilder:validation:XValidation:rule="has(self.rules) || has(self.plans)",message="set rules, plans or both"
type RateLimitPolicy struct {
	// Rules are limits on every request of the rule.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	Rules []RateLimitRule `json:"rules,omitempty"`

	// Plans put the apiKeys policy's clients on named limits, each client
	// counted on its own: a client listed by a plan (the first, if several
	// list it) is limited by that plan's limit and quota. A client on no
	// plan, or a request without a client ID, is limited by the rules
	// only.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	Plans []RatePlan `json:"plans,omitempty"`

	// ShadowMode counts what the limits would refuse
	// (wake_activator_route_rate_limited_total with mode="shadow") and
	// refuses nothing: to try a policy on live traffic first.
	// +optional
	ShadowMode bool `json:"shadowMode,omitempty"`
}

// RateLimitRule is one limit, counted for all the rule's requests together
// or separately per key.
type RateLimitRule struct {
	// Name names the limit in the RateLimit-Policy and RateLimit headers;
	// default "rule-<index>".
	// +optional
	Name RateLimitName `json:"name,omitempty"`
	// Key counts requests separately by a value of theirs; unset counts
	// them all together.
	// +optional
	Key *RateLimitKey `json:"key,omitempty"`
	// Limit is the rate.
	Limit RateLimitValue `json:"limit"`
	// Quota bounds the requests per day or month on top of the rate.
	// +optional
	Quota *RateLimitQuota `json:"quota,omitempty"`
}

// RateLimitKey is the value a limit counts requests by.
// +kubebuilder:validation:XValidation:rule="(self.type == 'Header') == has(self.header)",message="header is set exactly when type is Header",fieldPath=".header"
type RateLimitKey struct {
	// Type is ClientID (the client the apiKeys policy identified; requests
	// without one share a key), Header (the value of the header named by
	// header; requests without it share a key) or SourceAddress (the
	// client's IP: the last X-Forwarded-For entry when the connection
	// comes from a trusted proxy, else the connection's address).
	// +kubebuilder:validation:Enum=ClientID;Header;SourceAddress
	Type RateLimitKeyType `json:"type"`
	// Header names the header whose value is the key.
	// +optional
	Header CORSHeaderName `json:"header,omitempty"`
}

// RateLimitKeyType is what a limit counts requests by.
type RateLimitKeyType string

// The values of RateLimitKeyType.
const (
	RateLimitKeyClientID      RateLimitKeyType = "ClientID"
	RateLimitKeyHeader        RateLimitKeyType = "Header"
	RateLimitKeySourceAddress RateLimitKeyType = "SourceAddress"
)

// RateLimitValue is a token bucket: requests per unit on average, and up
// to burst at once.
type RateLimitValue struct {
	// Requests admitted per unit.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000000
	Requests int64 `json:"requests"`
	// Unit is Second, Minute, Hour or Day.
	// +kubebuilder:validation:Enum=Second;Minute;Hour;Day
	Unit RateLimitUnit `json:"unit"`
	// Burst is how many requests may come at once (the bucket's size);
	// default requests.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000000
	Burst *int64 `json:"burst,omitempty"`
}

// RateLimitUnit is the unit of a rate.
type RateLimitUnit string

// The values of RateLimitUnit.
const (
	RateLimitSecond RateLimitUnit = "Second"
	RateLimitMinute RateLimitUnit = "Minute"
	RateLimitHour   RateLimitUnit = "Hour"
	RateLimitDay    RateLimitUnit = "Day"
)

// RateLimitQuota bounds the requests of a calendar day or month (UTC).
type RateLimitQuota struct {
	// Requests admitted per period.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000000000
	Requests int64 `json:"requests"`
	// Period is Day or Month, starting at 00:00 UTC.
	// +kubebuilder:validation:Enum=Day;Month
	Period RateLimitPeriod `json:"period"`
}

// RateLimitPeriod is the period of a quota.
type RateLimitPeriod string

// The values of RateLimitPeriod.
const (
	RateLimitPeriodDay   RateLimitPeriod = "Day"
	RateLimitPeriodMonth RateLimitPeriod = "Month"
)

// RatePlan is a named limit that clients are put on, each counted on its
// own.
type RatePlan struct {
	// Name of the plan, in the RateLimit-Policy and RateLimit headers.
	Name RateLimitName `json:"name"`
	// Clients are the client IDs on the plan.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1000
	// +listType=set
	Clients []ClientID `json:"clients"`
	// Limit is each client's rate.
	Limit RateLimitValue `json:"limit"`
	// Quota bounds each client's requests per day or month.
	// +optional
	Quota *RateLimitQuota `json:"quota,omitempty"`
}

// RateLimitName names a limit or plan: a DNS label.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
type RateLimitName string

// APIKeyPolicy is the client credential a rule requires.
// +kubebuilder:validation:XValidation:rule="(has(self.extractFrom) && self.extractFrom.exists(e, has(e.headers) || has(e.params))) || (has(self.basic) && self.basic)",message="say where the credential comes from: extractFrom headers or params, or basic",fieldPath=".extractFrom"
type APIKeyPolicy struct {
	// CredentialRefs are Secrets in the Route's namespace holding the
	// clients: each key of a Secret's data is a client ID, its value that
	// client's secret. Wake reads them, and the activators hold only the
	// secrets' SHA-256; a change to a Secret takes effect within seconds,
	// without dropping requests.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	CredentialRefs []SecretRef `json:"credentialRefs"`

	// ExtractFrom lists where a secret may come in: the whole value of a
	// header (after "Bearer " in Authorization), or a query parameter.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	// +listType=atomic
	ExtractFrom []APIKeyExtractFrom `json:"extractFrom,omitempty"`

	// Basic accepts HTTP Basic credentials, the client ID as the user
	// name and its secret as the password.
	// +optional
	Basic bool `json:"basic,omitempty"`

	// AllowedClients are the client IDs allowed on the rule; empty allows
	// every client of the Secrets.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	AllowedClients []ClientID `json:"allowedClients,omitempty"`

	// ForwardClientIDHeader is the header the function gets the client's
	// ID in (one sent by the client is replaced).
	// +optional
	// +kubebuilder:default=Wake-Client-Id
	ForwardClientIDHeader CORSHeaderName `json:"forwardClientIDHeader,omitempty"`
}

// SecretRef names a Secret in the referrer's namespace.
type SecretRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="format.dns1123Subdomain().validate(self).hasValue() == false",message="must be a Secret name: a DNS subdomain"
	Name string `json:"name"`
}

// APIKeyExtractFrom is where a secret may come in.
type APIKeyExtractFrom struct {
	// Headers are request header names.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	Headers []CORSHeaderName `json:"headers,omitempty"`
	// Params are query parameter names.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	Params []string `json:"params,omitempty"`
}

// ClientID is a client's ID: a key of a credential Secret's data.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
type ClientID string

// CORSPolicy is the cross-origin resource sharing a rule allows.
//
// A preflight from an allowed origin is answered 204 with
// Access-Control-Allow-Origin, -Allow-Methods, -Allow-Headers, -Max-Age and,
// when allowCredentials is set, -Allow-Credentials; one from any other
// origin is answered 403 without them. A request from an allowed origin is
// served with Access-Control-Allow-Origin, -Expose-Headers and, when
// allowCredentials is set, -Allow-Credentials; one from any other origin is
// served without them, so that the browser keeps the answer from the page.
// +kubebuilder:validation:XValidation:rule="!has(self.allowOrigins) || !('*' in self.allowOrigins) || self.allowOrigins.size() == 1",message="'*' allows every origin: list it alone",fieldPath=".allowOrigins"
// +kubebuilder:validation:XValidation:rule="!has(self.allowMethods) || !('*' in self.allowMethods) || self.allowMethods.size() == 1",message="'*' allows every method: list it alone",fieldPath=".allowMethods"
// +kubebuilder:validation:XValidation:rule="!has(self.allowHeaders) || !('*' in self.allowHeaders) || self.allowHeaders.size() == 1",message="'*' allows every header: list it alone",fieldPath=".allowHeaders"
// +kubebuilder:validation:XValidation:rule="!has(self.exposeHeaders) || !('*' in self.exposeHeaders) || self.exposeHeaders.size() == 1",message="'*' exposes every header: list it alone",fieldPath=".exposeHeaders"
type CORSPolicy struct {
	// AllowOrigins are the origins whose pages may call the rule:
	// "scheme://host" with an optional ":port", lowercase, where the host
	// may start with "*." to stand for one or more labels
	// ("https://*.example.com" matches "https://a.example.com" and
	// "https://a.b.example.com", not "https://example.com"). A missing port
	// is the scheme's default (80 for http, 443 for https). "*" alone
	// allows every origin. Empty allows none: every preflight is then
	// refused, still without waking the function.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	AllowOrigins []CORSOrigin `json:"allowOrigins,omitempty"`

	// AllowMethods are the methods a preflight allows, sent in
	// Access-Control-Allow-Methods; "*" alone allows every method (the
	// preflight's own method is sent back when allowCredentials is set,
	// since browsers read "*" literally then). GET, HEAD and POST need no
	// preflight.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=set
	AllowMethods []CORSMethod `json:"allowMethods,omitempty"`

	// AllowHeaders are the request headers a preflight allows, sent in
	// Access-Control-Allow-Headers; "*" alone allows every header (the
	// preflight's own Access-Control-Request-Headers are sent back when
	// allowCredentials is set).
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	AllowHeaders []CORSHeaderName `json:"allowHeaders,omitempty"`

	// ExposeHeaders are the response headers a page may read beyond the
	// safelisted ones, sent in Access-Control-Expose-Headers. "*" alone
	// exposes every header to requests without credentials; browsers read
	// it literally on requests with credentials, so name the headers when
	// allowCredentials is set.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	ExposeHeaders []CORSHeaderName `json:"exposeHeaders,omitempty"`

	// MaxAge is how many seconds a browser may cache a preflight's answer,
	// sent in Access-Control-Max-Age.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	MaxAge int32 `json:"maxAge,omitempty"`

	// AllowCredentials lets pages send cookies and credentials along,
	// sent as Access-Control-Allow-Credentials: true. With it, "*" is
	// never sent: the request's origin, method or headers are sent back
	// in its place.
	// +optional
	AllowCredentials bool `json:"allowCredentials,omitempty"`
}

// CORSOrigin is an origin a CORS policy allows: "*", or
// "scheme://host[:port]" with a lowercase scheme and DNS name or IPv4
// address, whose host may start with "*.".
// +kubebuilder:validation:MaxLength=300
// +kubebuilder:validation:XValidation:rule="self == '*' || self.matches('^[a-z][a-z0-9+.-]*://(\\\\*\\\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?$')",message="must be '*' or an origin scheme://host[:port] in lowercase, without path, whose host may start with '*.'"
// +kubebuilder:validation:XValidation:rule="!self.matches(':[0-9]+$') || int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="port must be at most 65535"
type CORSOrigin string

// CORSMethod is an HTTP method, or "*" for every method.
// +kubebuilder:validation:Enum=GET;HEAD;POST;PUT;PATCH;DELETE;OPTIONS;CONNECT;TRACE;*
type CORSMethod string

// CORSHeaderName is an HTTP header name, or "*".
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
type CORSHeaderName string

// RulePolicies returns the policies of rule i: each kind the rule sets,
// else the Route's.
func (s *RouteSpec) RulePolicies(i int) RoutePolicies {
	var out RoutePolicies
	if s.Policies != nil {
		out = *s.Policies
	}
	if i < 0 || i >= len(s.Rules) || s.Rules[i].Policies == nil {
		return out
	}
	p := s.Rules[i].Policies
	if p.CORS != nil {
		out.CORS = p.CORS
	}
	if p.APIKeys != nil {
		out.APIKeys = p.APIKeys
	}
	if p.RateLimit != nil {
		out.RateLimit = p.RateLimit
	}
	if p.Usage != nil {
		out.Usage = p.Usage
	}
	if p.Logs != nil {
		out.Logs = p.Logs
	}
	return out
}
