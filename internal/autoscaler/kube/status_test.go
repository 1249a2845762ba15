package kube

import (
	"encoding/json"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// TestStatusRecorder records decisions on a Revision whose other status
// fields the Revision reconciler has set, on a real API server.
func TestStatusRecorder(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := types.NamespacedName{Namespace: ns, Name: "status-00001"}
	rev := createRevision(t, c, ns, key.Name, nil, 1)
	// What the Revision reconciler owns.
	rev.Status.InitializeConditions()
	rev.Status.MarkResourcesAvailable()
	rev.Status.ObservedGeneration = rev.Generation
	rev.Status.ActualReplicas = ptr.To[int32](3)
	if err := c.Status().Update(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	reconciled := rev.Status.DeepCopy()

	clock := clocktesting.NewFakePassiveClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	r := &StatusRecorder{Client: c, Clock: clock}
	steps := []struct {
		name       string
		dec        decider.Decision
		wantStable string
		wantPanic  string
	}{
		{
			name:       "panic",
			dec:        decider.Decision{DesiredReplicas: 5, Panic: true, StableConcurrency: 12.5, PanicConcurrency: 40, Reason: decider.ReasonPanic},
			wantStable: "12500m", wantPanic: "40",
		},
		{
			name:       "calm again clears panicMode",
			dec:        decider.Decision{DesiredReplicas: 2, StableConcurrency: 10.0 / 3, PanicConcurrency: 0, Reason: decider.ReasonStable},
			wantStable: "3333m", wantPanic: "0",
		},
		{
			name:       "scaled to zero",
			dec:        decider.Decision{Reason: decider.ReasonScaledToZero},
			wantStable: "0", wantPanic: "0",
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.SetTime(clock.Now().Add(time.Minute))
			if err := r.RecordDecision(t.Context(), key, st.dec); err != nil {
				t.Fatal(err)
			}
			got := revisionStatus(t, c, key)
			if ptr.Deref(got.DesiredReplicas, -1) != st.dec.DesiredReplicas {
				t.Errorf("desiredReplicas = %v, want %d", ptr.Deref(got.DesiredReplicas, -1), st.dec.DesiredReplicas)
			}
			a := got.Autoscaler
			if a == nil {
				t.Fatal("no status.autoscaler")
			}
			if a.PanicMode != st.dec.Panic || a.Reason != string(st.dec.Reason) {
				t.Errorf("panicMode, reason = %v, %q; want %v, %q", a.PanicMode, a.Reason, st.dec.Panic, st.dec.Reason)
			}
			if !quantityIs(a.StableConcurrency, st.wantStable) || !quantityIs(a.PanicConcurrency, st.wantPanic) {
				t.Errorf("stable, panic concurrency = %v, %v; want %s, %s", a.StableConcurrency, a.PanicConcurrency, st.wantStable, st.wantPanic)
			}
			if a.LastDecisionTime == nil || !a.LastDecisionTime.Time.Equal(clock.Now()) {
				t.Errorf("lastDecisionTime = %v, want %v", a.LastDecisionTime, clock.Now())
			}
			got.DesiredReplicas, got.Autoscaler = nil, nil
			if !jsonEqual(t, got, *reconciled) {
				t.Errorf("the reconciler's status fields changed:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, *reconciled))
			}
		})
	}

	t.Run("a deleted revision is not an error", func(t *testing.T) {
		gone := types.NamespacedName{Namespace: ns, Name: "gone-00001"}
		if err := r.RecordDecision(t.Context(), gone, decider.Decision{DesiredReplicas: 1, Reason: decider.ReasonStable}); err != nil {
			t.Errorf("RecordDecision() = %v, want nil", err)
		}
	})
}

func quantityIs(q *resource.Quantity, want string) bool {
	return q != nil && q.Cmp(resource.MustParse(want)) == 0
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(t *testing.T, a, b servingv1alpha1.RevisionStatus) bool {
	t.Helper()
	return mustJSON(t, a) == mustJSON(t, b)
}

func TestConcurrencyQuantity(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{in: 0, want: "0"},
		{in: 2.5, want: "2500m"},
		{in: 1.0 / 3, want: "333m"},
		{in: 0.0004, want: "0"},
		{in: -1, want: "0"},
		{in: 1e300, want: "1T"},
	}
	for _, tc := range tests {
		got := concurrency(tc.in)
		if got.Cmp(resource.MustParse(tc.want)) != 0 {
			t.Errorf("concurrency(%v) = %s, want %s", tc.in, got.String(), tc.want)
		}
	}
}
