package resolve

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/golden"
)

// trafficRoute returns a Route in team-a with the given hosts and rules.
func trafficRoute(hosts []string, rules ...[]servingv1alpha1.TrafficTarget) *servingv1alpha1.Route {
	rt := route("team-a", "api", 0, hosts...)
	rt.Spec.Rules = nil
	for _, r := range rules {
		rt.Spec.Rules = append(rt.Spec.Rules, servingv1alpha1.RouteRule{Traffic: r})
	}
	return &rt
}

func TestResolveTraffic(t *testing.T) {
	hosts := []string{"api.example.org"}
	targets := Targets{
		Functions: map[string]*servingv1alpha1.Function{
			"hello":   fixture.Function("team-a", "hello", fixture.WithLatestReady("hello-00002"), fixture.WithFunctionReady()),
			"pending": fixture.Function("team-a", "pending", fixture.WithInitFunctionConditions()),
			"broken": fixture.Function("team-a", "broken",
				fixture.WithFunctionFailed(servingv1alpha1.ReasonRevisionFailed, `revision "broken-00001" failed`)),
		},
		Revisions: map[string]*servingv1alpha1.Revision{
			"hello-00001": fixture.Revision("team-a", "hello-00001", fixture.WithRevisionReady()),
			"hello-00003": fixture.Revision("team-a", "hello-00003", fixture.WithInitRevisionConditions()),
			"hello-00004": fixture.Revision("team-a", "hello-00004", fixture.WithRevisionFailed("CrashLoopBackOff", "container exited with code 1")),
		},
	}
	tests := []struct {
		name       string
		rt         *servingv1alpha1.Route
		previous   []servingv1alpha1.RuleStatus
		want       []servingv1alpha1.RuleStatus
		wantStatus corev1.ConditionStatus
		wantReason string
		wantMsg    string
	}{{
		name:       "function target follows the latest ready revision",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 100, "")}}},
		wantStatus: corev1.ConditionTrue,
	}, {
		name: "split between a function and a pinned revision, across rules",
		rt: trafficRoute(hosts,
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 90, ""), fixture.ToRevision("hello-00001", 10, "")},
			[]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00001", 100, "")}),
		want: []servingv1alpha1.RuleStatus{
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 90, ""), fixture.Resolved("", "hello-00001", 10, "")}},
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "hello-00001", 100, "")}},
		},
		wantStatus: corev1.ConditionTrue,
	}, {
		name:       "missing function",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToFunction("nope", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("nope", "", 100, "")}}},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionMissing,
		wantMsg:    `function "nope" not found`,
	}, {
		name:       "missing revision",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00009", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "", 100, "")}}},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionMissing,
		wantMsg:    `revision "hello-00009" not found`,
	}, {
		name:       "function without a ready revision yet",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToFunction("pending", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("pending", "", 100, "")}}},
		wantStatus: corev1.ConditionUnknown,
		wantReason: servingv1alpha1.ReasonRevisionNotReady,
		wantMsg:    `function "pending" has no ready revision yet`,
	}, {
		name:       "function whose only revision failed",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToFunction("broken", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("broken", "", 100, "")}}},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionFailed,
		wantMsg:    `function "broken" has no ready revision: revision "broken-00001" failed`,
	}, {
		name:       "revision not ready yet",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00003", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "", 100, "")}}},
		wantStatus: corev1.ConditionUnknown,
		wantReason: servingv1alpha1.ReasonRevisionNotReady,
		wantMsg:    `revision "hello-00003" is not ready yet`,
	}, {
		name:       "failed revision",
		rt:         trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00004", 100, "")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "", 100, "")}}},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionFailed,
		wantMsg:    `revision "hello-00004" failed: container exited with code 1`,
	}, {
		name: "an unresolved target keeps its previous revision",
		rt:   trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToFunction("pending", 50, "next"), fixture.ToRevision("hello-00003", 50, "")}),
		previous: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			fixture.Resolved("pending", "pending-00001", 100, ""),
		}}, {Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "hello-00003", 100, "")}}},
		want: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			withURL(fixture.Resolved("pending", "pending-00001", 50, "next"), "next-api.example.org"),
			fixture.Resolved("", "hello-00003", 50, ""),
		}}},
		wantStatus: corev1.ConditionUnknown,
		wantReason: servingv1alpha1.ReasonRevisionNotReady,
		wantMsg: `function "pending" has no ready revision yet; traffic stays on revision "pending-00001"; ` +
			`revision "hello-00003" is not ready yet; traffic stays on revision "hello-00003"`,
	}, {
		name: "previous resolutions match by target, not by position",
		rt: trafficRoute(hosts,
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("nope", 100, "")},
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 100, "")}),
		previous: []servingv1alpha1.RuleStatus{
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00001", 100, "")}},
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("nope", "nope-00007", 100, "")}},
		},
		want: []servingv1alpha1.RuleStatus{
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("nope", "nope-00007", 100, "")}},
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 100, "")}},
		},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionMissing,
		wantMsg:    `function "nope" not found; traffic stays on revision "nope-00007"`,
	}, {
		name: "a pinned revision that was never resolved is not kept from a function entry",
		rt:   trafficRoute(hosts, []servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00003", 100, "")}),
		previous: []servingv1alpha1.RuleStatus{
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00003", 100, "")}},
		},
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("", "", 100, "")}}},
		wantStatus: corev1.ConditionUnknown,
		wantReason: servingv1alpha1.ReasonRevisionNotReady,
		wantMsg:    `revision "hello-00003" is not ready yet`,
	}, {
		name: "missing outranks failed and not ready; each problem is listed once",
		rt: trafficRoute(hosts,
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("pending", 40, ""), fixture.ToRevision("hello-00004", 30, ""), fixture.ToFunction("nope", 30, "")},
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("nope", 100, "")}),
		want: []servingv1alpha1.RuleStatus{
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("pending", "", 40, ""), fixture.Resolved("", "", 30, ""), fixture.Resolved("nope", "", 30, "")}},
			{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("nope", "", 100, "")}},
		},
		wantStatus: corev1.ConditionFalse,
		wantReason: servingv1alpha1.ReasonRevisionMissing,
		wantMsg: `function "pending" has no ready revision yet; revision "hello-00004" failed: container exited with code 1; ` +
			`function "nope" not found`,
	}, {
		name: "tag URLs use the first exact host",
		rt: trafficRoute([]string{"*.example.org", "api.example.org", "www.example.org"},
			[]servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 90, "latest"), fixture.ToRevision("hello-00001", 10, "previous")}),
		want: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			withURL(fixture.Resolved("hello", "hello-00002", 90, "latest"), "latest-api.example.org"),
			withURL(fixture.Resolved("", "hello-00001", 10, "previous"), "previous-api.example.org"),
		}}},
		wantStatus: corev1.ConditionTrue,
	}, {
		name:       "no tag URL without an exact host",
		rt:         trafficRoute([]string{"*.example.org"}, []servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 100, "latest")}),
		want:       []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 100, "latest")}}},
		wantStatus: corev1.ConditionTrue,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rt.Status.Rules = tt.previous
			res := Traffic(tt.rt, targets)
			if diff := cmp.Diff(tt.want, res.Rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			status := &servingv1alpha1.RouteStatus{}
			status.InitializeConditions()
			res.MarkOn(status)
			c := status.GetCondition(servingv1alpha1.RouteConditionAllTrafficAssigned)
			if c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.Message != tt.wantMsg {
				t.Errorf("AllTrafficAssigned = %s %q %q, want %s %q %q", c.Status, c.Reason, c.Message,
					tt.wantStatus, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

// withURL sets a resolved entry's tag URL.
func withURL(rt servingv1alpha1.ResolvedTarget, host string) servingv1alpha1.ResolvedTarget {
	rt.URL = &apis.URL{Scheme: "http", Host: host}
	return rt
}

// TestResolveTrafficGolden pins the whole status of a canary rollout with a
// pinned previous revision, a tagged preview and a target that vanished.
func TestResolveTrafficGolden(t *testing.T) {
	rt := trafficRoute([]string{"*.shop.example.org", "shop.example.org"},
		[]servingv1alpha1.TrafficTarget{fixture.ToFunction("hello", 90, "latest"), fixture.ToRevision("hello-00001", 10, "stable")},
		[]servingv1alpha1.TrafficTarget{fixture.ToFunction("preview", 100, "preview")})
	rt.Spec.Rules[1].Match = servingv1alpha1.RouteMatch{
		Path:    &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchPrefix, Value: "/preview"},
		Methods: []servingv1alpha1.HTTPMethod{"GET"},
	}
	rt.Status.Rules = []servingv1alpha1.RuleStatus{
		{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00001", 100, "")}},
		{Traffic: []servingv1alpha1.ResolvedTarget{fixture.Resolved("preview", "preview-00003", 100, "preview")}},
	}
	res := Traffic(rt, Targets{
		Functions: map[string]*servingv1alpha1.Function{"hello": fixture.Function("team-a", "hello", fixture.WithLatestReady("hello-00002"), fixture.WithFunctionReady())},
		Revisions: map[string]*servingv1alpha1.Revision{"hello-00001": fixture.Revision("team-a", "hello-00001", fixture.WithRevisionReady())},
	})
	golden.AssertYAML(t, "traffic.yaml", map[string]any{"rules": res.Rules, "problems": res.Problems, "url": URL(rt)})
}

func TestURL(t *testing.T) {
	for _, tt := range []struct {
		hosts []string
		want  string
	}{
		{[]string{"api.example.org"}, "http://api.example.org"},
		{[]string{"*.example.org", "API.example.org."}, "http://api.example.org"},
		{[]string{"*.example.org", "*.example.net"}, "http://*.example.org"},
	} {
		rt := route("team-a", "api", 0, tt.hosts...)
		if got := URL(&rt).String(); got != tt.want {
			t.Errorf("URL(%v) = %q, want %q", tt.hosts, got, tt.want)
		}
	}
	if u := URL(&servingv1alpha1.Route{}); u != nil {
		t.Errorf("URL of a Route without hosts = %v, want nil", u)
	}
}
