package v1alpha1

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
}

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
	return out
}
