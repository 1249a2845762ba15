package routing

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/cors"
)

func nn(ns, name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }

func to(ns, name string, pct int) []TrafficInput {
	return []TrafficInput{{Revision: nn(ns, name), Percent: pct}}
}

// fixed is a rand.Source returning one value.
type fixed uint64

func (f fixed) Uint64() uint64 { return uint64(f) }

func testInput() Input {
	return Input{
		Domain:    "example.com",
		Revisions: []RevisionInput{{Key: nn("team", "hello-1"), TimeoutSeconds: 10}},
		Functions: []FunctionInput{
			{Namespace: "team", Name: "hello", LatestReadyRevision: "hello-1"},
			{Namespace: "team", Name: "notready"},
		},
		Routes: []RouteInput{{
			Namespace: "team", Name: "api",
			Hosts: []string{"API.shop.io", "*.shop.io", "*.eu.shop.io"},
			Rules: []RuleInput{
				{Match: MatchInput{Path: "/"}, Traffic: to("team", "root", 100)},
				{Match: MatchInput{Path: "/v1/", Methods: []string{"get", "POST"}}, Traffic: to("team", "v1", 100)},
				{Match: MatchInput{Type: PathExact, Path: "/v1/admin"}, Traffic: to("team", "admin", 100)},
				{Match: MatchInput{Path: "/v1/users", Methods: []string{"DELETE"}}, Traffic: to("team", "users", 100)},
				{Match: MatchInput{Path: "/v2", Methods: []string{"PUT", "PURGE"}}, Traffic: to("team", "v2", 100)},
			},
		}, {
			Namespace: "team", Name: "only",
			Hosts: []string{"only.shop.io"},
			Rules: []RuleInput{{Match: MatchInput{Type: PathExact, Path: "/x"}, Traffic: to("team", "x", 100)}},
		}},
	}
}

