package kubectlwake_test

import (
	"testing"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/kubectlwake"
)

// observed sets observedGeneration to the Function's generation, as a
// reconciler that saw it does.
func observed(f *servingv1alpha1.Function) { f.Status.ObservedGeneration = f.Generation }

func TestFunctionWhy(t *testing.T) {
	const ns = "team-a"
	revs := func(rs ...*servingv1alpha1.Revision) map[string]*servingv1alpha1.Revision {
		m := map[string]*servingv1alpha1.Revision{}
		for _, r := range rs {
			m[r.Name] = r
		}
		return m
	}
	tests := []struct {
		name string
		fn   *servingv1alpha1.Function
		revs map[string]*servingv1alpha1.Revision
		want string
	}{{
		name: "no status",
		fn:   fixture.Function(ns, "hello"),
		want: "Wake has not reported on Function hello yet: is the Wake controller running?",
	}, {
		name: "a generation not processed",
		fn: fixture.Function(ns, "hello", fixture.WithFunctionGeneration(3), fixture.WithFunctionReady(),
			func(f *servingv1alpha1.Function) { f.Status.ObservedGeneration = 2 }),
		want: "Wake has not processed generation 3 of Function hello yet (its status is of generation 2).",
	}, {
		name: "ready",
		fn:   fixture.Function(ns, "hello", fixture.WithFunctionReady(), fixture.WithLatestReady("hello-00002"), observed),
		want: "Function hello is ready: it serves revision hello-00002.",
	}, {
		name: "the latest revision cannot pull its image, an older one serves",
		fn: fixture.Function(ns, "hello", fixture.WithFunctionFailed(servingv1alpha1.ReasonRevisionFailed, "x"),
			fixture.WithLatestCreated("hello-00003"), fixture.WithLatestReady("hello-00002"), observed),
		revs: revs(fixture.Revision(ns, "hello-00003", fixture.WithRevisionFailed("ImagePullBackOff", `Back-off pulling image "hello:typo".`))),
		want: `revision hello-00003 is not ready: ImagePullBackOff: Back-off pulling image "hello:typo"; traffic stays on revision hello-00002.`,
	}, {
		name: "the first revision is deploying",
		fn: fixture.Function(ns, "hello", fixture.WithInitFunctionConditions(),
			fixture.WithLatestCreated("hello-00001"), observed),
		revs: revs(fixture.Revision(ns, "hello-00001", fixture.WithInitRevisionConditions(), func(r *servingv1alpha1.Revision) {
			r.Status.MarkDeploying(servingv1alpha1.ReasonDeploying, "Waiting for a pod to become ready.")
		})),
		want: "revision hello-00001 is not ready yet: Deploying: Waiting for a pod to become ready; no revision has been ready, so the Function serves nothing.",
	}, {
		name: "resources decide before the container",
		fn: fixture.Function(ns, "hello", fixture.WithFunctionFailed(servingv1alpha1.ReasonRevisionFailed, "x"),
			fixture.WithLatestCreated("hello-00002"), fixture.WithLatestReady("hello-00001"), observed),
		revs: revs(fixture.Revision(ns, "hello-00002", fixture.WithRevisionFailed("CrashLoopBackOff", "exit code 1"), func(r *servingv1alpha1.Revision) {
			r.Status.MarkResourceNotOwned("Deployment", "hello-00002")
		})),
		want: `revision hello-00002 is not ready: NotOwned: there is an existing Deployment "hello-00002" that we do not own; traffic stays on revision hello-00001.`,
	}, {
		name: "no revision to ask: the Function's condition",
		fn: fixture.Function(ns, "hello", fixture.WithInitFunctionConditions(), func(f *servingv1alpha1.Function) {
			f.Status.MarkRevisionNotOwned("hello-00001")
		}, observed),
		want: `the latest revision is not ready: NotOwned: there is an existing Revision "hello-00001" that we do not own; no revision has been ready, so the Function serves nothing.`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kubectlwake.FunctionWhy(tt.fn, tt.revs); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRouteWhy(t *testing.T) {
	const ns = "team-a"
	route := func(opts ...fixture.RouteOption) *servingv1alpha1.Route {
		return fixture.Route(ns, "api", append([]fixture.RouteOption{
			fixture.WithHosts("api.example.com", "www.example.com"), fixture.WithRule(fixture.ToFunction("hello", 100, "")),
			func(rt *servingv1alpha1.Route) { rt.Status.InitializeConditions() },
		}, opts...)...)
	}
	tests := []struct {
		name string
		rt   *servingv1alpha1.Route
		revs map[string]*servingv1alpha1.Revision
		want string
	}{{
		name: "ready",
		rt: route(func(rt *servingv1alpha1.Route) {
			rt.Status.MarkHostsClaimed()
			rt.Status.MarkTrafficAssigned()
		}),
		want: "Route api is ready: it serves api.example.com, www.example.com.",
	}, {
		name: "a host not granted, whatever the traffic",
		rt: route(func(rt *servingv1alpha1.Route) {
			rt.Status.MarkHostsNotGranted("no DomainGrant gives namespace team-a the host api.example.com.")
			rt.Status.MarkTrafficNotReady("x")
		}),
		want: "its hosts are not claimed, so it is not served: HostNotGranted: no DomainGrant gives namespace team-a the host api.example.com.",
	}, {
		name: "a missing function",
		rt: route(func(rt *servingv1alpha1.Route) {
			rt.Status.MarkHostsClaimed()
			rt.Status.MarkTrafficMissing(servingv1alpha1.ReasonRevisionMissing, `Function "hello" does not exist`)
		}),
		want: `its traffic is not all assigned: RevisionMissing: Function "hello" does not exist.`,
	}, {
		name: "a target's revision is not ready: the revision says why",
		rt: route(fixture.WithResolvedRule(fixture.Resolved("hello", "hello-00001", 100, "")), func(rt *servingv1alpha1.Route) {
			rt.Status.MarkHostsClaimed()
			rt.Status.MarkTrafficNotReady(`Revision "hello-00001" is not ready`)
		}),
		revs: map[string]*servingv1alpha1.Revision{"hello-00001": fixture.Revision(ns, "hello-00001", fixture.WithRevisionFailed("CrashLoopBackOff", "Container exited with code 1."))},
		want: "revision hello-00001 is not ready: CrashLoopBackOff: Container exited with code 1 (rule 0, 100%).",
	}, {
		name: "a target's revision not read: the Route's condition",
		rt: route(fixture.WithResolvedRule(fixture.Resolved("hello", "hello-00001", 100, "")), func(rt *servingv1alpha1.Route) {
			rt.Status.MarkHostsClaimed()
			rt.Status.MarkTrafficNotReady(`Revision "hello-00001" is not ready`)
		}),
		want: `its traffic is not all assigned: RevisionNotReady: Revision "hello-00001" is not ready.`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kubectlwake.RouteWhy(tt.rt, tt.revs); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTriggerWhy(t *testing.T) {
	trigger := func(mark func(*servingv1alpha1.KafkaTriggerStatus)) *servingv1alpha1.KafkaTrigger {
		kt := &servingv1alpha1.KafkaTrigger{Spec: servingv1alpha1.KafkaTriggerSpec{Function: "handler"}}
		kt.Name = "orders"
		kt.Status.InitializeConditions()
		mark(&kt.Status)
		return kt
	}
	tests := []struct {
		name string
		kt   *servingv1alpha1.KafkaTrigger
		want string
	}{{
		name: "ready",
		kt: trigger(func(s *servingv1alpha1.KafkaTriggerStatus) {
			s.MarkBrokerReachable()
			s.MarkGroupJoined()
			s.MarkFunctionReady()
		}),
		want: "KafkaTrigger orders is ready: it delivers to Function handler.",
	}, {
		name: "a Secret missing, the function missing too: the broker first",
		kt: trigger(func(s *servingv1alpha1.KafkaTriggerStatus) {
			s.MarkBrokerUnreachable(servingv1alpha1.ReasonSecretMissing, `Secret "kafka-user" does not exist`)
			s.MarkFunctionNotReady(servingv1alpha1.ReasonFunctionMissing, `Function "handler" does not exist`)
		}),
		want: `BrokerReachable is False: SecretMissing: Secret "kafka-user" does not exist.`,
	}, {
		name: "joining",
		kt: trigger(func(s *servingv1alpha1.KafkaTriggerStatus) {
			s.MarkBrokerReachable()
			s.MarkGroupNotJoined(servingv1alpha1.ReasonJoining, "joining group wake.team-a.orders")
			s.MarkFunctionReady()
		}),
		want: "ConsumerGroupJoined is Unknown: Joining: joining group wake.team-a.orders.",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kubectlwake.TriggerWhy(tt.kt); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
