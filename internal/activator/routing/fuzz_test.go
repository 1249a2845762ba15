package routing

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Vocabularies keep fuzzed inputs small enough to hit each other.
var (
	fuzzHosts   = []string{"a.io", "b.a.io", "*.a.io", "*.b.a.io", "c.io", "*.io", "f.ns.d.io", "x.ns.d.io", "*.ns.d.io", "t-a.io"}
	fuzzPaths   = []string{"/", "/a", "/a/", "/a/b", "/ab", "/b", ""}
	fuzzMethods = []string{"GET", "POST", "HEAD", "PURGE", "DELETE"}
	fuzzNS      = []string{"ns", "other"}
)

// genInput derives a small Input from a seed.
func genInput(seed uint64) Input {
	r := rand.New(rand.NewPCG(seed, seed>>7))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	in := Input{Domain: "d.io"}
	for i := range r.IntN(3) {
		in.Functions = append(in.Functions, FunctionInput{Namespace: pick(fuzzNS), Name: []string{"f", "x", "g"}[i], LatestReadyRevision: "fr"})
	}
	for i := range 1 + r.IntN(4) {
		rt := RouteInput{Namespace: pick(fuzzNS), Name: string(rune('a' + i))}
		for range 1 + r.IntN(3) {
			rt.Hosts = append(rt.Hosts, pick(fuzzHosts))
		}
		for range 1 + r.IntN(4) {
			ru := RuleInput{Match: MatchInput{Path: pick(fuzzPaths)}}
			if r.IntN(3) == 0 {
				ru.Match.Type = PathExact
			}
			for range r.IntN(3) {
				ru.Match.Methods = append(ru.Match.Methods, pick(fuzzMethods))
			}
			left := 100
			for k := range 1 + r.IntN(3) {
				p := left
				if r.IntN(2) == 0 {
					p = r.IntN(left + 1)
				}
				left -= p
				tag := ""
				if r.IntN(3) == 0 {
					tag = []string{"t", "u"}[r.IntN(2)]
				}
				ru.Traffic = append(ru.Traffic, TrafficInput{Revision: nn(rt.Namespace, "r"+string(rune('0'+k))), Percent: p, Tag: tag})
			}
			if left > 0 && r.IntN(4) != 0 {
				ru.Traffic[0].Percent += left
			}
			rt.Rules = append(rt.Rules, ru)
		}
		in.Routes = append(in.Routes, rt)
	}
	return in
}

// refRule and refHost are the slow reference's model.
type refRule struct {
	index   int
	exact   bool
	path    string
	methods []string
	entries []TrafficInput
}

type refHost struct {
	pattern string
	rules   []refRule
}