func TestLookup(t *testing.T) {
	tbl, problems := Build(testInput())
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	tests := []struct {
		name, host, path, method string
		kind                     Kind
		rev                      string
		allow                    string
	}{
		{"default host", "hello.team.example.com", "/anything", "PATCH", Found, "hello-1", ""},
		{"default host with port and case", "Hello.Team.Example.com:8080", "/", "GET", Found, "hello-1", ""},
		{"trailing dot", "hello.team.example.com.", "/", "GET", Found, "hello-1", ""},
		{"function without ready revision", "notready.team.example.com", "/", "GET", MissHost, "", ""},
		{"unknown host", "nope.example.com", "/", "GET", MissHost, "", ""},
		{"empty host", "", "/", "GET", MissHost, "", ""},
		{"ipv6 literal", "[::1]:80", "/", "GET", MissHost, "", ""},
		{"root prefix", "api.shop.io", "/", "GET", Found, "root", ""},
		{"longest prefix", "api.shop.io", "/v1/x", "GET", Found, "v1", ""},
		{"prefix equals path", "api.shop.io", "/v1", "POST", Found, "v1", ""},
		{"prefix is segment-wise", "api.shop.io", "/v1x", "GET", Found, "root", ""},
		{"method falls back to shorter prefix", "api.shop.io", "/v1/x", "PUT", Found, "root", ""},
		{"GET implies HEAD", "api.shop.io", "/v1/x", "HEAD", Found, "v1", ""},
		{"exact beats prefix", "api.shop.io", "/v1/admin", "GET", Found, "admin", ""},
		{"exact is exact", "api.shop.io", "/v1/admin/", "GET", Found, "v1", ""},
		{"longer prefix with method", "api.shop.io", "/v1/users/7", "DELETE", Found, "users", ""},
		{"custom method", "api.shop.io", "/v2", "PURGE", Found, "v2", ""},
		{"wildcard one label", "x.shop.io", "/v1/a", "GET", Found, "v1", ""},
		{"wildcard two labels", "a.b.shop.io", "/", "GET", Found, "root", ""},
		{"wildcard needs a label", "shop.io", "/", "GET", MissHost, "", ""},
		{"longer wildcard suffix", "x.eu.shop.io", "/", "GET", Found, "root", ""},
		{"path miss", "only.shop.io", "/y", "GET", MissPath, "", ""},
		{"exact path hit any method", "only.shop.io", "/x", "DELETE", Found, "x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tbl.Lookup(tc.host, tc.path, tc.method, fixed(0))
			if res.Kind != tc.kind {
				t.Fatalf("kind = %v, want %v", res.Kind, tc.kind)
			}
			if tc.kind == Found && res.Revision.Key.Name != tc.rev {
				t.Fatalf("revision = %v, want %s", res.Revision.Key, tc.rev)
			}
			if got := res.Allow(); got != tc.allow {
				t.Fatalf("allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestLookupMethodMiss(t *testing.T) {
	in := Input{Routes: []RouteInput{{
		Namespace: "a", Name: "r", Hosts: []string{"h.io"},
		Rules: []RuleInput{
			{Match: MatchInput{Path: "/api", Methods: []string{"GET"}}, Traffic: to("a", "r1", 100)},
			{Match: MatchInput{Path: "/api/x", Methods: []string{"POST", "PURGE"}}, Traffic: to("a", "r2", 100)},
			{Match: MatchInput{Type: PathExact, Path: "/other", Methods: []string{"PUT"}}, Traffic: to("a", "r3", 100)},
		},
	}}}
	tbl, problems := Build(in)
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	tests := []struct{ path, method, allow string }{
		{"/api/x/1", "DELETE", "GET, HEAD, POST, PURGE"},
		{"/api", "DELETE", "GET, HEAD"},
		{"/other", "GET", "PUT"},
	}
	for _, tc := range tests {
		res := tbl.Lookup("h.io", tc.path, tc.method, nil)
		if res.Kind != MissMethod || res.Allow() != tc.allow {
			t.Errorf("%s %s: kind %v allow %q, want MissMethod %q", tc.method, tc.path, res.Kind, res.Allow(), tc.allow)
		}
	}
}

func TestTimeouts(t *testing.T) {
	tbl, _ := Build(testInput())
	if got := tbl.Lookup("hello.team.example.com", "/", "GET", nil).Revision.Timeout; got != 10*time.Second {
		t.Errorf("timeout = %v, want 10s", got)
	}
	if got := tbl.Lookup("api.shop.io", "/", "GET", nil).Revision.Timeout; got != DefaultTimeoutSeconds*time.Second {
		t.Errorf("default timeout = %v", got)
	}
	if n := len(tbl.Revisions()); n != 7 {
		t.Errorf("revisions = %d, want 7", n)
	}
}

func TestWeightedSplit(t *testing.T) {
	in := Input{Routes: []RouteInput{{
		Namespace: "a", Name: "r", Hosts: []string{"h.io"},
		Rules: []RuleInput{{Traffic: []TrafficInput{
			{Revision: nn("a", "blue"), Percent: 20},
			{Revision: nn("a", "zero"), Percent: 0, Tag: "Canary"},
			{Revision: nn("a", "green"), Percent: 80, Tag: "green"},
		}}},
	}}}
	tbl, problems := Build(in)
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	// Deterministic boundaries.
	for v, want := range map[uint64]string{0: "blue", 19: "blue", 20: "green", 99: "green", 119: "blue"} {
		if got := tbl.Lookup("h.io", "/", "GET", fixed(v)).Revision.Key.Name; got != want {
			t.Errorf("draw %d: %s, want %s", v, got, want)
		}
	}
	// Proportions with a seeded generator.
	src := rand.NewPCG(1, 2)
	counts := map[string]int{}
	for range 10000 {
		counts[tbl.Lookup("h.io", "/", "GET", src).Revision.Key.Name]++
	}
	if counts["zero"] != 0 || counts["blue"] < 1800 || counts["blue"] > 2200 {
		t.Errorf("split counts %v, want about 2000/8000", counts)
	}
	// Tags route 100% to their entry, even at 0%.
	for host, want := range map[string]string{"canary-h.io": "zero", "green-h.io": "green"} {
		for v := range uint64(100) {
			if got := tbl.Lookup(host, "/", "GET", fixed(v)); got.Kind != Found || got.Revision.Key.Name != want {
				t.Fatalf("%s: %v %v, want %s", host, got.Kind, got.Revision, want)
			}
		}
	}
}

func TestTagsKeepRulesWithTheTag(t *testing.T) {
	in := Input{Routes: []RouteInput{{
		Namespace: "a", Name: "r", Hosts: []string{"h.io", "*.w.io"},
		Rules: []RuleInput{
			{Match: MatchInput{Path: "/a", Methods: []string{"POST"}}, Traffic: []TrafficInput{{Revision: nn("a", "r1"), Percent: 100, Tag: "t"}}},
			{Match: MatchInput{Path: "/b"}, Traffic: to("a", "r2", 100)},
		},
	}}}
	tbl, _ := Build(in)
	if res := tbl.Lookup("t-h.io", "/a/1", "POST", nil); res.Kind != Found || res.Revision.Key.Name != "r1" {
		t.Errorf("tag host /a: %v", res.Kind)
	}
	if res := tbl.Lookup("t-h.io", "/a/1", "GET", nil); res.Kind != MissMethod || res.Allow() != "POST" {
		t.Errorf("tag host keeps methods: %v %q", res.Kind, res.Allow())
	}
	if res := tbl.Lookup("t-h.io", "/b", "GET", nil); res.Kind != MissPath {
		t.Errorf("tag host without the tag's rule: %v", res.Kind)
	}
	if res := tbl.Lookup("t-x.w.io", "/b", "GET", nil); res.Kind != Found || res.Revision.Key.Name != "r2" {
		t.Errorf("wildcard host gets no tag host but still matches: %v", res.Kind)
	}
}

func TestBuildProblems(t *testing.T) {
	in := Input{
		Domain:    "example.com",
		Functions: []FunctionInput{{Namespace: "a", Name: "f", LatestReadyRevision: "f-1"}},
		Routes: []RouteInput{
			{Namespace: "b", Name: "steal", Hosts: []string{"f.a.example.com", "*.a.example.com", "mine.b.example.com"},
				Rules: []RuleInput{{Traffic: to("b", "s", 100)}}},
			{Namespace: "a", Name: "override", Hosts: []string{"f.a.example.com"},
				Rules: []RuleInput{{Traffic: to("a", "o", 100)}}},
			{Namespace: "c", Name: "bad", Hosts: []string{"ok.io", "bad host", "*.*.io", ""},
				Rules: []RuleInput{
					{Traffic: to("c", "x", 50)},
					{Match: MatchInput{Path: "nope"}, Traffic: to("c", "x", 100)},
					{Match: MatchInput{Type: "Regex"}, Traffic: to("c", "x", 100)},
					{Traffic: nil},
					{Match: MatchInput{Path: "/ok"}, Traffic: to("c", "x", 100)},
				}},
			{Namespace: "d", Name: "dup", Hosts: []string{"ok.io"}, Rules: []RuleInput{{Traffic: to("d", "y", 100)}}},
			{Namespace: "e", Name: "empty", Hosts: []string{"e.io"}, Rules: []RuleInput{{Traffic: to("e", "y", 99)}}},
			{Namespace: "f", Name: "all", Hosts: []string{"*.example.com", "*.COM."}, Rules: []RuleInput{{Traffic: to("f", "z", 100)}}},
		},
	}
	tbl, problems := Build(in)
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`Route b/steal: host "f.a.example.com" belongs to namespace "a"`,
		`Route b/steal: host "*.a.example.com" belongs to namespace "a"`,
		`Function a/f: host "f.a.example.com" is already claimed`,
		`Route c/bad: invalid host "bad host"`,
		`Route c/bad: invalid host "*.*.io"`,
		`Route c/bad: rule 0: percents sum to 50, not 100`,
		`Route c/bad: rule 1: path "nope" does not start with /`,
		`Route c/bad: rule 2: unknown path type "Regex"`,
		`Route c/bad: rule 3: no traffic`,
		`Route d/dup: host "ok.io" is already claimed`,
		`Route e/empty: no valid rule`,
		`Route f/all: host "*.example.com" would cover every namespace's hosts under domain "example.com"`,
		`Route f/all: host "*.com" would cover every namespace's hosts under domain "example.com"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in\n%s", want, all)
		}
	}
	if got := tbl.Lookup("f.a.example.com", "/", "GET", nil).Revision.Key.Name; got != "o" {
		t.Errorf("same-namespace route overrides default host: got %s", got)
	}
	if got := tbl.Lookup("mine.b.example.com", "/", "GET", nil).Revision.Key.Name; got != "s" {
		t.Errorf("own namespace host: got %s", got)
	}
	if got := tbl.Lookup("ok.io", "/ok", "GET", nil).Revision.Key.Name; got != "x" {
		t.Errorf("valid rule kept: got %s", got)
	}
	if res := tbl.Lookup("unserved.b.example.com", "/", "GET", nil); res.Kind != MissHost {
		t.Errorf("a wildcard over the whole domain caught another namespace's host: %v", res.Kind)
	}
	if _, ok := tbl.Revisions()[nn("d", "y")]; ok {
		t.Errorf("revision of a refused claim is listed")
	}
}

func TestHolder(t *testing.T) {
	var h Holder
	if h.Loaded() || h.Load().Lookup("x", "/", "GET", nil).Kind != MissHost {
		t.Fatal("zero holder must hold an empty table")
	}
	tbl, _ := Build(testInput())
	h.Store(tbl)
	if !h.Loaded() || h.Load() != tbl {
		t.Fatal("store")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tbl, _ := Build(testInput())
	src := rand.NewPCG(1, 1)
	cases := [][3]string{
		{"hello.team.example.com:80", "/x", "GET"},
		{"x.eu.shop.io", "/v1/users/1", "DELETE"},
		{"only.shop.io", "/nope", "GET"},
		{"nope.io", "/", "GET"},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, func() { tbl.Lookup(c[0], c[1], c[2], src) }); n != 0 {
			t.Errorf("%v: %v allocs", c, n)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	in := Input{Domain: "example.com"}
	for i := range 1000 {
		ns := "ns" + string(rune('a'+i%26))
		name := "fn" + strings.Repeat("x", i%7) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
		in.Functions = append(in.Functions, FunctionInput{Namespace: ns, Name: name, LatestReadyRevision: name + "-1"})
	}
	tbl, _ := Build(in)
	b.ReportAllocs()
	for b.Loop() {
		tbl.Lookup("fnab.nsb.example.com", "/hello", "GET", nil)
	}
}

// TestLookupReturnsTheRulesCORSPolicy: a lookup returns the matched rule's
// policy and name, on the Route's host and on its tag host alike, and no
// policy for a rule without one.
func TestLookupReturnsTheRulesCORSPolicy(t *testing.T) {
	policy := &cors.Config{AllowOrigins: []string{"https://app.test"}}
	tbl, problems := Build(Input{Domain: "example.com", Functions: []FunctionInput{{Namespace: "team", Name: "hello", LatestReadyRevision: "hello-1"}}, Routes: []RouteInput{{
		Namespace: "team", Name: "api", Hosts: []string{"api.shop.io"},
		Rules: []RuleInput{
			{Match: MatchInput{Path: "/web"}, Traffic: []TrafficInput{{Revision: nn("team", "web"), Percent: 100, Tag: "canary"}}, CORS: policy},
			{Match: MatchInput{Path: "/"}, Traffic: to("team", "root", 100)},
		},
	}}})
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	tests := []struct {
		host, path string
		policy     bool
		rule       int
	}{
		{"api.shop.io", "/web/x", true, 0},
		{"canary-api.shop.io", "/web/x", true, 0},
		{"api.shop.io", "/other", false, 1},
	}
	for _, tc := range tests {
		res := tbl.Lookup(tc.host, tc.path, "GET", nil)
		if res.Kind != Found || (res.CORS != nil) != tc.policy || tc.policy && !res.CORS.Allows("https://app.test") {
			t.Errorf("%s%s: %v CORS %+v, want Found with a policy: %v", tc.host, tc.path, res.Kind, res.CORS, tc.policy)
		}
		if want := (RuleRef{Route: nn("team", "api"), Index: tc.rule}); res.Rule == nil || *res.Rule != want {
			t.Errorf("%s%s: rule %+v, want %+v", tc.host, tc.path, res.Rule, want)
		}
	}
	if res := tbl.Lookup("hello.team.example.com", "/", "GET", nil); res.Kind != Found || res.Rule != nil || res.CORS != nil {
		t.Errorf("a Function's default host: %v rule %+v CORS %+v, want Found without either", res.Kind, res.Rule, res.CORS)
	}
}
