package route

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
)

// cond is the part of a condition the tests compare.
type cond struct {
	Status  corev1.ConditionStatus
	Reason  string
	Message string
}

var (
	errBoom = errors.New("boom")
	ok      = cond{Status: corev1.ConditionTrue}
	apiKey  = types.NamespacedName{Namespace: "team-a", Name: "api"}

	notGranted = `host "api.example.org" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`
)

// failGet returns interceptor funcs that fail Gets of the named kind.
func failGet(kind string) interceptor.Funcs {
	return interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if _, isFn := obj.(*servingv1alpha1.Function); isFn && kind == "Function" {
			return errBoom
		}
		return c.Get(ctx, key, obj, opts...)
	}}
}

func TestReconcile(t *testing.T) {
	hello := readyFunction("hello", "hello-00002")
	tests := []struct {
		name       string
		objs       []client.Object
		funcs      interceptor.Funcs
		claims     bool // domain-policy claims instead of first-come
		wantErr    string
		wantConds  map[apis.ConditionType]cond
		wantRules  []servingv1alpha1.RuleStatus
		wantURL    string
		wantEvents []string
	}{{
		name: "function target resolves and the host is free",
		objs: []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{
			apis.ConditionReady: ok, servingv1alpha1.RouteConditionAllTrafficAssigned: ok, servingv1alpha1.RouteConditionHostsClaimed: ok,
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name: "pinned ready revision",
		objs: []client.Object{fixture.Revision("team-a", "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady()),
			newRoute("team-a", "api", 0, fixture.ToRevision("hello-00001", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{apis.ConditionReady: ok},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{RevisionName: "hello-00001", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			"Normal TrafficUpdated Traffic now rule 0: hello-00001 100%",
		},
	}, {
		name: "missing function",
		objs: []client.Object{newRoute("team-a", "api", 0, fixture.ToFunction("nope", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{
			apis.ConditionReady: {corev1.ConditionFalse, servingv1alpha1.ReasonRevisionMissing, `function "nope" not found`},
			servingv1alpha1.RouteConditionAllTrafficAssigned: {corev1.ConditionFalse, servingv1alpha1.ReasonRevisionMissing, `function "nope" not found`},
			servingv1alpha1.RouteConditionHostsClaimed:       ok,
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{{FunctionName: "nope", Percent: 100}}}},
		wantURL:   "http://api.example.org",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			`Warning RevisionMissing function "nope" not found`,
		},
	}, {
		name: "unready revision",
		objs: []client.Object{fixture.Revision("team-a", "hello-00003", fixture.WithFunctionLabel("hello"), fixture.WithInitRevisionConditions()),
			newRoute("team-a", "api", 0, fixture.ToRevision("hello-00003", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{
			servingv1alpha1.RouteConditionAllTrafficAssigned: {corev1.ConditionUnknown, servingv1alpha1.ReasonRevisionNotReady, `revision "hello-00003" is not ready yet`},
		},
		wantRules:  []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{{Percent: 100}}}},
		wantURL:    "http://api.example.org",
		wantEvents: []string{"Normal HostsClaimed Route holds all its hosts"},
	}, {
		name: "host held by an older Route in another namespace",
		objs: []client.Object{hello,
			newRoute("team-b", "first", 0, fixture.ToFunction("other", 100, ""), "api.example.org"),
			newRoute("team-a", "api", 1, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{
			apis.ConditionReady: {corev1.ConditionFalse, servingv1alpha1.ReasonHostTaken, `host "api.example.org" is held by Route team-b/first`},
			servingv1alpha1.RouteConditionAllTrafficAssigned: ok,
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			`Warning HostTaken host "api.example.org" is held by Route team-b/first`,
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name: "another namespace's function host is refused",
		objs: []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "hello.team-b.wake.example")},
		wantConds: map[apis.ConditionType]cond{
			servingv1alpha1.RouteConditionHostsClaimed: {corev1.ConditionFalse, servingv1alpha1.ReasonHostTaken,
				`host "hello.team-b.wake.example" belongs to namespace "team-b"`},
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://hello.team-b.wake.example",
		wantEvents: []string{
			`Warning HostTaken host "hello.team-b.wake.example" belongs to namespace "team-b"`,
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name:      "own namespace's function host is allowed",
		objs:      []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "hello.team-a.wake.example")},
		wantConds: map[apis.ConditionType]cond{apis.ConditionReady: ok},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://hello.team-a.wake.example",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name:    "reading a function fails: the error is returned, hosts still decided",
		objs:    []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		funcs:   failGet("Function"),
		wantErr: "get function team-a/hello: boom",
		wantConds: map[apis.ConditionType]cond{
			servingv1alpha1.RouteConditionAllTrafficAssigned: {Status: corev1.ConditionUnknown},
			servingv1alpha1.RouteConditionHostsClaimed:       ok,
		},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			"Warning ReconcileFailed get function team-a/hello: boom",
		},
	}, {
		name: "listing host claimants fails",
		objs: []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		funcs: interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return errBoom
		}},
		wantErr: "list routes claiming host api.example.org: boom",
		wantConds: map[apis.ConditionType]cond{
			servingv1alpha1.RouteConditionAllTrafficAssigned: ok,
			servingv1alpha1.RouteConditionHostsClaimed:       {Status: corev1.ConditionUnknown},
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
			"Warning ReconcileFailed list routes claiming host api.example.org: boom",
		},
	}, {
		name:   "claims: a granted host is claimed",
		claims: true,
		objs: []client.Object{hello, fixture.DomainGrant("team-a-shop", "team-a", "*.example.org"),
			newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		wantConds: map[apis.ConditionType]cond{
			apis.ConditionReady: ok, servingv1alpha1.RouteConditionAllTrafficAssigned: ok, servingv1alpha1.RouteConditionHostsClaimed: ok,
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal HostsClaimed Route holds all its hosts",
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name:   "claims: a host granted to another namespace is refused, the own namespace's host is not",
		claims: true,
		objs: []client.Object{hello, fixture.DomainGrant("team-b-api", "team-b", "api.example.org"),
			newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org", "api.team-a.wake.example")},
		wantConds: map[apis.ConditionType]cond{
			apis.ConditionReady: {corev1.ConditionFalse, servingv1alpha1.ReasonHostNotGranted, notGranted},
			servingv1alpha1.RouteConditionAllTrafficAssigned: ok,
			servingv1alpha1.RouteConditionHostsClaimed:       {corev1.ConditionFalse, servingv1alpha1.ReasonHostNotGranted, notGranted},
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Warning HostNotGranted " + notGranted,
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
		},
	}, {
		name:   "claims: listing grants fails",
		claims: true,
		objs:   []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, isGrants := list.(*servingv1alpha1.DomainGrantList); isGrants {
				return errBoom
			}
			return c.List(ctx, list, opts...)
		}},
		wantErr: "list domain grants: boom",
		wantConds: map[apis.ConditionType]cond{
			servingv1alpha1.RouteConditionAllTrafficAssigned: ok,
			servingv1alpha1.RouteConditionHostsClaimed:       {Status: corev1.ConditionUnknown},
		},
		wantRules: []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
			{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
		}}},
		wantURL: "http://api.example.org",
		wantEvents: []string{
			"Normal TrafficUpdated Traffic now rule 0: hello-00002 100%",
			"Warning ReconcileFailed list domain grants: boom",
		},
	}, {
		name: "status update fails",
		objs: []client.Object{hello, newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")},
		funcs: interceptor.Funcs{SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
			return errBoom
		}},
		wantErr: "update status of route team-a/api: boom",
		// Changes are recorded once the status is written, so not here.
		wantEvents: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := reconcilertest.Setup{Funcs: tt.funcs}
			if tt.claims {
				s.Config = map[string]string{"domain": "wake.example", "domain-policy": "claims"}
			}
			h := newHarness(t, s, tt.objs...)
			err := h.Reconcile(apiKey)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantEvents, h.Events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if tt.wantConds == nil {
				return
			}
			got := &servingv1alpha1.Route{}
			if err := h.Client.Get(context.Background(), apiKey, got); err != nil {
				t.Fatal(err)
			}
			checkStatus(t, got, tt.wantConds, tt.wantRules, tt.wantURL)
		})
	}
}

// checkStatus compares a Route's status with the wanted conditions (only
// those listed), rules and URL.
func checkStatus(t *testing.T, rt *servingv1alpha1.Route, conds map[apis.ConditionType]cond, rules []servingv1alpha1.RuleStatus, url string) {
	t.Helper()
	for typ, want := range conds {
		c := rt.Status.GetCondition(typ)
		if c == nil {
			t.Errorf("condition %s missing", typ)
			continue
		}
		if got := (cond{c.Status, c.Reason, c.Message}); got != want {
			t.Errorf("condition %s = %+v, want %+v", typ, got, want)
		}
	}
	if diff := cmp.Diff(rules, rt.Status.Rules); diff != "" {
		t.Errorf("status.rules (-want +got):\n%s", diff)
	}
	if got := rt.Status.URL.String(); got != url {
		t.Errorf("status.url = %q, want %q", got, url)
	}
	if rt.Status.ObservedGeneration != rt.Generation {
		t.Errorf("observedGeneration = %d, want %d", rt.Status.ObservedGeneration, rt.Generation)
	}
}

func TestReconcileWritesStatusOnlyOnChange(t *testing.T) {
	h := newHarness(t, reconcilertest.Setup{}, readyFunction("hello", "hello-00002"),
		newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org"))
	for i := range 3 {
		if err := h.Reconcile(apiKey); err != nil {
			t.Fatalf("Reconcile %d: %v", i, err)
		}
	}
	if h.StatusUpdates != 1 {
		t.Errorf("status updates = %d, want 1", h.StatusUpdates)
	}
	if n := len(h.Events()); n != 2 {
		t.Errorf("events = %d, want the 2 of the first reconcile", n)
	}
}

func TestReconcileKeepsTrafficWhenFunctionVanishes(t *testing.T) {
	rt := newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")
	rt.Status.Rules = []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{
		{FunctionName: "hello", RevisionName: "hello-00002", Percent: 100},
	}}}
	h := newHarness(t, reconcilertest.Setup{}, rt)
	if err := h.Reconcile(apiKey); err != nil {
		t.Fatal(err)
	}
	got := &servingv1alpha1.Route{}
	if err := h.Client.Get(context.Background(), apiKey, got); err != nil {
		t.Fatal(err)
	}
	msg := `function "hello" not found; traffic stays on revision "hello-00002"`
	checkStatus(t, got, map[apis.ConditionType]cond{
		servingv1alpha1.RouteConditionAllTrafficAssigned: {corev1.ConditionFalse, servingv1alpha1.ReasonRevisionMissing, msg},
	}, rt.Status.Rules, "http://api.example.org")
	want := []string{"Normal HostsClaimed Route holds all its hosts", "Warning RevisionMissing " + msg}
	if diff := cmp.Diff(want, h.Events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestReconcileIgnoresMissingAndDeletingRoutes(t *testing.T) {
	deleting := newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")
	deleting.DeletionTimestamp = &metav1.Time{Time: fixture.Epoch}
	deleting.Finalizers = []string{"example.org/hold"}
	for name, objs := range map[string][]client.Object{"missing": nil, "deleting": {deleting}} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.Setup{}, objs...)
			if err := h.Reconcile(apiKey); err != nil {
				t.Fatal(err)
			}
			if ev := h.Events(); len(ev) != 0 {
				t.Errorf("events = %v, want none", ev)
			}
			got := &servingv1alpha1.Route{}
			if err := h.Client.Get(context.Background(), apiKey, got); err == nil && len(got.Status.Conditions) != 0 {
				t.Errorf("status written on a deleting Route: %+v", got.Status)
			}
		})
	}
}
