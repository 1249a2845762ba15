package tenantpolicy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
)

// usage is a Usage that reports fixed numbers.
type usage map[string]float64

func (u usage) InFlight(ns string) float64 { return u[ns] }

func newReconciler(d reconciler.Deps) *Reconciler { return &Reconciler{Deps: d} }

// withUsage makes the reconciler under test with u as its Usage.
func withUsage(u Usage) reconcilertest.NewReconciler[*Reconciler] {
	return func(d reconciler.Deps) *Reconciler { return &Reconciler{Deps: d, Usage: u} }
}

// failList fails listing objects of list's type with errBoom.
func failList(list client.ObjectList) interceptor.Funcs {
	want := fmt.Sprintf("%T", list)
	return interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, opts ...client.ListOption) error {
		if fmt.Sprintf("%T", l) == want {
			return errBoom
		}
		return c.List(ctx, l, opts...)
	}}
}

var errBoom = errors.New("boom")

func TestReconcile(t *testing.T) {
	free := servingv1alpha1.TenantLimits{MaxInFlight: ptr.To[int32](10), RequestsPerSecond: ptr.To[int32](5), MaxPods: ptr.To[int32](4)}
	policy := func(opts ...fixture.TenantPolicyOption) *servingv1alpha1.TenantPolicy {
		return fixture.TenantPolicy("free", append([]fixture.TenantPolicyOption{
			fixture.WithNamespaceLabel("tier", "free"), fixture.WithTenantLimits(free), fixture.WithPolicyCreated(time.Hour), fixture.WithPolicyGeneration(2),
		}, opts...)...)
	}
	namespaces := []client.Object{
		fixture.Namespace("team-b", map[string]string{"tier": "free"}),
		fixture.Namespace("team-a", map[string]string{"tier": "free", "vip": "yes"}),
		fixture.Namespace("team-c", map[string]string{"tier": "paid"}),
	}
	revisions := []client.Object{
		fixture.Revision("team-a", "api-00001", fixture.WithDesiredReplicas(2)),
		fixture.Revision("team-a", "api-00002", fixture.WithDesiredReplicas(1)),
		fixture.Revision("team-a", "new-00001"), // not decided yet
		fixture.Revision("team-c", "web-00001", fixture.WithDesiredReplicas(9)),
	}
	// Limits in force under wake-config tenant-max-held-requests=100 and
	// tenant-max-scale-up-per-minute=6: the policy's, the defaults for the
	// others, and a burst equal to the policy's rate.
	freeIn := servingv1alpha1.TenantLimitsInForce{MaxInFlight: 10, MaxHeldRequests: 100, RequestsPerSecond: 5, Burst: 5, MaxPods: 4, MaxScaleUpPerMinute: 6}
	cfg := map[string]string{config.KeyTenantMaxHeldRequests: "100", config.KeyTenantMaxScaleUpPerMinute: "6"}
	objs := func(extra ...client.Object) []client.Object {
		return append(append(append([]client.Object{}, namespaces...), revisions...), extra...)
	}

	tests := []struct {
		name          string
		objs          []client.Object
		usage         Usage
		funcs         interceptor.Funcs
		wantErr       string
		wantReady     corev1.ConditionStatus
		wantReason    string
		wantMessage   string
		wantExclusive corev1.ConditionStatus
		wantOverlap   string
		wantCount     int32
		wantNS        []servingv1alpha1.TenantNamespaceStatus
		wantEvents    []string
	}{{
		name:          "applied: governs the labelled namespaces, by name, with their limits and use",
		objs:          objs(policy()),
		usage:         usage{"team-a": 2.6, "team-b": 0.4, "team-c": 50},
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionTrue,
		wantCount:     2,
		wantNS: []servingv1alpha1.TenantNamespaceStatus{
			{Name: "team-a", Limits: freeIn, Pods: 3, InFlight: 3},
			{Name: "team-b", Limits: freeIn},
		},
		wantEvents: []string{"Normal Applied TenantPolicy applied: it governs 2 namespaces"},
	}, {
		name:          "no Usage: in flight shows 0",
		objs:          objs(policy()),
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionTrue,
		wantCount:     2,
		wantNS: []servingv1alpha1.TenantNamespaceStatus{
			{Name: "team-a", Limits: freeIn, Pods: 3},
			{Name: "team-b", Limits: freeIn},
		},
		wantEvents: []string{"Normal Applied TenantPolicy applied: it governs 2 namespaces"},
	}, {
		name:          "no namespace selected",
		objs:          objs(policy(fixture.WithNamespaceLabel("tier", "gold"))),
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionTrue,
		wantEvents:    []string{"Normal Applied TenantPolicy applied: it governs 0 namespaces"},
	}, {
		name:          "invalid selector: not Ready, naming spec.namespaceSelector; selects nothing",
		objs:          objs(policy(fixture.WithNamespaceExpression("tier", "Near", "free"))),
		wantReady:     corev1.ConditionFalse,
		wantReason:    servingv1alpha1.ReasonInvalidSelector,
		wantMessage:   `spec.namespaceSelector: "Near" is not a valid label selector operator`,
		wantExclusive: corev1.ConditionTrue,
		wantEvents:    []string{`Warning InvalidSelector spec.namespaceSelector: "Near" is not a valid label selector operator`},
	}, {
		name: "overlap: an older policy governs team-a, this one governs the rest",
		objs: objs(policy(), fixture.TenantPolicy("vip", fixture.WithNamespaceLabel("vip", "yes"), fixture.WithPolicyCreated(time.Minute))),
		// A newer policy selecting the same namespaces changes nothing.
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionFalse,
		wantOverlap:   "1 selected namespaces are governed by older policies: team-a by vip",
		wantCount:     1,
		wantNS:        []servingv1alpha1.TenantNamespaceStatus{{Name: "team-b", Limits: freeIn}},
		wantEvents: []string{
			"Normal Applied TenantPolicy applied: it governs 1 namespaces",
			"Warning GovernedByOlderPolicy 1 selected namespaces are governed by older policies: team-a by vip",
		},
	}, {
		name:          "a newer policy selecting the same namespaces takes nothing",
		objs:          objs(policy(), fixture.TenantPolicy("all", fixture.WithPolicyCreated(2*time.Hour))),
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionTrue,
		wantCount:     2,
		wantNS: []servingv1alpha1.TenantNamespaceStatus{
			{Name: "team-a", Limits: freeIn, Pods: 3},
			{Name: "team-b", Limits: freeIn},
		},
		wantEvents: []string{"Normal Applied TenantPolicy applied: it governs 2 namespaces"},
	}, {
		name:          "listing policies fails: status as it was",
		objs:          objs(policy()),
		funcs:         failList(&servingv1alpha1.TenantPolicyList{}),
		wantErr:       "list tenant policies: boom",
		wantReady:     corev1.ConditionUnknown,
		wantExclusive: "",
		wantEvents:    []string{"Warning ReconcileFailed list tenant policies: boom"},
	}, {
		name:          "listing namespaces fails: status as it was",
		objs:          objs(policy()),
		funcs:         failList(&metav1.PartialObjectMetadataList{}),
		wantErr:       "list namespaces: boom",
		wantReady:     corev1.ConditionUnknown,
		wantExclusive: "",
		wantEvents:    []string{"Warning ReconcileFailed list namespaces: boom"},
	}, {
		name:          "listing revisions fails: conditions and count, namespaces as they were",
		objs:          objs(policy()),
		funcs:         failList(&servingv1alpha1.RevisionList{}),
		wantErr:       "list revisions of namespace team-a: boom",
		wantReady:     corev1.ConditionTrue,
		wantExclusive: corev1.ConditionTrue,
		wantCount:     2,
		wantEvents: []string{
			"Normal Applied TenantPolicy applied: it governs 2 namespaces",
			"Warning ReconcileFailed list revisions of namespace team-a: boom",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reconcilertest.New(t, reconcilertest.Setup{Config: cfg, Funcs: tt.funcs}, withUsage(tt.usage), tt.objs...)
			err := h.Reconcile(client.ObjectKey{Name: "free"})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
			}
			got := getPolicy(t, h.Client, "free")
			if got.Status.ObservedGeneration != 2 {
				t.Errorf("observedGeneration = %d, want 2", got.Status.ObservedGeneration)
			}
			ready := got.Status.GetCondition(apis.ConditionReady)
			if ready == nil || ready.Status != tt.wantReady || ready.Reason != tt.wantReason || ready.Message != tt.wantMessage {
				t.Errorf("Ready = %+v, want %s %q %q", ready, tt.wantReady, tt.wantReason, tt.wantMessage)
			}
			exclusive := got.Status.GetCondition(servingv1alpha1.TenantPolicyConditionExclusive)
			if status := conditionStatus(exclusive); status != tt.wantExclusive || exclusive != nil && exclusive.Message != tt.wantOverlap {
				t.Errorf("Exclusive = %+v, want %q %q", exclusive, tt.wantExclusive, tt.wantOverlap)
			}
			if tt.wantOverlap != "" && exclusive.Reason != servingv1alpha1.ReasonGovernedByOlderPolicy {
				t.Errorf("Exclusive reason = %q, want %q", exclusive.Reason, servingv1alpha1.ReasonGovernedByOlderPolicy)
			}
			if got.Status.NamespaceCount != tt.wantCount {
				t.Errorf("namespaceCount = %d, want %d", got.Status.NamespaceCount, tt.wantCount)
			}
			if diff := cmp.Diff(tt.wantNS, got.Status.Namespaces); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEvents, h.Events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// conditionStatus is c's status, "" when c is absent.
func conditionStatus(c *apis.Condition) corev1.ConditionStatus {
	if c == nil {
		return ""
	}
	return c.Status
}

// getPolicy reads TenantPolicy name.
func getPolicy(t *testing.T, c client.Client, name string) *servingv1alpha1.TenantPolicy {
	t.Helper()
	p := &servingv1alpha1.TenantPolicy{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStatusBounded: a policy governing more than
// MaxTenantNamespacesInStatus namespaces counts them all but lists only
// the first MaxTenantNamespacesInStatus by name.
func TestStatusBounded(t *testing.T) {
	total := servingv1alpha1.MaxTenantNamespacesInStatus + 3
	objs := []client.Object{fixture.TenantPolicy("all")}
	for i := total - 1; i >= 0; i-- {
		objs = append(objs, fixture.Namespace(fmt.Sprintf("ns-%04d", i), nil))
	}
	h := reconcilertest.New(t, reconcilertest.Setup{}, newReconciler, objs...)
	if err := h.Reconcile(client.ObjectKey{Name: "all"}); err != nil {
		t.Fatal(err)
	}
	st := getPolicy(t, h.Client, "all").Status
	if int(st.NamespaceCount) != total || len(st.Namespaces) != servingv1alpha1.MaxTenantNamespacesInStatus {
		t.Fatalf("namespaceCount %d with %d listed, want %d with %d", st.NamespaceCount, len(st.Namespaces), total, servingv1alpha1.MaxTenantNamespacesInStatus)
	}
	if first, last := st.Namespaces[0].Name, st.Namespaces[len(st.Namespaces)-1].Name; first != "ns-0000" || last != "ns-0499" {
		t.Errorf("listed %s to %s, want ns-0000 to ns-0499", first, last)
	}
}

// TestStatusWrittenOnlyOnChange: reconciles that change nothing write no
// status and record no event; a change of use is written, without an
// event; every successful reconcile asks to come back after UsageRefresh.
func TestStatusWrittenOnlyOnChange(t *testing.T) {
	u := usage{"team-a": 1}
	h := reconcilertest.New(t, reconcilertest.Setup{}, withUsage(u),
		fixture.TenantPolicy("free", fixture.WithNamespaceLabel("tier", "free"), fixture.WithPolicyCreated(time.Hour)),
		fixture.TenantPolicy("old", fixture.WithNamespaceLabel("vip", "yes"), fixture.WithPolicyCreated(0)),
		fixture.Namespace("team-a", map[string]string{"tier": "free"}),
		fixture.Namespace("team-b", map[string]string{"tier": "free", "vip": "yes"}))
	steps := []struct {
		name       string
		inFlight   float64
		wantWrites int
		wantEvents int
	}{
		{"first reconcile: applied and overlapped", 1, 1, 2},
		{"nothing changed", 1, 1, 0},
		{"use changed by less than a request", 1.2, 1, 0},
		{"use changed", 4, 2, 0},
		{"nothing changed again", 4, 2, 0},
	}
	for _, s := range steps {
		u["team-a"] = s.inFlight
		res, err := h.R.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "free"}})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if res.RequeueAfter != UsageRefresh {
			t.Errorf("%s: RequeueAfter = %v, want %v", s.name, res.RequeueAfter, UsageRefresh)
		}
		if h.StatusUpdates != s.wantWrites {
			t.Errorf("%s: %d status writes in all, want %d", s.name, h.StatusUpdates, s.wantWrites)
		}
		if ev := h.Events(); len(ev) != s.wantEvents {
			t.Errorf("%s: events %q, want %d", s.name, ev, s.wantEvents)
		}
	}
	if got := getPolicy(t, h.Client, "free").Status.Namespaces; len(got) != 1 || got[0].InFlight != 4 {
		t.Errorf("namespaces = %+v, want team-a with 4 in flight", got)
	}
}

// TestEventsOnChange: a Warning is recorded again when the overlap
// changes, and the Normal Applied again only after the policy was invalid.
func TestEventsOnChange(t *testing.T) {
	h := reconcilertest.New(t, reconcilertest.Setup{}, newReconciler,
		fixture.TenantPolicy("new", fixture.WithNamespaceLabel("tier", "free"), fixture.WithPolicyCreated(time.Hour)),
		fixture.TenantPolicy("old", fixture.WithNamespaceLabel("vip", "yes"), fixture.WithPolicyCreated(0)),
		fixture.Namespace("team-a", map[string]string{"tier": "free", "vip": "yes"}))
	ctx := context.Background()
	reconcile := func() []string {
		t.Helper()
		if err := h.Reconcile(client.ObjectKey{Name: "new"}); err != nil {
			t.Fatal(err)
		}
		return h.Events()
	}
	update := func(obj client.Object) {
		t.Helper()
		if err := h.Client.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if ev := reconcile(); len(ev) != 2 {
		t.Fatalf("first reconcile: events %q, want Applied and GovernedByOlderPolicy", ev)
	}
	if err := h.Client.Create(ctx, fixture.Namespace("team-b", map[string]string{"tier": "free", "vip": "yes"})); err != nil {
		t.Fatal(err)
	}
	want := "Warning GovernedByOlderPolicy 2 selected namespaces are governed by older policies: team-a by old, team-b by old"
	if diff := cmp.Diff([]string{want}, reconcile()); diff != "" {
		t.Errorf("after a second overlap (-want +got):\n%s", diff)
	}
	p := getPolicy(t, h.Client, "new")
	p.Spec.NamespaceSelector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Near"}}
	update(p)
	if ev := reconcile(); len(ev) != 1 || !strings.HasPrefix(ev[0], "Warning InvalidSelector ") {
		t.Errorf("invalid: events %q, want one InvalidSelector", ev)
	}
	p = getPolicy(t, h.Client, "new")
	p.Spec.NamespaceSelector.MatchExpressions = nil
	update(p)
	if ev := reconcile(); len(ev) != 2 || !strings.HasPrefix(ev[0], "Normal Applied ") {
		t.Errorf("fixed: events %q, want Applied and the overlap again", ev)
	}
}

func TestOverlapMessage(t *testing.T) {
	governing := map[string]string{}
	var many []string
	for i := range MaxOverlapsListed + 2 {
		ns := fmt.Sprintf("ns-%02d", i)
		many = append(many, ns)
		governing[ns] = "p" + fmt.Sprint(i%2)
	}
	tests := []struct {
		name       string
		overlapped []string
		want       string
	}{
		{"one", many[:1], "1 selected namespaces are governed by older policies: ns-00 by p0"},
		{"two policies", many[:2], "2 selected namespaces are governed by older policies: ns-00 by p0, ns-01 by p1"},
		{"bounded", many, "12 selected namespaces are governed by older policies: ns-00 by p0, ns-01 by p1, ns-02 by p0, ns-03 by p1, " +
			"ns-04 by p0, ns-05 by p1, ns-06 by p0, ns-07 by p1, ns-08 by p0, ns-09 by p1, and 2 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OverlapMessage(tt.overlapped, governing); got != tt.want {
				t.Errorf("OverlapMessage = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestNamespaceStatusBoundsUse(t *testing.T) {
	tests := []struct {
		name         string
		pods         int64
		inFlight     float64
		wantPods     int32
		wantInFlight int32
	}{
		{"rounded to the nearest request", 3, 2.5, 3, 3},
		{"negative in flight is 0", 0, -4, 0, 0},
		{"NaN in flight is 0", 0, math.NaN(), 0, 0},
		{"huge numbers are capped", math.MaxInt64, math.Inf(1), math.MaxInt32, math.MaxInt32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NamespaceStatus("ns", servingv1alpha1.TenantLimitsInForce{}, tt.pods, tt.inFlight)
			if got.Pods != tt.wantPods || got.InFlight != tt.wantInFlight {
				t.Errorf("pods %d in flight %d, want %d and %d", got.Pods, got.InFlight, tt.wantPods, tt.wantInFlight)
			}
		})
	}
}
