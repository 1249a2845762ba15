package feed

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
)

func route(claimed bool, statusRules ...servingv1alpha1.RuleStatus) servingv1alpha1.Route {
	rt := servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api"},
		Spec: servingv1alpha1.RouteSpec{
			Hosts: []servingv1alpha1.Hostname{"api.example.com"},
			Rules: []servingv1alpha1.RouteRule{{
				Match: servingv1alpha1.RouteMatch{
					Path:    &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchExact, Value: "/v1"},
					Methods: []servingv1alpha1.HTTPMethod{"GET"},
				},
				Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "a", Percent: 100, Tag: "t"}},
			}},
		},
		Status: servingv1alpha1.RouteStatus{Rules: statusRules},
	}
	rt.Status.InitializeConditions()
	if claimed {
		rt.Status.MarkHostsClaimed()
	} else {
		rt.Status.MarkHostsTaken("api.example.com is held by other/api")
	}
	return rt
}

func TestBuildInput(t *testing.T) {
	resolved := servingv1alpha1.RuleStatus{Traffic: []servingv1alpha1.ResolvedTarget{{FunctionName: "a", RevisionName: "a-00002", Percent: 100, Tag: "t"}}}
	fns := []servingv1alpha1.Function{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"},
		Status:     servingv1alpha1.FunctionStatus{LatestReadyRevisionName: "a-00002"},
	}}
	revs := []servingv1alpha1.Revision{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a-00002"},
		Spec: servingv1alpha1.RevisionSpec{TimeoutSeconds: 30, Containers: []servingv1alpha1.Container{{
			Image: "x", Port: &servingv1alpha1.ServingPort{Protocol: servingv1alpha1.ProtocolH2C},
		}}},
	}}
	wantRevs := []routing.RevisionInput{{Key: types.NamespacedName{Namespace: "ns", Name: "a-00002"}, TimeoutSeconds: 30, Protocol: routing.ProtocolH2C}}
	wantFns := []routing.FunctionInput{{Namespace: "ns", Name: "a", LatestReadyRevision: "a-00002"}}

	tests := []struct {
		name   string
		routes []servingv1alpha1.Route
		want   []routing.RouteInput
	}{{
		name:   "claimed route with resolved traffic is served",
		routes: []servingv1alpha1.Route{route(true, resolved)},
		want: []routing.RouteInput{{Namespace: "ns", Name: "api", Hosts: []string{"api.example.com"},
			Rules: []routing.RuleInput{{
				Match:   routing.MatchInput{Type: routing.PathExact, Path: "/v1", Methods: []string{"GET"}},
				Traffic: []routing.TrafficInput{{Revision: types.NamespacedName{Namespace: "ns", Name: "a-00002"}, Percent: 100, Tag: "t"}},
			}}}},
	}, {
		name:   "route whose hosts are taken is not served",
		routes: []servingv1alpha1.Route{route(false, resolved)},
	}, {
		name:   "route not resolved yet is not served",
		routes: []servingv1alpha1.Route{route(true)},
	}, {
		name: "route with a target that never resolved is not served",
		routes: []servingv1alpha1.Route{route(true, servingv1alpha1.RuleStatus{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "a", Percent: 100, Tag: "t"}}})},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BuildInput("example.com", fns, revs, tt.routes, nil)
			want := routing.Input{Domain: "example.com", Revisions: wantRevs, Functions: wantFns, Routes: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("BuildInput (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevisionConfig(t *testing.T) {
	rev := func(probe *servingv1alpha1.Probe) *servingv1alpha1.Revision {
		return &servingv1alpha1.Revision{Spec: servingv1alpha1.RevisionSpec{
			ContainerConcurrency: 4,
			Containers:           []servingv1alpha1.Container{{Image: "x", ReadinessProbe: probe}},
		}}
	}
	httpGet := func(g servingv1alpha1.HTTPGetAction) *servingv1alpha1.Probe {
		return &servingv1alpha1.Probe{ProbeHandler: servingv1alpha1.ProbeHandler{HTTPGet: &g}}
	}
	tests := []struct {
		name  string
		probe *servingv1alpha1.Probe
		want  throttler.RevisionConfig
	}{
		{"no probe: TCP", nil, throttler.RevisionConfig{ContainerConcurrency: 4}},
		{"tcp probe", &servingv1alpha1.Probe{ProbeHandler: servingv1alpha1.ProbeHandler{TCPSocket: &servingv1alpha1.TCPSocketAction{}}},
			throttler.RevisionConfig{ContainerConcurrency: 4}},
		{"http probe with port", httpGet(servingv1alpha1.HTTPGetAction{Path: "/ready", Port: ptr.To(intstr.FromInt32(9000))}),
			throttler.RevisionConfig{ContainerConcurrency: 4, ProbePath: "/ready", ProbePort: 9000}},
		{"http probe without port: the serving port", httpGet(servingv1alpha1.HTTPGetAction{Path: "/ready"}),
			throttler.RevisionConfig{ContainerConcurrency: 4, ProbePath: "/ready"}},
		{"http probe with a named port: the serving port", httpGet(servingv1alpha1.HTTPGetAction{Path: "/ready", Port: ptr.To(intstr.FromString("http1"))}),
			throttler.RevisionConfig{ContainerConcurrency: 4, ProbePath: "/ready"}},
		{"http probe without path", httpGet(servingv1alpha1.HTTPGetAction{}),
			throttler.RevisionConfig{ContainerConcurrency: 4, ProbePath: "/"}},
	}
	for _, tt := range tests {
		if got := RevisionConfig(rev(tt.probe)); got != tt.want {
			t.Errorf("%s: RevisionConfig = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func slice(port int32, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptr.To(port)}}, Endpoints: eps}
}

func ep(ip string, ready, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Terminating: ptr.To(terminating)}}
}

func TestEndpoints(t *testing.T) {
	got := Endpoints([]*discoveryv1.EndpointSlice{
		slice(8080, ep("10.0.0.2", true, false), ep("10.0.0.1", false, false), ep("10.0.0.3", false, true)),
		slice(8080, ep("10.0.0.2", true, false), ep("fd00::1", true, false)),
		{Endpoints: []discoveryv1.Endpoint{ep("10.0.0.9", true, false)}}, // no port yet
	}, nil)
	want := []throttler.Endpoint{
		{Address: "10.0.0.1:8080", Ready: false},
		{Address: "10.0.0.2:8080", Ready: true},
		{Address: "[fd00::1]:8080", Ready: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Endpoints (-want +got):\n%s", diff)
	}
}

// TestActivatorPeers: the ready activators' IPs, sorted, and this one's
// index among them; one not yet ready appends itself. The port of the
// slices plays no part.
func TestActivatorPeers(t *testing.T) {
	s := []*discoveryv1.EndpointSlice{
		slice(9090, ep("10.0.0.3", true, false), ep("10.0.0.1", true, false), ep("10.0.0.2", false, false)),
	}
	tests := []struct {
		self  string
		peers []string
		index int
	}{
		{"10.0.0.1", []string{"10.0.0.1", "10.0.0.3"}, 0},
		{"10.0.0.3", []string{"10.0.0.1", "10.0.0.3"}, 1},
		{"10.0.0.2", []string{"10.0.0.1", "10.0.0.3", "10.0.0.2"}, 2}, // not ready yet: at the end
		{"", []string{"10.0.0.1", "10.0.0.3", ""}, 2},
	}
	for _, tt := range tests {
		if peers, i := ActivatorPeers(s, tt.self); !slices.Equal(peers, tt.peers) || i != tt.index {
			t.Errorf("ActivatorPeers(self %q) = %v, %d; want %v, %d", tt.self, peers, i, tt.peers, tt.index)
		}
	}
}

func TestRoutingChanged(t *testing.T) {
	fn := func(latestReady string, gen int64) *servingv1alpha1.Function {
		f := &servingv1alpha1.Function{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}}
		f.Status.LatestReadyRevisionName, f.Status.ObservedGeneration = latestReady, gen
		return f
	}
	rev := func(timeout int32, labels map[string]string) *servingv1alpha1.Revision {
		return &servingv1alpha1.Revision{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a-00001", Labels: labels},
			Spec:       servingv1alpha1.RevisionSpec{TimeoutSeconds: timeout, Containers: []servingv1alpha1.Container{{Image: "x"}}},
		}
	}
	resolved := func(rev string) servingv1alpha1.RuleStatus {
		return servingv1alpha1.RuleStatus{Traffic: []servingv1alpha1.ResolvedTarget{{FunctionName: "a", RevisionName: rev, Percent: 100}}}
	}
	withGeneration := func(rt servingv1alpha1.Route, gen int64) *servingv1alpha1.Route {
		rt.Status.ObservedGeneration = gen
		return &rt
	}
	r1, r2 := route(true, resolved("a-00001")), route(true, resolved("a-00002"))
	unclaimed := route(false, resolved("a-00001"))
	withLimit := func(rt servingv1alpha1.Route, n int64) *servingv1alpha1.Route {
		rt.Spec.Policies = &servingv1alpha1.RoutePolicies{RateLimit: &servingv1alpha1.RateLimitPolicy{
			Rules: []servingv1alpha1.RateLimitRule{{Limit: servingv1alpha1.RateLimitValue{Requests: n, Unit: servingv1alpha1.RateLimitSecond}}},
		}}
		return &rt
	}
	withCORS := func(rt servingv1alpha1.Route, origin servingv1alpha1.CORSOrigin) *servingv1alpha1.Route {
		rt.Spec.Policies = &servingv1alpha1.RoutePolicies{CORS: &servingv1alpha1.CORSPolicy{AllowOrigins: []servingv1alpha1.CORSOrigin{origin}}}
		return &rt
	}

	for _, tc := range []struct {
		name     string
		old, new any
		want     bool
	}{
		{"function status without a new ready revision", fn("a-00001", 1), fn("a-00001", 2), false},
		{"function with a new ready revision", fn("a-00001", 1), fn("a-00002", 2), true},
		{"function that became ready", fn("", 1), fn("a-00001", 1), true},
		{"revision labels", rev(30, nil), rev(30, map[string]string{"x": "y"}), false},
		{"revision timeout", rev(30, nil), rev(60, nil), true},
		{"route status without new traffic", withGeneration(r1, 1), withGeneration(r1, 2), false},
		{"route traffic", &r1, &r2, true},
		{"route lost its hosts", &r1, &unclaimed, true},
		{"route got a CORS policy", &r1, withCORS(r1, "*"), true},
		{"route's CORS origins", withCORS(r1, "*"), withCORS(r1, "https://a.test"), true},
		{"route's CORS policy unchanged", withCORS(r1, "https://a.test"), withCORS(r1, "https://a.test"), false},
		{"route got a rate limit", &r1, withLimit(r1, 5), true},
		{"route's rate limit", withLimit(r1, 5), withLimit(r1, 6), true},
		{"route's rate limit unchanged", withLimit(r1, 5), withLimit(r1, 5), false},
		{"kinds differ", fn("a-00001", 1), rev(30, nil), true},
		{"unknown kind", &discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSlice{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RoutingChanged(tc.old, tc.new); got != tc.want {
				t.Errorf("RoutingChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRulesGetTheirCORSPolicy: each rule is served with its own CORS policy,
// else the Route's, else none.
func TestRulesGetTheirCORSPolicy(t *testing.T) {
	rt := route(true)
	rt.Spec.Rules = append(rt.Spec.Rules, rt.Spec.Rules[0], rt.Spec.Rules[0])
	rt.Spec.Rules[1].Match.Path = &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchExact, Value: "/v2"}
	rt.Spec.Rules[2].Match.Path = &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchExact, Value: "/v3"}
	for range rt.Spec.Rules {
		rt.Status.Rules = append(rt.Status.Rules, servingv1alpha1.RuleStatus{Traffic: []servingv1alpha1.ResolvedTarget{{RevisionName: "a-00001", Percent: 100}}})
	}
	rt.Spec.Policies = &servingv1alpha1.RoutePolicies{CORS: &servingv1alpha1.CORSPolicy{AllowOrigins: []servingv1alpha1.CORSOrigin{"https://route.test"}}}
	rt.Spec.Rules[1].Policies = &servingv1alpha1.RoutePolicies{CORS: &servingv1alpha1.CORSPolicy{AllowOrigins: []servingv1alpha1.CORSOrigin{"https://rule.test"}}}
	in := BuildInput("example.com", nil, nil, []servingv1alpha1.Route{rt}, nil)
	if len(in.Routes) != 1 || len(in.Routes[0].Rules) != 3 {
		t.Fatalf("got %+v, want one route with 3 rules", in.Routes)
	}
	for i, want := range []string{"https://route.test", "https://rule.test", "https://route.test"} {
		c := in.Routes[0].Rules[i].CORS
		if c == nil || !slices.Equal(c.AllowOrigins, []string{want}) {
			t.Errorf("rule %d: CORS policy %+v, want one allowing %s alone", i, c, want)
		}
	}
	rt.Spec.Policies = nil
	if p := BuildInput("example.com", nil, nil, []servingv1alpha1.Route{rt}, nil).Routes[0].Rules[0].CORS; p != nil {
		t.Errorf("rule without a policy on a Route without one: %+v, want nil", p)
	}
}