// refBuild applies the documented claim order naively.
func refBuild(in Input) []refHost {
	var claims []struct {
		ns   string
		host refHost
	}
	routes := slices.Clone(in.Routes)
	slices.SortStableFunc(routes, func(a, b RouteInput) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	type tagClaim struct {
		ns   string
		host refHost
	}
	var tags []tagClaim
	for _, rt := range routes {
		var rules []refRule
		for i, ru := range rt.Rules {
			sum, ok := 0, len(ru.Traffic) > 0
			for _, t := range ru.Traffic {
				sum += t.Percent
			}
			p := ru.Match.Path
			if p == "" {
				p = "/"
			}
			if !ok || sum != 100 || p[0] != '/' {
				continue
			}
			rules = append(rules, refRule{index: i, exact: ru.Match.Type == PathExact, path: p, methods: ru.Match.Methods, entries: ru.Traffic})
		}
		if len(rules) == 0 {
			continue
		}
		for _, h := range rt.Hosts {
			claims = append(claims, struct {
				ns   string
				host refHost
			}{rt.Namespace, refHost{h, rules}})
			if strings.HasPrefix(h, "*.") {
				continue
			}
			var seen []string
			for _, ru := range rules {
				for _, e := range ru.entries {
					if e.Tag == "" || slices.Contains(seen, e.Tag) {
						continue
					}
					seen = append(seen, e.Tag)
					var trules []refRule
					for _, ru2 := range rules {
						for _, e2 := range ru2.entries {
							if e2.Tag == e.Tag {
								c := ru2
								c.entries = []TrafficInput{{Revision: e2.Revision, Percent: 100}}
								trules = append(trules, c)
								break
							}
						}
					}
					tags = append(tags, tagClaim{rt.Namespace, refHost{e.Tag + "-" + h, trules}})
				}
			}
		}
	}
	fns := slices.Clone(in.Functions)
	slices.SortStableFunc(fns, func(a, b FunctionInput) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	for _, f := range fns {
		claims = append(claims, struct {
			ns   string
			host refHost
		}{f.Namespace, refHost{f.Name + "." + f.Namespace + "." + in.Domain, []refRule{{path: "/", entries: []TrafficInput{{Revision: nn(f.Namespace, f.LatestReadyRevision), Percent: 100}}}}}})
	}
	for _, t := range tags {
		claims = append(claims, struct {
			ns   string
			host refHost
		}{t.ns, t.host})
	}
	var out []refHost
	for _, c := range claims {
		name := c.host.pattern
		if strings.HasSuffix(name, ".ns.d.io") && c.ns != "ns" || strings.HasSuffix(name, ".other.d.io") && c.ns != "other" ||
			name == "*.io" || name == "*.d.io" { // wildcards covering the whole domain "d.io"
			continue
		}
		if slices.ContainsFunc(out, func(h refHost) bool { return h.pattern == name }) {
			continue
		}
		out = append(out, c.host)
	}
	return out
}

func refMatchPath(ru refRule, p string) bool {
	if ru.exact {
		return p == ru.path
	}
	pre := strings.TrimRight(ru.path, "/")
	return pre == "" || p == pre || strings.HasPrefix(p, pre+"/")
}

func refAllows(ru refRule, m string) bool {
	if len(ru.methods) == 0 {
		return true
	}
	for _, x := range ru.methods {
		if x == m || x == "GET" && m == "HEAD" {
			return true
		}
	}
	return false
}

// refLookup returns the kind, the revision name ("" on a miss) and the
// allowed methods.
func refLookup(hosts []refHost, host, path, method string, draw uint64) (Kind, string, []string) {
	host = strings.ToLower(host)
	var h *refHost
	for i := range hosts {
		if hosts[i].pattern == host {
			h = &hosts[i]
		}
	}
	if h == nil {
		best := -1
		for i := range hosts {
			suf, ok := strings.CutPrefix(hosts[i].pattern, "*.")
			if ok && strings.HasSuffix(host, "."+suf) && len(host) > len(suf)+1 && (best < 0 || len(suf)+2 > len(hosts[best].pattern)) {
				best = i
			}
		}
		if best < 0 {
			return MissHost, "", nil
		}
		h = &hosts[best]
	}
	// Precedence: exact first, then longest prefix, then written order.
	rules := slices.Clone(h.rules)
	slices.SortStableFunc(rules, func(a, b refRule) int {
		if a.exact != b.exact {
			if a.exact {
				return -1
			}
			return 1
		}
		if !a.exact {
			if d := len(strings.TrimRight(b.path, "/")) - len(strings.TrimRight(a.path, "/")); d != 0 {
				return d
			}
		}
		return a.index - b.index
	})
	kind := MissPath
	var allow []string
	for _, ru := range rules {
		if !refMatchPath(ru, path) {
			continue
		}
		if refAllows(ru, method) {
			var nonzero []TrafficInput
			for _, e := range ru.entries {
				if e.Percent > 0 {
					nonzero = append(nonzero, e)
				}
			}
			if len(nonzero) == 1 {
				return Found, nonzero[0].Revision.Name, nil
			}
			v, acc := int(draw%100), 0
			for _, e := range nonzero {
				acc += e.Percent
				if v < acc {
					return Found, e.Revision.Name, nil
				}
			}
		}
		kind = MissMethod
		for _, m := range ru.methods {
			if !slices.Contains(allow, m) {
				allow = append(allow, m)
			}
			if m == "GET" && !slices.Contains(allow, "HEAD") {
				allow = append(allow, "HEAD")
			}
		}
	}
	slices.Sort(allow)
	return kind, "", allow
}

func FuzzLookup(f *testing.F) {
	f.Add(uint64(1), "a.io", "/a/b", "GET", uint64(3))
	f.Add(uint64(2), "X.B.A.IO:80", "/ab", "POST", uint64(50))
	f.Add(uint64(3), "t-a.io", "/", "HEAD", uint64(99))
	f.Add(uint64(4), "f.ns.d.io.", "/a/", "PURGE", uint64(0))
	f.Add(uint64(5), "[::1]:80", "", "", uint64(0))
	f.Fuzz(func(t *testing.T, seed uint64, host, path, method string, draw uint64) {
		in := genInput(seed)
		tbl, _ := Build(in)
		res := tbl.Lookup(host, path, method, fixed(draw))
		// Compare on hosts the reference understands: plain lowercase names
		// with an optional port.
		name := host
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name = name[:i]
		}
		name = strings.TrimSuffix(name, ".")
		if strings.HasPrefix(host, "[") || name == "" || len(name) > 253 {
			if res.Kind != MissHost {
				t.Fatalf("host %q: kind %v, want MissHost", host, res.Kind)
			}
			return
		}
		kind, rev, allow := refLookup(refBuild(in), name, path, method, draw)
		if res.Kind != kind {
			t.Fatalf("seed %d %q %q %q: kind %v, reference %v", seed, host, path, method, res.Kind, kind)
		}
		if kind == Found && res.Revision.Key.Name != rev {
			t.Fatalf("seed %d %q %q %q draw %d: revision %s, reference %s", seed, host, path, method, draw, res.Revision.Key.Name, rev)
		}
		if kind == MissMethod && res.Allow() != strings.Join(allow, ", ") {
			t.Fatalf("seed %d %q %q %q: allow %q, reference %q", seed, host, path, method, res.Allow(), allow)
		}
	})
}

// TestLookupMatchesReference runs the fuzz comparison over many generated
// inputs and vocabulary requests, so plain `go test` covers it too.
func TestLookupMatchesReference(t *testing.T) {
	for seed := range uint64(300) {
		in := genInput(seed)
		tbl, _ := Build(in)
		ref := refBuild(in)
		for _, h := range append(slices.Clone(fuzzHosts), "q.a.io", "q.b.a.io", "u-a.io", "t-c.io", "g.other.d.io", "f.other.d.io") {
			h = strings.TrimPrefix(h, "*.")
			for _, p := range fuzzPaths {
				for _, m := range fuzzMethods {
					for _, draw := range []uint64{0, 33, 67, 99} {
						res := tbl.Lookup(h, p, m, fixed(draw))
						kind, rev, allow := refLookup(ref, h, p, m, draw)
						if res.Kind != kind || kind == Found && res.Revision.Key.Name != rev || kind == MissMethod && res.Allow() != strings.Join(allow, ", ") {
							t.Fatalf("seed %d %s %s %s %d: got %v %v %q, reference %v %s %v", seed, h, p, m, draw, res.Kind, res.Revision, res.Allow(), kind, rev, allow)
						}
					}
				}
			}
		}
	}
}
