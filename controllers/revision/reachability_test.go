package revision

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
)

// testFunction returns Function hello, which controls the test revision,
// with the given latest created and latest ready revisions.
func testFunction(latestCreated, latestReady string) *servingv1alpha1.Function {
	return fixture.Function(testNamespace, "hello", fixture.WithFunctionUID("fn-uid"),
		fixture.WithLatestCreated(latestCreated), fixture.WithLatestReady(latestReady))
}

// pinningRoute returns a Route that sends all its traffic to rev.
func pinningRoute(name, rev string) *servingv1alpha1.Route {
	return fixture.Route(testNamespace, name, fixture.WithHosts("shop.example.com"),
		fixture.WithRule(fixture.ToRevision(rev, 100, "")))
}

func TestReconcileReachability(t *testing.T) {
	fn := testFunction("hello-00002", "hello-00001")
	moved := testFunction("hello-00002", "hello-00002")
	listFails := interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
		if _, ok := list.(*servingv1alpha1.RouteList); ok {
			return errors.New("routes unavailable")
		}
		return c.List(ctx, list, opts...)
	}}
	tests := []struct {
		name    string
		rev     *servingv1alpha1.Revision
		objs    []client.Object
		funcs   interceptor.Funcs
		want    servingv1alpha1.Reachability
		wantErr bool
		// wantEvent is the reason of the reachability event, if any.
		wantEvent string
	}{
		{name: "the Function's latest ready revision", rev: newRevision(fixture.WithRevisionOwner(fn)), objs: []client.Object{fn},
			want: servingv1alpha1.ReachabilityReachable},
		{name: "the Function's latest created revision", rev: newRevision(fixture.WithRevisionOwner(fn)),
			objs: []client.Object{testFunction("hello-00001", "")}, want: servingv1alpha1.ReachabilityPending},
		{name: "the Function moved on", rev: newRevision(fixture.WithRevisionOwner(moved)), objs: []client.Object{moved},
			want: servingv1alpha1.ReachabilityUnreachable},
		{name: "the Function moved on, a Route pins it", rev: newRevision(fixture.WithRevisionOwner(moved)),
			objs: []client.Object{moved, pinningRoute("pin", testName)}, want: servingv1alpha1.ReachabilityReachable},
		{name: "a Route pins another revision", rev: newRevision(fixture.WithRevisionOwner(moved)),
			objs: []client.Object{moved, pinningRoute("pin", "hello-00002")}, want: servingv1alpha1.ReachabilityUnreachable},
		{name: "the Function is gone", rev: newRevision(fixture.WithRevisionOwner(fn)), want: servingv1alpha1.ReachabilityUnreachable},
		{name: "no Function controls it", rev: newRevision(), objs: []client.Object{fn},
			want: servingv1alpha1.ReachabilityUnreachable},
		{name: "a reachable revision becomes unreachable", rev: newRevision(fixture.WithRevisionOwner(moved), fixture.WithReachability(servingv1alpha1.ReachabilityReachable)),
			objs: []client.Object{moved}, want: servingv1alpha1.ReachabilityUnreachable, wantEvent: ReasonUnreachable},
		{name: "an unreachable revision is pinned again", rev: newRevision(fixture.WithRevisionOwner(moved), fixture.WithReachability(servingv1alpha1.ReachabilityUnreachable)),
			objs: []client.Object{moved, pinningRoute("pin", testName)}, want: servingv1alpha1.ReachabilityReachable, wantEvent: ReasonReachableAgain},
		{name: "pending to reachable says nothing", rev: newRevision(fixture.WithRevisionOwner(fn), fixture.WithReachability(servingv1alpha1.ReachabilityPending)),
			objs: []client.Object{fn}, want: servingv1alpha1.ReachabilityReachable},
		{name: "routes cannot be read: the last answer stays", wantErr: true,
			rev:  newRevision(fixture.WithRevisionOwner(moved), fixture.WithReachability(servingv1alpha1.ReachabilityReachable)),
			objs: []client.Object{moved}, funcs: listFails, want: servingv1alpha1.ReachabilityReachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.Setup{Funcs: tt.funcs}, append([]client.Object{tt.rev}, tt.objs...)...)
			if err := h.Reconcile(testKey); (err != nil) != tt.wantErr {
				t.Fatalf("Reconcile error = %v, want an error: %v", err, tt.wantErr)
			}
			got := &servingv1alpha1.Revision{}
			if err := h.Client.Get(context.Background(), testKey, got); err != nil {
				t.Fatal(err)
			}
			if got.Status.Reachability != tt.want {
				t.Errorf("reachability = %q, want %q", got.Status.Reachability, tt.want)
			}
			var reasons []string
			for _, e := range h.Events() {
				if f := strings.Fields(e); f[1] == ReasonUnreachable || f[1] == ReasonReachableAgain {
					reasons = append(reasons, f[1])
				}
			}
			if want := strings.Fields(tt.wantEvent); !slices.Equal(reasons, want) {
				t.Errorf("reachability events = %v, want %v", reasons, want)
			}
		})
	}
}

func TestRouteToRevisions(t *testing.T) {
	rt := pinningRoute("split", "hello-00001")
	rt.Spec.Rules[0].Traffic = append(rt.Spec.Rules[0].Traffic, fixture.ToFunction("hello", 0, "next"))
	fixture.WithResolvedRule(fixture.Resolved("", "hello-00001", 100, ""), fixture.Resolved("hello", "hello-00002", 0, "next"))(rt)
	got := routeToRevisions(context.Background(), rt)
	want := []reconcile.Request{
		{NamespacedName: types.NamespacedName{Namespace: testNamespace, Name: "hello-00001"}},
		{NamespacedName: types.NamespacedName{Namespace: testNamespace, Name: "hello-00002"}},
	}
	if !slices.Equal(got, want) {
		t.Errorf("routeToRevisions = %v, want %v", got, want)
	}
}

func TestFunctionMovedOn(t *testing.T) {
	base := testFunction("hello-00002", "hello-00001")
	deleting := base.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: metav1.Now().Time}
	relabelled := base.DeepCopy()
	relabelled.Labels = map[string]string{"team": "a"}
	tests := []struct {
		name string
		new  *servingv1alpha1.Function
		want bool
	}{
		{"new latest created", testFunction("hello-00003", "hello-00001"), true},
		{"new latest ready", testFunction("hello-00002", "hello-00002"), true},
		{"deletion starts", deleting, true},
		{"only a label changed", relabelled, false},
	}
	for _, tt := range tests {
		if got := functionMovedOn.Update(event.UpdateEvent{ObjectOld: base, ObjectNew: tt.new}); got != tt.want {
			t.Errorf("%s: functionMovedOn = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRouteTargetsChanged(t *testing.T) {
	base := pinningRoute("rt", "hello-00001")
	repinned := pinningRoute("rt", "hello-00002")
	resolved := base.DeepCopy()
	resolved.Status.Rules = []servingv1alpha1.RuleStatus{{Traffic: []servingv1alpha1.ResolvedTarget{{RevisionName: "hello-00001", Percent: 100}}}}
	conditioned := base.DeepCopy()
	conditioned.Status.MarkTrafficAssigned()
	tests := []struct {
		name string
		new  *servingv1alpha1.Route
		want bool
	}{
		{"spec traffic changed", repinned, true},
		{"status traffic changed", resolved, true},
		{"only a condition changed", conditioned, false},
	}
	for _, tt := range tests {
		if got := routeTargetsChanged.Update(event.UpdateEvent{ObjectOld: base, ObjectNew: tt.new}); got != tt.want {
			t.Errorf("%s: routeTargetsChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}
