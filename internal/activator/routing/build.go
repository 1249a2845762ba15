package routing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/hosts"
)

// Problem is an input that Build refused or adjusted; the table is built
// without it. The adapter reports problems on the objects' status.
type Problem struct {
	// Kind is "Route", "Function" or "Revision".
	Kind string
	// Object names the object at fault.
	Object types.NamespacedName
	// Message says what was wrong.
	Message string
}

// String formats the problem for logs.
func (p Problem) String() string { return p.Kind + " " + p.Object.String() + ": " + p.Message }

// Build makes a table from in. It never fails: invalid routes, rules and
// host claims are left out and reported as problems.
func Build(in Input) (*Table, []Problem) {
	b := &builder{
		in:        in,
		domain:    hosts.Domain(in.Domain),
		settings:  make(map[types.NamespacedName]Revision, len(in.Revisions)),
		revisions: make(map[types.NamespacedName]*Revision),
		cache:     make(map[types.NamespacedName]*Revision),
		exact:     make(map[string]*host),
		wild:      make(map[string]*host),
	}
	for _, r := range in.Revisions {
		b.settings[r.Key] = b.revisionSettings(r)
	}
	routes := slices.Clone(in.Routes)
	slices.SortStableFunc(routes, func(a, c RouteInput) int {
		return cmp.Or(cmp.Compare(a.Namespace, c.Namespace), cmp.Compare(a.Name, c.Name))
	})
	fns := slices.Clone(in.Functions)
	slices.SortStableFunc(fns, func(a, c FunctionInput) int {
		return cmp.Or(cmp.Compare(a.Namespace, c.Namespace), cmp.Compare(a.Name, c.Name))
	})

	var tagClaims []claim
	for _, rt := range routes {
		tagClaims = b.addRoute(tagClaims, rt)
	}
	for _, fn := range fns {
		b.addFunction(fn)
	}
	for _, c := range tagClaims {
		b.claim(c)
	}
	return &Table{exact: b.exact, wild: b.wild, revisions: b.revisions}, b.problems
}

type builder struct {
	in        Input
	domain    string
	settings  map[types.NamespacedName]Revision  // from Input.Revisions
	revisions map[types.NamespacedName]*Revision // claimed revisions only
	cache     map[types.NamespacedName]*Revision // one *Revision per key
	exact     map[string]*host
	wild      map[string]*host
	problems  []Problem
}

// claim is one object's wish for one host.
type claim struct {
	kind  string
	owner types.NamespacedName
	name  string // lowercased; "*." prefix for wildcards
	host  *host
}

func (b *builder) problem(kind string, owner types.NamespacedName, format string, args ...any) {
	b.problems = append(b.problems, Problem{Kind: kind, Object: owner, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) revision(key types.NamespacedName) *Revision {
	if r := b.cache[key]; r != nil {
		return r
	}
	r := new(Revision)
	if s, ok := b.settings[key]; ok {
		*r = s
	} else {
		*r = b.revisionSettings(RevisionInput{Key: key})
	}
	b.cache[key] = r
	return r
}

// revisionSettings applies the defaults to one revision's settings. An
// unknown protocol is reported and taken as HTTP/1.1.
func (b *builder) revisionSettings(in RevisionInput) Revision {
	t := in.TimeoutSeconds
	if t <= 0 {
		t = DefaultTimeoutSeconds
	}
	p := in.Protocol
	switch p {
	case ProtocolHTTP1, ProtocolH2C:
	case "":
		p = ProtocolHTTP1
	default:
		b.problem("Revision", in.Key, "unknown protocol %q, using %q", p, ProtocolHTTP1)
		p = ProtocolHTTP1
	}
	return Revision{Key: in.Key, Timeout: time.Duration(t) * time.Second, Protocol: p}
}

// claim records a host unless it is taken or the owner's namespace may not
// claim it (hosts.Refuse).
func (b *builder) claim(c claim) {
	if why := hosts.Refuse(c.name, c.owner.Namespace, b.domain); why != "" {
		b.problem(c.kind, c.owner, "%s", why)
		return
	}
	m, key := b.exact, c.name
	if suffix, ok := strings.CutPrefix(c.name, hosts.WildcardPrefix); ok {
		m, key = b.wild, suffix
	}
	if _, taken := m[key]; taken {
		b.problem(c.kind, c.owner, "host %q is already claimed", c.name)
		return
	}
	m[key] = c.host
	for _, ru := range c.host.rules {
		for _, r := range ru.split.revs {
			b.revisions[r.Key] = r
		}
	}
}

func (b *builder) addFunction(fn FunctionInput) {
	owner := types.NamespacedName{Namespace: fn.Namespace, Name: fn.Name}
	if fn.LatestReadyRevision == "" || b.domain == "" {
		return
	}
	rev := b.revision(types.NamespacedName{Namespace: fn.Namespace, Name: fn.LatestReadyRevision})
	h := &host{rules: []*rule{{split: split{revs: []*Revision{rev}, cum: []uint32{100}}}}}
	name := hosts.Function(fn.Name, fn.Namespace, b.domain)
	b.claim(claim{kind: "Function", owner: owner, name: name, host: h})
}

// addRoute claims the route's hosts and appends the claims of its tag hosts,
// which come after every other claim, to tagClaims.
func (b *builder) addRoute(tagClaims []claim, rt RouteInput) []claim {
	owner := types.NamespacedName{Namespace: rt.Namespace, Name: rt.Name}
	var rules []parsedRule
	for i, ri := range rt.Rules {
		pr, err := b.parseRule(ri, &RuleRef{Route: owner, Index: i})
		if err != nil {
			b.problem("Route", owner, "rule %d: %v", i, err)
			continue
		}
		rules = append(rules, pr)
	}
	if len(rules) == 0 {
		b.problem("Route", owner, "no valid rule")
		return tagClaims
	}
	h := &host{rules: orderRules(rules, "")}
	tags := tagsOf(rules)
	for _, raw := range rt.Hosts {
		name, err := hosts.Parse(raw)
		if err != nil {
			b.problem("Route", owner, "%v", err)
			continue
		}
		b.claim(claim{kind: "Route", owner: owner, name: name, host: h})
		if hosts.IsWildcard(name) {
			continue
		}
		for _, tag := range tags {
			th := &host{rules: orderRules(rules, tag)}
			tagClaims = append(tagClaims, claim{kind: "Route", owner: owner, name: hosts.Tag(tag, name), host: th})
		}
	}
	return tagClaims
}
