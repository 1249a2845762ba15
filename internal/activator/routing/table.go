package routing

import (
	"math/rand/v2"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/reqlog"
	"github.com/wakefn/wake/internal/hosts"
)

// Revision is what a lookup resolves to. Tables share one *Revision per key,
// so callers may compare pointers within one table.
type Revision struct {
	// Key names the Revision.
	Key types.NamespacedName
	// Timeout bounds a request's time in the activator.
	Timeout time.Duration
	// Protocol is what the revision's pods serve: ProtocolHTTP1 or
	// ProtocolH2C, never empty. The proxy speaks it to the pod whatever
	// the client speaks.
	Protocol Protocol
}

// RuleRef names a Route's rule.
type RuleRef struct {
	// Route is the Route's namespace and name.
	Route types.NamespacedName
	// Index is the rule's position in the Route's rules, from 0.
	Index int
}

// Kind says whether a lookup found a revision, and if not, why.
type Kind uint8

const (
	// Found means Result.Revision is set.
	Found Kind = iota
	// MissHost means no host matched.
	MissHost
	// MissPath means the host matched but no rule's path did.
	MissPath
	// MissMethod means a path matched but no rule allowed the method.
	MissMethod
)

// String names the kind for logs and tests.
func (k Kind) String() string {
	switch k {
	case Found:
		return "Found"
	case MissHost:
		return "MissHost"
	case MissPath:
		return "MissPath"
	case MissMethod:
		return "MissMethod"
	}
	return "Kind(?)"
}

// Result is the outcome of a lookup.
type Result struct {
	// Kind is Found or the reason of the miss.
	Kind Kind
	// Revision is set when Kind is Found.
	Revision *Revision
	// CORS is the matched rule's CORS policy when Kind is Found; nil when
	// it has none.
	CORS *cors.Policy
	// APIKeys is the matched rule's credential policy when Kind is Found;
	// nil when it requires none.
	APIKeys *apikey.Policy
	// RateLimit is the matched rule's rate-limit policy when Kind is
	// Found; nil when it limits nothing.
	RateLimit *ratelimit.Policy
	// PerClient is set when the matched rule counts its requests per
	// client too.
	PerClient bool
	// Logs is the matched rule's log policy; nil logs nothing.
	Logs *reqlog.Policy
	// Rule names the matched Route rule when Kind is Found; nil for a
	// Function's default host.
	Rule *RuleRef
	// allow is the union of the methods of the rules whose path matched,
	// kept for Allow on MissMethod.
	allow methodSet
	extra []*rule
}

// Allow returns the value of the Allow header for a MissMethod result:
// the methods allowed on the path, sorted, comma separated. It allocates,
// and is meant for the 405 path only.
func (r Result) Allow() string {
	if r.Kind != MissMethod {
		return ""
	}
	set := r.allow
	for _, ru := range r.extra {
		set = set.union(ru.methods)
	}
	return set.String()
}

// Table maps hosts, paths and methods to revisions. It is immutable once
// built and safe for concurrent use.
type Table struct {
	exact     map[string]*host
	wild      map[string]*host // keyed by the suffix after "*."
	revisions map[types.NamespacedName]*Revision
}

type host struct {
	rules []*rule // in precedence order
}

type rule struct {
	exact   bool
	path    string // for prefixes: without trailing "/" ("" for "/")
	methods methodSet
	split   split
	cors    *cors.Policy
	apiKeys *apikey.Policy
	limits  *ratelimit.Policy
	ref     *RuleRef
	// perClient counts the rule's requests per client.
	perClient bool
	logs      *reqlog.Policy // nil for a Function's default host
}

// Lookup resolves a request. hostport is the Host header as received (port,
// case and a trailing dot are ignored), path the request path, method the
// request method. src is drawn once when the matched rule splits traffic;
// nil uses math/rand/v2's global generator.
func (t *Table) Lookup(hostport, path, method string, src rand.Source) Result {
	h := t.findHost(hostport)
	if h == nil {
		return Result{Kind: MissHost}
	}
	res := Result{Kind: MissPath}
	for _, ru := range h.rules {
		if !ru.matchPath(path) {
			continue
		}
		if ru.methods.allows(method) {
			return Result{Kind: Found, Revision: ru.split.pick(src), CORS: ru.cors, APIKeys: ru.apiKeys, RateLimit: ru.limits, PerClient: ru.perClient, Logs: ru.logs, Rule: ru.ref}
		}
		res.Kind = MissMethod
		if ru.methods.other == nil {
			res.allow.mask |= ru.methods.mask
		} else {
			res.extra = append(res.extra, ru)
		}
	}
	return res
}

// Revisions returns the revisions the table can send to, keyed by name.
// The map must not be modified.
func (t *Table) Revisions() map[types.NamespacedName]*Revision { return t.revisions }

// Hosts returns the number of exact and wildcard hosts, for logs.
func (t *Table) Hosts() (exact, wildcard int) { return len(t.exact), len(t.wild) }

func (t *Table) findHost(hostport string) *host {
	name := hosts.Request(hostport)
	if name == "" {
		return nil
	}
	if h := t.exact[name]; h != nil {
		return h
	}
	if len(t.wild) == 0 {
		return nil
	}
	// Longest suffix first: drop one label at a time.
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if h := t.wild[name[i+1:]]; h != nil && i > 0 {
			return h
		}
	}
	return nil
}

func (r *rule) matchPath(p string) bool {
	if r.exact {
		return p == r.path
	}
	if r.path == "" {
		return true
	}
	if !strings.HasPrefix(p, r.path) {
		return false
	}
	return len(p) == len(r.path) || p[len(r.path)] == '/'
}

// split is a weighted choice among revisions.
type split struct {
	revs []*Revision
	cum  []uint32 // cumulative percents, last is 100
}

func (s *split) pick(src rand.Source) *Revision {
	if len(s.revs) == 1 {
		return s.revs[0]
	}
	var n uint64
	if src == nil {
		n = rand.Uint64()
	} else {
		n = src.Uint64()
	}
	v := uint32(n % 100)
	for i, c := range s.cum {
		if v < c {
			return s.revs[i]
		}
	}
	return s.revs[len(s.revs)-1]
}
