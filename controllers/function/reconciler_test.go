package function

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/function/resources"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
)

// fn returns Function ns/hello at template version 1 (image img:v1),
// changed by opts.
func fn(opts ...fixture.FunctionOption) *servingv1alpha1.Function {
	return fixture.Function("ns", "hello", append([]fixture.FunctionOption{
		fixture.WithFunctionUID("fn-uid"), fixture.WithFunctionGeneration(1), fixture.WithFunctionImage("img:v1"),
	}, opts...)...)
}

// rev returns the n-th revision of f as the Function reconciler makes it,
// changed by opts.
func rev(f *servingv1alpha1.Function, n int64, opts ...fixture.RevisionOption) *servingv1alpha1.Revision {
	r := resources.MakeRevision(f, n)
	for _, o := range opts {
		o(r)
	}
	return r
}

// Revision readiness, as rev's options.
var (
	revReady     = fixture.WithRevisionReady()
	revFailed    = fixture.WithRevisionFailed("CrashLoopBackOff", "exit 1")
	revDeploying = fixture.WithInitRevisionConditions()
)

// version returns f at template version n (image img:vN), and its
// revisions 1..n, all ready but the n-th, which has the latest readiness.
func version(n int64, latest fixture.RevisionOption, opts ...fixture.FunctionOption) (*servingv1alpha1.Function, []client.Object) {
	var objs []client.Object
	for i := int64(1); i <= n; i++ {
		status := revReady
		if i == n {
			status = latest
		}
		objs = append(objs, rev(fn(fixture.WithFunctionImage(fmt.Sprintf("img:v%d", i))), i, status))
	}
	return fn(append([]fixture.FunctionOption{fixture.WithFunctionImage(fmt.Sprintf("img:v%d", n))}, opts...)...), objs
}

// revNames returns the names of f's revisions with the given numbers.
func revNames(nums ...int) []string {
	var out []string
	for _, n := range nums {
		out = append(out, fmt.Sprintf("hello-%05d", n))
	}
	return out
}

// deleted returns the events for deleting the revisions with the given
// numbers, in that order.
func deleted(nums ...int) []string {
	var out []string
	for _, name := range revNames(nums...) {
		out = append(out, fmt.Sprintf("Deleted Revision %q", name))
	}
	return out
}

type want struct {
	revisions     []string // names of the revisions that exist afterwards
	latestCreated string
	latestReady   string
	ready         corev1.ConditionStatus
	reason        string
	message       string   // Ready's message, when set
	events        []string // substrings, in order
	err           string
}

