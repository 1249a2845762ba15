package resolve

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
)

const domain = "wake.example"

func TestClaimedHosts(t *testing.T) {
	rt := route("team-a", "api", 0, "api.example.org", "*.example.org", "API.example.org", "www.example.org")
	rt.Spec.Rules = append(rt.Spec.Rules, servingv1alpha1.RouteRule{Traffic: []servingv1alpha1.TrafficTarget{
		{FunctionName: "hello", Percent: 50, Tag: "canary"},
		{FunctionName: "other", Percent: 50, Tag: "beta"},
	}}, servingv1alpha1.RouteRule{Traffic: []servingv1alpha1.TrafficTarget{
		{FunctionName: "hello", Percent: 100, Tag: "canary"},
	}})
	want := []string{
		"api.example.org", "*.example.org", "www.example.org",
		"canary-api.example.org", "beta-api.example.org", "canary-www.example.org", "beta-www.example.org",
	}
	if diff := cmp.Diff(want, ClaimedHosts(&rt)); diff != "" {
		t.Errorf("ClaimedHosts (-want +got):\n%s", diff)
	}
}

func TestOlder(t *testing.T) {
	a1 := route("a", "x", 0)
	a2 := route("a", "x", 1)
	b := route("b", "a", 0)
	ay := route("a", "y", 0)
	for _, tt := range []struct {
		name string
		a, b servingv1alpha1.Route
		want bool
	}{
		{"earlier creation wins", a1, a2, true},
		{"later creation loses", a2, a1, false},
		{"tie: smaller namespace wins", a1, b, true},
		{"tie: larger namespace loses", b, a1, false},
		{"tie: smaller name wins", a1, ay, true},
		{"not older than itself", a1, a1, false},
	} {
		if got := Older(&tt.a, &tt.b); got != tt.want {
			t.Errorf("%s: Older = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestArbitrateHosts(t *testing.T) {
	deleting := route("team-a", "old", 0, "api.example.org")
	deleting.DeletionTimestamp = &metav1.Time{Time: fixture.Epoch}
	deleting.Finalizers = []string{"example.org/hold"}
	key := func(ns, name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }

	tests := []struct {
		name   string
		rt     servingv1alpha1.Route
		others []servingv1alpha1.Route
		policy Policy
		want   []Refusal
	}{{
		name:   "alone",
		rt:     route("team-a", "api", 5, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "api", 5, "api.example.org")},
	}, {
		name:   "oldest wins across namespaces",
		rt:     route("team-a", "api", 5, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-z", "older", 1, "api.example.org"), route("team-y", "oldest", 0, "api.example.org")},
		want:   []Refusal{{Host: "api.example.org", Holder: key("team-y", "oldest"), Message: `host "api.example.org" is held by Route team-y/oldest`}},
	}, {
		name:   "the oldest keeps its host",
		rt:     route("team-y", "oldest", 0, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "api", 5, "api.example.org"), route("team-z", "older", 1, "api.example.org")},
	}, {
		name:   "same age: the smaller namespace wins",
		rt:     route("team-b", "api", 0, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "zzz", 0, "api.example.org")},
		want:   []Refusal{{Host: "api.example.org", Holder: key("team-a", "zzz"), Message: `host "api.example.org" is held by Route team-a/zzz`}},
	}, {
		name:   "same age and namespace: the smaller name wins",
		rt:     route("team-a", "b", 0, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "a", 0, "api.example.org")},
		want:   []Refusal{{Host: "api.example.org", Holder: key("team-a", "a"), Message: `host "api.example.org" is held by Route team-a/a`}},
	}, {
		name:   "same age: the larger name loses to nobody smaller",
		rt:     route("team-a", "a", 0, "api.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "b", 0, "api.example.org")},
	}, {
		name: "another namespace's function host is refused",
		rt:   route("team-a", "steal", 0, "hello.team-b.wake.example", "*.team-b.wake.example", "api.example.org"),
		want: []Refusal{
			{Host: "hello.team-b.wake.example", Message: `host "hello.team-b.wake.example" belongs to namespace "team-b"`},
			{Host: "*.team-b.wake.example", Message: `host "*.team-b.wake.example" belongs to namespace "team-b"`},
		},
	}, {
		name: "own namespace's function host is allowed",
		rt:   route("team-b", "override", 3, "hello.team-b.wake.example"),
	}, {
		name:   "an older Route that may not claim a host does not hold it",
		rt:     route("team-b", "override", 3, "hello.team-b.wake.example"),
		others: []servingv1alpha1.Route{route("team-a", "steal", 0, "hello.team-b.wake.example")},
	}, {
		name: "a host the activator cannot parse is refused",
		rt:   route("team-a", "bad", 0, "a..example.org", "api.example.org"),
		want: []Refusal{{Host: "a..example.org", Message: `invalid host "a..example.org"`}},
	}, {
		name: "a wildcard over the whole domain is refused",
		rt:   route("team-a", "all", 0, "*.wake.example"),
		want: []Refusal{{Host: "*.wake.example", Message: `host "*.wake.example" would cover every namespace's hosts under domain "wake.example"`}},
	}, {
		name:   "a tag host conflicts with an older Route's host",
		rt:     withTag(route("team-a", "api", 5, "api.example.org"), "canary"),
		others: []servingv1alpha1.Route{route("team-b", "squatter", 0, "canary-api.example.org")},
		want:   []Refusal{{Host: "canary-api.example.org", Holder: key("team-b", "squatter"), Message: `host "canary-api.example.org" is held by Route team-b/squatter`}},
	}, {
		name:   "a host conflicts with an older Route's tag host",
		rt:     route("team-b", "late", 5, "canary-api.example.org"),
		others: []servingv1alpha1.Route{withTag(route("team-a", "api", 0, "api.example.org"), "canary")},
		want:   []Refusal{{Host: "canary-api.example.org", Holder: key("team-a", "api"), Message: `host "canary-api.example.org" is held by Route team-a/api`}},
	}, {
		name:   "wildcards conflict as exact strings",
		rt:     route("team-a", "wild", 5, "*.example.org"),
		others: []servingv1alpha1.Route{route("team-b", "wild", 0, "*.example.org")},
		want:   []Refusal{{Host: "*.example.org", Holder: key("team-b", "wild"), Message: `host "*.example.org" is held by Route team-b/wild`}},
	}, {
		name:   "an exact host does not conflict with a wildcard covering it",
		rt:     route("team-a", "exact", 5, "api.example.org", "*.api.example.org"),
		others: []servingv1alpha1.Route{route("team-b", "wild", 0, "*.example.org", "x.api.example.org")},
	}, {
		name:   "a Route being deleted holds nothing",
		rt:     route("team-a", "new", 5, "api.example.org"),
		others: []servingv1alpha1.Route{deleting},
	}, {
		name: "each host is decided on its own",
		rt:   route("team-a", "mid", 5, "one.example.org", "two.example.org"),
		others: []servingv1alpha1.Route{
			route("team-a", "old", 0, "one.example.org"),
			route("team-a", "young", 9, "two.example.org"),
		},
		want: []Refusal{{Host: "one.example.org", Holder: key("team-a", "old"), Message: `host "one.example.org" is held by Route team-a/old`}},
	}, {
		name:   "claims: an exact grant",
		rt:     route("team-a", "shop", 0, "shop.example.org"),
		policy: claims("team-a", "shop.example.org"),
	}, {
		name:   "claims: a wildcard grant covers hosts, tag hosts and wildcards under it",
		rt:     withTag(route("team-a", "shop", 0, "shop.example.org", "*.eu.example.org"), "beta"),
		policy: claims("team-a", "*.example.org"),
	}, {
		name:   "claims: an exact grant does not cover the tag host",
		rt:     withTag(route("team-a", "shop", 0, "shop.example.org"), "canary"),
		policy: claims("team-a", "shop.example.org"),
		want: []Refusal{{Host: "canary-shop.example.org", NotGranted: true,
			Message: `host "canary-shop.example.org" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`}},
	}, {
		name:   "claims: no grant",
		rt:     route("team-a", "shop", 0, "shop.example.org", "own.team-a.wake.example", "*.team-a.wake.example"),
		policy: claims("team-b", "shop.example.org"),
		want: []Refusal{{Host: "shop.example.org", NotGranted: true,
			Message: `host "shop.example.org" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`}},
	}, {
		name:   "claims: an older ungranted Route does not keep the granted one out",
		rt:     route("team-b", "shop", 5, "shop.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "squat", 0, "shop.example.org")},
		policy: claims("team-b", "shop.example.org"),
	}, {
		name:   "claims: the older ungranted Route is refused for the grant it lacks",
		rt:     route("team-a", "squat", 0, "shop.example.org"),
		others: []servingv1alpha1.Route{route("team-b", "shop", 5, "shop.example.org")},
		policy: claims("team-b", "shop.example.org"),
		want: []Refusal{{Host: "shop.example.org", NotGranted: true,
			Message: `host "shop.example.org" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`}},
	}, {
		name:   "claims: both granted, the oldest wins",
		rt:     route("team-b", "shop", 5, "shop.example.org"),
		others: []servingv1alpha1.Route{route("team-a", "shop", 0, "shop.example.org")},
		policy: Policy{Claims: true, Grants: map[string][]string{"team-a": {"shop.example.org"}, "team-b": {"*.example.org"}}},
		want:   []Refusal{{Host: "shop.example.org", Holder: key("team-a", "shop"), Message: `host "shop.example.org" is held by Route team-a/shop`}},
	}, {
		name:   "claims: a grant does not override another namespace's hosts",
		rt:     route("team-a", "steal", 0, "hello.team-b.wake.example"),
		policy: claims("team-a", "*.wake.example"),
		want:   []Refusal{{Host: "hello.team-b.wake.example", Message: `host "hello.team-b.wake.example" belongs to namespace "team-b"`}},
	}, {
		name:   "first-come ignores grants",
		rt:     route("team-a", "shop", 0, "shop.example.org"),
		policy: Policy{Grants: map[string][]string{"team-b": {"shop.example.org"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ArbitrateHosts(&tt.rt, tt.others, domain, tt.policy)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ArbitrateHosts (-want +got):\n%s", diff)
			}
		})
	}
}

// claims is the claims policy with one grant of domains to ns.
func claims(ns string, domains ...string) Policy {
	return Policy{Claims: true, Grants: map[string][]string{ns: domains}}
}

func TestMarkHosts(t *testing.T) {
	s := &servingv1alpha1.RouteStatus{}
	s.InitializeConditions()
	MarkHosts(s, []Refusal{{Message: "one"}, {Message: "two"}})
	c := s.GetCondition(servingv1alpha1.RouteConditionHostsClaimed)
	if !c.IsFalse() || c.Reason != servingv1alpha1.ReasonHostTaken || c.Message != "one; two" {
		t.Errorf("HostsClaimed = %+v, want False HostTaken \"one; two\"", c)
	}
	MarkHosts(s, []Refusal{{Message: "taken"}, {Message: "missing", NotGranted: true}})
	c = s.GetCondition(servingv1alpha1.RouteConditionHostsClaimed)
	if !c.IsFalse() || c.Reason != servingv1alpha1.ReasonHostNotGranted || c.Message != "taken; missing" {
		t.Errorf("HostsClaimed = %+v, want False HostNotGranted \"taken; missing\"", c)
	}
	MarkHosts(s, nil)
	if c := s.GetCondition(servingv1alpha1.RouteConditionHostsClaimed); !c.IsTrue() {
		t.Errorf("HostsClaimed = %+v, want True", c)
	}
}
