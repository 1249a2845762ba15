package route

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
)

// names returns the requests as sorted "namespace/name" strings.
func names(reqs []reconcile.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if s := r.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func TestMapFuncs(t *testing.T) {
	tagged := newRoute("team-c", "tagged", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")
	tagged.Spec.Rules[0].Traffic[0].Tag = "canary"
	r := newHarness(t, reconcilertest.Setup{},
		newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org", "www.example.org"),
		newRoute("team-b", "same-host", 1, fixture.ToFunction("other", 100, ""), "api.example.org"),
		newRoute("team-b", "other-host", 1, fixture.ToFunction("other", 100, ""), "other.example.org"),
		newRoute("team-b", "wild", 1, fixture.ToFunction("other", 100, ""), "*.example.org"),
		newRoute("team-a", "pinned", 1, fixture.ToRevision("hello-00001", 100, ""), "pinned.example.org"),
		newRoute("team-b", "hello-elsewhere", 1, fixture.ToFunction("hello", 100, ""), "b.example.org"),
		newRoute("team-d", "tag-host", 1, fixture.ToFunction("x", 100, ""), "canary-api.example.org"),
		tagged,
	).R
	ctx := context.Background()

	changed := newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org", "www.example.org")
	want := []string{"team-b/same-host", "team-c/tagged"}
	if diff := cmp.Diff(want, names(r.routesSharingHosts(ctx, changed))); diff != "" {
		t.Errorf("routesSharingHosts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"team-a/api", "team-b/same-host", "team-d/tag-host"}, names(r.routesSharingHosts(ctx, tagged))); diff != "" {
		t.Errorf("routesSharingHosts of a tagged Route (-want +got):\n%s", diff)
	}

	fn := readyFunction("hello", "hello-00002")
	if diff := cmp.Diff([]string{"team-a/api"}, names(r.routesForFunction(ctx, fn))); diff != "" {
		t.Errorf("routesForFunction (-want +got):\n%s", diff)
	}

	rev := fixture.Revision("team-a", "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady())
	if diff := cmp.Diff([]string{"team-a/api", "team-a/pinned"}, names(r.routesForRevision(ctx, rev))); diff != "" {
		t.Errorf("routesForRevision (-want +got):\n%s", diff)
	}
	unlabelled := fixture.Revision("team-a", "hello-00001", fixture.WithRevisionReady())
	if diff := cmp.Diff([]string{"team-a/pinned"}, names(r.routesForRevision(ctx, unlabelled))); diff != "" {
		t.Errorf("routesForRevision without function label (-want +got):\n%s", diff)
	}
}

func TestMapFuncListErrorEnqueuesNothing(t *testing.T) {
	r := newHarness(t, reconcilertest.Setup{Funcs: interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return errBoom
	}}}).R
	if got := r.routesForFunction(context.Background(), readyFunction("other", "")); len(got) != 0 {
		t.Errorf("routesForFunction = %v, want none", got)
	}
}

func TestPredicates(t *testing.T) {
	base := newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")
	statusOnly := base.DeepCopy()
	statusOnly.Status.ObservedGeneration = 9
	newHost := base.DeepCopy()
	newHost.Spec.Hosts = append(newHost.Spec.Hosts, "www.example.org")
	newTag := base.DeepCopy()
	newTag.Spec.Rules[0].Traffic[0].Tag = "canary"
	deleting := base.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: fixture.Epoch}

	fn := readyFunction("hello", "hello-00001")
	fnNewLatest := fn.DeepCopy()
	fnNewLatest.Status.LatestReadyRevisionName = "hello-00002"
	fnFailed := fn.DeepCopy()
	fnFailed.Status.MarkLatestRevisionFailed(servingv1alpha1.ReasonRevisionFailed, "boom")
	fnURL := fn.DeepCopy()
	fnURL.Status.ObservedGeneration = 3

	rev := fixture.Revision("team-a", "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithInitRevisionConditions())
	revReady := fixture.Revision("team-a", "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady())
	revScaled := rev.DeepCopy()
	revScaled.Status.ActualReplicas = new(int32)

	for _, tt := range []struct {
		name     string
		pass     bool
		old, new client.Object
		update   func(event.UpdateEvent) bool
	}{
		{"route status only", false, base, statusOnly, hostsChanged().Update},
		{"route adds a host", true, base, newHost, hostsChanged().Update},
		{"route adds a tag", true, base, newTag, hostsChanged().Update},
		{"route starts deleting", true, base, deleting, hostsChanged().Update},
		{"function changes latest ready", true, fn, fnNewLatest, functionChanged().Update},
		{"function fails", true, fn, fnFailed, functionChanged().Update},
		{"function observedGeneration only", false, fn, fnURL, functionChanged().Update},
		{"revision becomes ready", true, rev, revReady, revisionChanged().Update},
		{"revision replicas only", false, rev, revScaled, revisionChanged().Update},
	} {
		if got := tt.update(event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}); got != tt.pass {
			t.Errorf("%s: predicate = %v, want %v", tt.name, got, tt.pass)
		}
	}
	if hostsChanged().Create(event.CreateEvent{Object: base}) {
		t.Error("hostsChanged passes creations")
	}
	if !hostsChanged().Delete(event.DeleteEvent{Object: base}) {
		t.Error("hostsChanged drops deletions")
	}
}
