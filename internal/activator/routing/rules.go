package routing

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/reqlog"
)

// parsedRule is a valid rule before ordering.
type parsedRule struct {
	exact   bool
	path    string
	methods methodSet
	revs    []*Revision
	percent []int
	tags    []string
	cors    *cors.Policy
	apiKeys *apikey.Policy
	limits  *ratelimit.Policy
	ref     *RuleRef
	// perClient counts the rule's requests per client.
	perClient bool
	logs      *reqlog.Policy
}

func (b *builder) parseRule(ri RuleInput, ref *RuleRef) (parsedRule, error) {
	pr := parsedRule{ref: ref, perClient: ri.UsagePerClient}
	if ri.CORS != nil {
		pr.cors = cors.New(*ri.CORS)
	}
	if ri.APIKeys != nil {
		var ambiguous []string
		if pr.apiKeys, ambiguous = apikey.New(*ri.APIKeys); len(ambiguous) > 0 {
			b.problem("Route", ref.Route, "rule %d: clients %v share a secret: only Basic credentials name them", ref.Index, ambiguous)
		}
	}
	if ri.RateLimit != nil {
		pr.limits = ratelimit.NewPolicy(*ri.RateLimit)
	}
	if ri.Logs != nil {
		pr.logs = reqlog.NewPolicy(*ri.Logs)
	}
	switch ri.Match.Type {
	case PathExact:
		pr.exact = true
	case PathPrefix, "":
	default:
		return pr, fmt.Errorf("unknown path type %q", ri.Match.Type)
	}
	p := ri.Match.Path
	if p == "" {
		p = "/"
	}
	if p[0] != '/' {
		return pr, fmt.Errorf("path %q does not start with /", p)
	}
	if !pr.exact {
		p = strings.TrimRight(p, "/")
	}
	pr.path = p
	pr.methods = newMethodSet(ri.Match.Methods)
	if len(ri.Traffic) == 0 {
		return pr, errors.New("no traffic")
	}
	sum := 0
	for _, t := range ri.Traffic {
		if t.Percent < 0 || t.Percent > 100 {
			return pr, fmt.Errorf("percent %d out of range", t.Percent)
		}
		if t.Revision.Name == "" || t.Revision.Namespace == "" {
			return pr, errors.New("traffic entry without revision")
		}
		sum += t.Percent
		pr.revs = append(pr.revs, b.revision(t.Revision))
		pr.percent = append(pr.percent, t.Percent)
		pr.tags = append(pr.tags, strings.ToLower(t.Tag))
	}
	if sum != 100 {
		return pr, fmt.Errorf("percents sum to %d, not 100", sum)
	}
	return pr, nil
}

// orderRules returns the rules in precedence order. With tag set, only the
// rules with that tag are kept, each sending 100% to the tagged revision.
func orderRules(prs []parsedRule, tag string) []*rule {
	var out []*rule
	for _, pr := range prs {
		r := &rule{exact: pr.exact, path: pr.path, methods: pr.methods, cors: pr.cors, apiKeys: pr.apiKeys, limits: pr.limits, ref: pr.ref, perClient: pr.perClient, logs: pr.logs}
		if tag == "" {
			for j, rev := range pr.revs {
				if pr.percent[j] == 0 {
					continue
				}
				r.split.revs = append(r.split.revs, rev)
				prev := uint32(0)
				if n := len(r.split.cum); n > 0 {
					prev = r.split.cum[n-1]
				}
				r.split.cum = append(r.split.cum, prev+uint32(pr.percent[j]))
			}
		} else {
			j := slices.Index(pr.tags, tag)
			if j < 0 {
				continue
			}
			r.split = split{revs: []*Revision{pr.revs[j]}, cum: []uint32{100}}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b *rule) int {
		if a.exact != b.exact {
			if a.exact {
				return -1
			}
			return 1
		}
		if a.exact {
			return 0
		}
		return len(b.path) - len(a.path)
	})
	return out
}

// tagsOf lists the distinct non-empty tags of the rules, in order.
func tagsOf(prs []parsedRule) []string {
	var tags []string
	for _, pr := range prs {
		for _, t := range pr.tags {
			if t != "" && !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	return tags
}
