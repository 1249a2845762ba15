// Package cors is the activator's CORS policy: built once from a Config
// (New), it answers preflight requests and sets the CORS headers of
// responses to cross-origin requests, following Gateway API's
// HTTPCORSFilter and the Fetch standard.
package cors

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The CORS request and response headers, in canonical form.
const (
	HeaderOrigin                 = "Origin"
	HeaderRequestMethod          = "Access-Control-Request-Method"
	HeaderRequestHeaders         = "Access-Control-Request-Headers"
	HeaderAllowOrigin            = "Access-Control-Allow-Origin"
	HeaderAllowMethods           = "Access-Control-Allow-Methods"
	HeaderAllowHeaders           = "Access-Control-Allow-Headers"
	HeaderAllowCredentials       = "Access-Control-Allow-Credentials"
	HeaderExposeHeaders          = "Access-Control-Expose-Headers"
	HeaderMaxAge                 = "Access-Control-Max-Age"
	headerVary                   = "Vary"
	wildcard                     = "*"
	defaultMaxAgeSeconds   int32 = 5
)

// Config is a CORS policy as written on a Route (api/v1alpha1's
// CORSPolicy).
type Config struct {
	// AllowOrigins are "*" or "scheme://host[:port]", the host possibly
	// starting with "*.".
	AllowOrigins []string
	// AllowMethods are methods, or "*".
	AllowMethods []string
	// AllowHeaders are request header names, or "*".
	AllowHeaders []string
	// ExposeHeaders are response header names, or "*".
	ExposeHeaders []string
	// MaxAgeSeconds is sent in Access-Control-Max-Age; 0 means 5.
	MaxAgeSeconds int32
	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	AllowCredentials bool
}

// Policy is a compiled Config. It is immutable and safe for concurrent
// use.
type Policy struct {
	anyOrigin   bool
	origins     map[string]bool // normalized exact origins
	wildOrigins []wildOrigin
	credentials bool

	anyMethod, anyHeader bool
	// Precomputed header values, shared by every response: never modified.
	allowMethods, allowHeaders, expose, maxAge []string
}

// wildOrigin is an origin whose host starts with "*.": it matches the
// scheme, one or more labels, then suffix (".example.com:8443", port
// included when not the default).
type wildOrigin struct {
	scheme, suffix string
}

// Shared header values; never modified.
var (
	valueWildcard = []string{wildcard}
	valueTrue     = []string{"true"}
	varyOrigin    = []string{HeaderOrigin}
	varyPreflight = []string{HeaderOrigin + ", " + HeaderRequestMethod + ", " + HeaderRequestHeaders}
	owned         = []string{HeaderAllowOrigin, HeaderAllowMethods, HeaderAllowHeaders, HeaderAllowCredentials, HeaderExposeHeaders, HeaderMaxAge}
)

// New compiles c. Origins that are not "*" nor scheme://host[:port] are
// skipped (the API refuses them).
func New(c Config) *Policy {
	p := &Policy{origins: map[string]bool{}, credentials: c.AllowCredentials}
	for _, o := range c.AllowOrigins {
		if o == wildcard {
			p.anyOrigin = true
			continue
		}
		scheme, host, ok := splitOrigin(strings.ToLower(o))
		if !ok {
			continue
		}
		if rest, wild := strings.CutPrefix(host, "*."); wild {
			p.wildOrigins = append(p.wildOrigins, wildOrigin{scheme: scheme, suffix: "." + rest})
			continue
		}
		p.origins[scheme+"://"+host] = true
	}
	p.anyMethod = slices.Contains(c.AllowMethods, wildcard)
	p.anyHeader = slices.Contains(c.AllowHeaders, wildcard)
	p.allowMethods = joined(c.AllowMethods)
	p.allowHeaders = joined(c.AllowHeaders)
	p.expose = joined(c.ExposeHeaders)
	age := c.MaxAgeSeconds
	if age <= 0 {
		age = defaultMaxAgeSeconds
	}
	p.maxAge = []string{strconv.FormatInt(int64(age), 10)}
	return p
}