func TestReconcile(t *testing.T) {
	v1 := fn()
	v2 := fn(fixture.WithFunctionImage("img:v2"))
	unowned := rev(fn(), 1, revReady)
	unowned.OwnerReferences = nil
	route := fixture.Route("ns", "pin", fixture.WithRule(fixture.ToRevision("hello-00001", 100, "")))
	// The Route follows the Function, and its status still resolves to an
	// older revision: only the status names it.
	following := fixture.Route("ns", "follow", fixture.WithRule(fixture.ToFunction("hello", 100, "")),
		fixture.WithResolvedRule(fixture.Resolved("hello", "hello-00002", 100, "")))
	// A Revision made before the template-hash key had its current name.
	legacy := rev(v1, 1, revReady)
	legacy.Annotations[servingv1alpha1.LegacyTemplateHashAnnotationKey] = legacy.Annotations[servingv1alpha1.TemplateHashAnnotationKey]
	delete(legacy.Annotations, servingv1alpha1.TemplateHashAnnotationKey)
	v4Deploying, revsV4Deploying := version(4, revDeploying, fixture.WithHistoryLimit(0))
	v4BehindFailed := fn(fixture.WithFunctionImage("img:v4"), fixture.WithHistoryLimit(1))
	revsV4BehindFailed := []client.Object{rev(v1, 1, revReady), rev(v2, 2, revReady),
		rev(fn(fixture.WithFunctionImage("img:v3")), 3, revFailed), rev(v4BehindFailed, 4, revDeploying)}
	v13, revsV13 := version(13, revReady)
	v4Followed, revsV4Followed := version(4, revReady, fixture.WithHistoryLimit(0))
	// The autoscaler's leader writes status.usage; the reconciler's status
	// writes keep it.
	withUsage := fn(fixture.WithFunctionImage("img:v2"), func(f *servingv1alpha1.Function) {
		f.Status.Usage = &servingv1alpha1.FunctionUsage{
			Days:           []servingv1alpha1.FunctionUsageDay{{Date: "2026-12-02", Requests: 3, Units: 30, GBSeconds: "0.402", VCPUSeconds: "0.300"}},
			CountedThrough: metav1.NewTime(time.Date(2026, 12, 2, 12, 1, 0, 0, time.UTC)),
		}
	})
	createFails := interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.CreateOption) error {
		return errors.New("boom")
	}}
	statusConflicts := interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, o client.Object, opts ...client.SubResourceUpdateOption) error {
		return apierrors.NewConflict(schema.GroupResource{Group: "serving.wake.dev", Resource: "functions"}, o.GetName(), errors.New("modified"))
	}}
	statusFails := interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, o client.Object, opts ...client.SubResourceUpdateOption) error {
		return errors.New("status boom")
	}}

	tests := []struct {
		name    string
		fn      *servingv1alpha1.Function
		objects []client.Object
		funcs   interceptor.Funcs
		want    want
	}{{
		name: "first revision",
		fn:   v1,
		want: want{revisions: []string{"hello-00001"}, latestCreated: "hello-00001", ready: corev1.ConditionUnknown,
			reason: servingv1alpha1.ReasonDeploying, events: []string{`Created Revision "hello-00001"`}},
	}, {
		name:    "unchanged template makes no revision",
		fn:      fn(func(f *servingv1alpha1.Function) { f.Labels = map[string]string{"new": "label"} }),
		objects: []client.Object{rev(v1, 1, revReady)},
		want:    want{revisions: []string{"hello-00001"}, latestCreated: "hello-00001", latestReady: "hello-00001", ready: corev1.ConditionTrue},
	}, {
		name:    "a revision hashed under the legacy key is recognised: an upgrade makes no revision",
		fn:      v1,
		objects: []client.Object{legacy},
		want:    want{revisions: []string{"hello-00001"}, latestCreated: "hello-00001", latestReady: "hello-00001", ready: corev1.ConditionTrue},
	}, {
		name:    "changed template makes the next revision; traffic stays on the ready one",
		fn:      v2,
		objects: []client.Object{rev(v1, 1, revReady)},
		want: want{revisions: []string{"hello-00001", "hello-00002"}, latestCreated: "hello-00002", latestReady: "hello-00001",
			ready: corev1.ConditionUnknown, reason: servingv1alpha1.ReasonDeploying, events: []string{`Created Revision "hello-00002"`}},
	}, {
		name:    "failed latest revision",
		fn:      v2,
		objects: []client.Object{rev(v1, 1, revReady), rev(v2, 2, revFailed)},
		want: want{revisions: []string{"hello-00001", "hello-00002"}, latestCreated: "hello-00002", latestReady: "hello-00001",
			ready: corev1.ConditionFalse, reason: servingv1alpha1.ReasonRevisionFailed},
	}, {
		name: "latest revision refused by a quota: the Function fails with the API server's message",
		fn:   v2,
		objects: []client.Object{rev(v1, 1, revReady), func() *servingv1alpha1.Revision {
			r := rev(v2, 2, revDeploying)
			r.Status.MarkResourcesUnavailable(servingv1alpha1.ReasonQuotaExceeded, `deployments.apps "hello-00002" is forbidden: exceeded quota: team`)
			return r
		}()},
		want: want{revisions: []string{"hello-00001", "hello-00002"}, latestCreated: "hello-00002", latestReady: "hello-00001",
			ready: corev1.ConditionFalse, reason: servingv1alpha1.ReasonRevisionFailed,
			message: `Revision "hello-00002" failed: QuotaExceeded: deployments.apps "hello-00002" is forbidden: exceeded quota: team`},
	}, {
		name:    "revision name taken by an object we do not own",
		fn:      v1,
		objects: []client.Object{unowned},
		want: want{revisions: []string{"hello-00001"}, ready: corev1.ConditionFalse, reason: servingv1alpha1.ReasonNotOwned,
			events: []string{`Revision "hello-00001" exists and is not controlled by this Function`}},
	}, {
		name: "history limit deletes the oldest unreferenced revisions",
		fn:   fn(fixture.WithFunctionImage("img:v4"), fixture.WithHistoryLimit(1)),
		objects: []client.Object{rev(v1, 1, revReady), rev(v2, 2, revReady),
			rev(fn(fixture.WithFunctionImage("img:v3")), 3, revReady), rev(fn(fixture.WithFunctionImage("img:v4")), 4, revReady)},
		want: want{revisions: []string{"hello-00003", "hello-00004"}, latestCreated: "hello-00004", latestReady: "hello-00004",
			ready: corev1.ConditionTrue, events: []string{`Deleted Revision "hello-00002"`, `Deleted Revision "hello-00001"`}},
	}, {
		name: "history limit keeps revisions a Route names",
		fn:   fn(fixture.WithFunctionImage("img:v3"), fixture.WithHistoryLimit(0)),
		objects: []client.Object{route, rev(v1, 1, revReady), rev(v2, 2, revReady),
			rev(fn(fixture.WithFunctionImage("img:v3")), 3, revReady)},
		want: want{revisions: []string{"hello-00001", "hello-00003"}, latestCreated: "hello-00003", latestReady: "hello-00003",
			ready: corev1.ConditionTrue, events: []string{`Deleted Revision "hello-00002"`}},
	}, {
		name:    "history limit keeps the latest ready revision while a newer one deploys",
		fn:      v4Deploying,
		objects: revsV4Deploying,
		want: want{revisions: revNames(3, 4), latestCreated: "hello-00004", latestReady: "hello-00003",
			ready: corev1.ConditionUnknown, reason: servingv1alpha1.ReasonDeploying, events: deleted(2, 1)},
	}, {
		name:    "history limit keeps the latest ready revision behind a failed one, which counts",
		fn:      v4BehindFailed,
		objects: revsV4BehindFailed,
		want: want{revisions: revNames(2, 3, 4), latestCreated: "hello-00004", latestReady: "hello-00002",
			ready: corev1.ConditionUnknown, reason: servingv1alpha1.ReasonDeploying, events: deleted(1)},
	}, {
		name:    "unset history limit keeps the 10 newest old revisions",
		fn:      v13,
		objects: revsV13,
		want: want{revisions: revNames(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), latestCreated: "hello-00013", latestReady: "hello-00013",
			ready: corev1.ConditionTrue, events: deleted(2, 1)},
	}, {
		name:    "history limit keeps revisions only a Route's status names",
		fn:      v4Followed,
		objects: append([]client.Object{following}, revsV4Followed...),
		want: want{revisions: revNames(2, 4), latestCreated: "hello-00004", latestReady: "hello-00004",
			ready: corev1.ConditionTrue, events: deleted(3, 1)},
	}, {
		name:    "status.usage is kept when the status is written",
		fn:      withUsage,
		objects: []client.Object{rev(v1, 1, revReady)},
		want: want{revisions: []string{"hello-00001", "hello-00002"}, latestCreated: "hello-00002", latestReady: "hello-00001",
			ready: corev1.ConditionUnknown, reason: servingv1alpha1.ReasonDeploying, events: []string{`Created Revision "hello-00002"`}},
	}, {
		name:  "create failure is returned and reported",
		fn:    v1,
		funcs: createFails,
		want:  want{ready: corev1.ConditionUnknown, err: "create revision ns/hello-00001: boom", events: []string{"boom"}},
	}, {
		name:    "status conflict is not an error: the newer version comes back",
		fn:      v1,
		objects: []client.Object{rev(v1, 1, revReady)},
		funcs:   statusConflicts,
		want:    want{revisions: []string{"hello-00001"}},
	}, {
		name:    "status update failure is returned",
		fn:      v1,
		objects: []client.Object{rev(v1, 1, revReady)},
		funcs:   statusFails,
		want:    want{revisions: []string{"hello-00001"}, err: "status boom"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.Setup{Funcs: tt.funcs}, append(tt.objects, tt.fn)...)
			c := h.Client
			err := h.Reconcile(client.ObjectKeyFromObject(tt.fn))
			if tt.want.err == "" && err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if tt.want.err != "" && (err == nil || !strings.Contains(err.Error(), tt.want.err)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.want.err)
			}
			checkEvents(t, h.Events(), tt.want.events)

			revs := &servingv1alpha1.RevisionList{}
			if err := c.List(context.Background(), revs); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range revs.Items {
				names = append(names, r.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.want.revisions) {
				t.Errorf("revisions = %v, want %v", names, tt.want.revisions)
			}
			if tt.funcs.SubResourceUpdate != nil {
				return // status was not written
			}
			got := &servingv1alpha1.Function{}
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(tt.fn), got); err != nil {
				t.Fatal(err)
			}
			s := got.Status
			if s.LatestCreatedRevisionName != tt.want.latestCreated || s.LatestReadyRevisionName != tt.want.latestReady {
				t.Errorf("latest created/ready = %q/%q, want %q/%q", s.LatestCreatedRevisionName, s.LatestReadyRevisionName,
					tt.want.latestCreated, tt.want.latestReady)
			}
			ready := s.GetCondition(apis.ConditionReady)
			if ready == nil || ready.Status != tt.want.ready || (tt.want.reason != "" && ready.Reason != tt.want.reason) {
				t.Errorf("Ready = %+v, want %s/%s", ready, tt.want.ready, tt.want.reason)
			}
			if tt.want.message != "" {
				for _, ct := range []apis.ConditionType{apis.ConditionReady, servingv1alpha1.FunctionConditionLatestRevisionReady} {
					if c := s.GetCondition(ct); c == nil || c.Message != tt.want.message {
						t.Errorf("%s = %+v, want message %q", ct, c, tt.want.message)
					}
				}
			}
			if s.ObservedGeneration != tt.fn.Generation {
				t.Errorf("observedGeneration = %d, want %d", s.ObservedGeneration, tt.fn.Generation)
			}
			if s.URL.String() != "http://hello.ns.example.com" {
				t.Errorf("url = %s", s.URL)
			}
			if !equality.Semantic.DeepEqual(s.Usage, tt.fn.Status.Usage) {
				t.Errorf("usage = %+v, want %+v kept", s.Usage, tt.fn.Status.Usage)
			}
		})
	}
}

