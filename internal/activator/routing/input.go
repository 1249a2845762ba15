package routing

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/reqlog"
)

// DefaultTimeoutSeconds is the request timeout of a revision that sets none.
const DefaultTimeoutSeconds = 300

// PathType says how a Match compares the request path.
type PathType string

const (
	// PathPrefix matches whole leading path segments.
	PathPrefix PathType = "Prefix"
	// PathExact matches the path exactly.
	PathExact PathType = "Exact"
)

// Protocol is the HTTP protocol a revision's pods serve; the values are
// those of api/v1alpha1's Protocol.
type Protocol string

const (
	// ProtocolHTTP1 is HTTP/1.1.
	ProtocolHTTP1 Protocol = "http1"
	// ProtocolH2C is HTTP/2 over cleartext with prior knowledge (gRPC).
	ProtocolH2C Protocol = "h2c"
)

// Input is everything Build needs: the adapter from the informers fills it.
type Input struct {
	// Domain is the cluster domain of default hosts, e.g. "example.com".
	Domain string
	// Revisions carries the per-revision settings the request path needs.
	Revisions []RevisionInput
	// Functions give default hosts.
	Functions []FunctionInput
	// Routes give explicit hosts, rules and splits.
	Routes []RouteInput
}

// RevisionInput is one Revision's request-path settings.
type RevisionInput struct {
	// Key names the Revision.
	Key types.NamespacedName
	// TimeoutSeconds bounds a request's time in the activator (queueing and
	// proxying); 0 means DefaultTimeoutSeconds.
	TimeoutSeconds int64
	// Protocol is what the revision's pods serve: ProtocolHTTP1 (the
	// default when empty) or ProtocolH2C, as api/v1alpha1's
	// Container.ServingProtocol() returns it.
	Protocol Protocol
}

// FunctionInput is one Function.
type FunctionInput struct {
	// Namespace of the Function.
	Namespace string
	// Name of the Function.
	Name string
	// LatestReadyRevision is the name of the revision (same namespace) the
	// default host sends to; empty means no default host yet.
	LatestReadyRevision string
}

// RouteInput is one Route.
type RouteInput struct {
	// Namespace of the Route.
	Namespace string
	// Name of the Route.
	Name string
	// Hosts are exact DNS names or "*."-prefixed wildcards.
	Hosts []string
	// Rules are the Route's rules in the order written.
	Rules []RuleInput
}

// RuleInput is one rule of a Route.
type RuleInput struct {
	// Match selects requests.
	Match MatchInput
	// Traffic splits the matched requests across revisions.
	Traffic []TrafficInput
	// CORS is the rule's CORS policy; nil has none.
	CORS *cors.Config
	// APIKeys is the rule's credential policy; nil requires none.
	APIKeys *apikey.Config
	// RateLimit is the rule's rate-limit policy; nil limits nothing.
	RateLimit *ratelimit.Config
	// UsagePerClient counts the rule's requests per client too.
	UsagePerClient bool
	// Logs is the rule's log policy; nil logs nothing.
	Logs *reqlog.Config
}

// MatchInput selects requests by path and method.
type MatchInput struct {
	// Type is PathPrefix (the default when empty) or PathExact.
	Type PathType
	// Path starts with "/"; empty means "/".
	Path string
	// Methods lists allowed HTTP methods; empty allows all.
	Methods []string
}

// TrafficInput is one entry of a split.
type TrafficInput struct {
	// Revision is the resolved revision.
	Revision types.NamespacedName
	// Percent of the rule's requests, 0-100; a rule's entries sum to 100.
	Percent int
	// Tag, if set, gives the entry its own host "{tag}-{host}".
	Tag string
}