// joined returns names as one header value, or nil when there are none.
func joined(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	return []string{strings.Join(names, ", ")}
}

// IsPreflight reports whether r is a CORS preflight request: OPTIONS with
// Origin and Access-Control-Request-Method.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get(HeaderOrigin) != "" && r.Header.Get(HeaderRequestMethod) != ""
}

// Owned lists the response headers a policy sets: a function's own values
// of them are dropped from its responses.
func Owned() []string { return owned }

// Preflight answers the preflight request r on w: 204 with the policy's
// headers when its origin is allowed, else 403 without them. It returns
// the status written.
func (p *Policy) Preflight(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	h[headerVary] = varyPreflight
	origin := r.Header.Get(HeaderOrigin)
	if !p.Allows(origin) {
		http.Error(w, "CORS: origin not allowed by the route", http.StatusForbidden)
		return http.StatusForbidden
	}
	p.setOrigin(h, origin)
	switch {
	case p.anyMethod && p.credentials:
		h[HeaderAllowMethods] = []string{r.Header.Get(HeaderRequestMethod)}
	case p.anyMethod:
		h[HeaderAllowMethods] = valueWildcard
	case p.allowMethods != nil:
		h[HeaderAllowMethods] = p.allowMethods
	}
	switch asked := r.Header.Get(HeaderRequestHeaders); {
	case p.anyHeader && p.credentials:
		if asked != "" {
			h[HeaderAllowHeaders] = []string{asked}
		}
	case p.anyHeader:
		h[HeaderAllowHeaders] = valueWildcard
	case p.allowHeaders != nil:
		h[HeaderAllowHeaders] = p.allowHeaders
	}
	h[HeaderMaxAge] = p.maxAge
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// Respond sets on h, a response's headers, what a request from origin (its
// Origin header, maybe empty) is answered with: nothing unless the origin
// is allowed.
func (p *Policy) Respond(h http.Header, origin string) {
	if origin == "" || !p.Allows(origin) {
		return
	}
	p.setOrigin(h, origin)
	if p.expose != nil {
		h[HeaderExposeHeaders] = p.expose
	}
}

// setOrigin sets Access-Control-Allow-Origin (and -Allow-Credentials) for
// an allowed origin: "*" only when every origin is allowed without
// credentials, else the origin itself, varying by Origin.
func (p *Policy) setOrigin(h http.Header, origin string) {
	if p.anyOrigin && !p.credentials {
		h[HeaderAllowOrigin] = valueWildcard
		return
	}
	h[HeaderAllowOrigin] = []string{origin}
	if p.credentials {
		h[HeaderAllowCredentials] = valueTrue
	}
	if v, ok := h[headerVary]; ok {
		h[headerVary] = append(v[:len(v):len(v)], HeaderOrigin)
	} else {
		h[headerVary] = varyOrigin
	}
}

// Allows reports whether a request from origin may read the answer.
func (p *Policy) Allows(origin string) bool {
	if p.anyOrigin {
		return origin != ""
	}
	scheme, host, ok := splitOrigin(strings.ToLower(origin))
	if !ok {
		return false
	}
	if p.origins[scheme+"://"+host] {
		return true
	}
	for _, w := range p.wildOrigins {
		if w.scheme == scheme && len(host) > len(w.suffix) && strings.HasSuffix(host, w.suffix) {
			return true
		}
	}
	return false
}

// splitOrigin splits a lowercase origin "scheme://host[:port]" into its
// scheme and its host with the port, dropping the scheme's default port.
func splitOrigin(o string) (scheme, host string, ok bool) {
	scheme, host, ok = strings.Cut(o, "://")
	if !ok || scheme == "" || host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", "", false
	}
	switch scheme {
	case "http":
		host = strings.TrimSuffix(host, ":80")
	case "https":
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme, host, true
}