// checkEvents checks that got has one event per entry of want, in order,
// each containing that entry.
func checkEvents(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events = %q, want %d matching %q", got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("event %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestRevisionChanged(t *testing.T) {
	ready := func(status corev1.ConditionStatus, reason string) *servingv1alpha1.Revision {
		r := &servingv1alpha1.Revision{}
		r.Status.SetConditions(apis.Conditions{{Type: apis.ConditionReady, Status: status, Reason: reason}})
		return r
	}
	scaled := ready(corev1.ConditionTrue, "")
	scaled.Status.ActualReplicas, scaled.Status.Reachability = ptr.To[int32](3), servingv1alpha1.ReachabilityReachable
	tests := []struct {
		name     string
		old, cur *servingv1alpha1.Revision
		want     bool
	}{
		{name: "scale and reachability", old: ready(corev1.ConditionTrue, ""), cur: scaled, want: false},
		{name: "became ready", old: ready(corev1.ConditionUnknown, "Deploying"), cur: ready(corev1.ConditionTrue, ""), want: true},
		{name: "another reason", old: ready(corev1.ConditionFalse, "A"), cur: ready(corev1.ConditionFalse, "B"), want: true},
		{name: "first conditions", old: &servingv1alpha1.Revision{}, cur: ready(corev1.ConditionUnknown, ""), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := revisionChanged(tc.old, tc.cur); got != tc.want {
				t.Errorf("revisionChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
