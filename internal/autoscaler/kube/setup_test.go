package kube

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/testutil"
)

// TestPokeWakesRevisionAtZero: one poke over a real TCP connection scales
// a revision at zero to max(1, initialScale) and shows it on the status.
// The scaler never ticks in this test, so only the poke can write.
func TestPokeWakesRevisionAtZero(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	tests := []struct {
		name       string
		initial    *int32
		want       int32
		wantReason decider.Reason // "" when it depends on the load
	}{
		{name: "cluster default initial scale", want: 1},
		{name: "initialScale 0 wakes to 1", initial: ptr.To[int32](0), want: 1},
		{name: "initialScale 3", initial: ptr.To[int32](3), want: 3, wantReason: decider.ReasonActivating},
	}
	for i, tc := range tests {
		createRevision(t, c, ns, fmt.Sprintf("wake-%05d", i+1), &servingv1alpha1.Scaling{InitialScale: tc.initial}, 0)
	}
	s := startStack(t, stackOptions{namespace: ns, tickInterval: time.Hour})
	testutil.Eventually(t, wait, "the autoscaler tracks the revisions", s.tracking(t, len(tests)))
	a := dial(t, s)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("wake-%05d", i+1)}
			if got := scaleOf(t, c, ns, key.Name); got != 0 {
				t.Fatalf("scale before the poke = %d, want 0", got)
			}
			a.poke(key)
			testutil.Eventually(t, wait, "scaled", scaledTo(t, c, key, tc.want))
			st := revisionStatus(t, c, key)
			if st.Autoscaler == nil || st.Autoscaler.Reason == "" || st.Autoscaler.LastDecisionTime == nil {
				t.Fatalf("status.autoscaler = %+v, want a reason and a decision time", st.Autoscaler)
			}
			if tc.wantReason != "" && st.Autoscaler.Reason != string(tc.wantReason) {
				t.Errorf("status.autoscaler.reason = %q, want %q", st.Autoscaler.Reason, tc.wantReason)
			}
		})
	}
}

// TestScaleFollowsConcurrency: the scale follows the concurrency that an
// activator keeps reporting, up and back down.
func TestScaleFollowsConcurrency(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := types.NamespacedName{Namespace: ns, Name: "busy-00001"}
	createRevision(t, c, ns, key.Name, &servingv1alpha1.Scaling{
		Target:       ptr.To[int32](10),
		StableWindow: &metav1.Duration{Duration: 6 * time.Second},
	}, 1)
	s := startStack(t, stackOptions{namespace: ns, tickInterval: 200 * time.Millisecond})
	a := dial(t, s)
	a.setLoad(key, 35)
	a.report(200 * time.Millisecond)

	for _, step := range []struct {
		load float64
		want int32
	}{
		{load: 35, want: 4}, // 35 / 10 per pod
		{load: 75, want: 8},
		{load: 15, want: 2}, // once the panic and the stable window are over
	} {
		a.setLoad(key, step.load)
		testutil.Eventually(t, wait, fmt.Sprintf("load %v: scaled", step.load), scaledTo(t, c, key, step.want))
		st := revisionStatus(t, c, key)
		if st.Autoscaler == nil || st.Autoscaler.StableConcurrency == nil || st.Autoscaler.StableConcurrency.Sign() <= 0 {
			t.Errorf("load %v: status.autoscaler = %+v, want a positive stable concurrency", step.load, st.Autoscaler)
		}
	}
}

// TestStandbyOnlyWakes: a replica that is not elected collects stats and
// pokes, wakes a poked revision at zero (the leader may be dead, its lease
// not yet run out) but decides nothing else and writes no status, and
// takes over once it is elected.
func TestStandbyOnlyWakes(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	const leaseID = "wake-controller"
	now := metav1.NowMicro()
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: leaseID},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("another-replica"),
			LeaseDurationSeconds: ptr.To[int32](3600),
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	}
	if err := c.Create(t.Context(), lease); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: "idle-00001"}
	createRevision(t, c, ns, key.Name, &servingv1alpha1.Scaling{Target: ptr.To[int32](10)}, 0)
	s := startStack(t, stackOptions{namespace: ns, tickInterval: 200 * time.Millisecond, leaseID: leaseID})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	a := dial(t, s)
	a.setLoad(key, 35)
	a.report(200 * time.Millisecond)
	a.poke(key)
	testutil.Eventually(t, wait, "the standby wakes the poked revision", func(context.Context) error {
		if scale := scaleOf(t, c, ns, key.Name); scale != 4 { // 35 / 10 per pod
			return fmt.Errorf("scale %d, want 4", scale)
		}
		return nil
	})

	// Ten ticks' worth of time with more demand: no scale-up, no status.
	a.setLoad(key, 75)
	end := time.Now().Add(2 * time.Second)
	for time.Now().Before(end) {
		if scale := scaleOf(t, c, ns, key.Name); scale != 4 {
			t.Fatalf("a standby scaled the woken revision to %d", scale)
		}
		if st := revisionStatus(t, c, key); st.DesiredReplicas != nil || st.Autoscaler != nil {
			t.Fatalf("a standby wrote the status: desiredReplicas %v, autoscaler %+v", st.DesiredReplicas, st.Autoscaler)
		}
		time.Sleep(50 * time.Millisecond) // the observation window's pace, not a wait for a condition
	}

	if err := c.Delete(t.Context(), lease); err != nil { // the other replica is gone
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, "after election: scaled", scaledTo(t, c, key, 8))
}

// TestUnreachableScalesToZero: a minScale-1 revision whose
// status.reachability is set to Unreachable goes to zero once its grace
// period has passed, and comes back to minScale once it is set to
// Reachable again. An activator reports (no load), so that the samples are
// fresh: without them the scale is held.
func TestUnreachableScalesToZero(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := types.NamespacedName{Namespace: ns, Name: "old-00001"}
	const grace = 2 * time.Second
	createRevision(t, c, ns, key.Name, &servingv1alpha1.Scaling{
		MinScale:               ptr.To[int32](1),
		StableWindow:           &metav1.Duration{Duration: 6 * time.Second},
		ScaleToZeroGracePeriod: &metav1.Duration{Duration: grace},
	}, 1)
	s := startStack(t, stackOptions{namespace: ns, tickInterval: 200 * time.Millisecond})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	dial(t, s).report(200 * time.Millisecond)

	for _, step := range []struct {
		reach      servingv1alpha1.Reachability
		want       int32
		wantReason decider.Reason
	}{
		{reach: servingv1alpha1.ReachabilityUnreachable, want: 0, wantReason: decider.ReasonUnreachable},
		{reach: servingv1alpha1.ReachabilityReachable, want: 1, wantReason: decider.ReasonMinScale},
	} {
		patch := fmt.Sprintf(`{"status":{"reachability":%q}}`, step.reach)
		rev := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name}}
		if err := c.Status().Patch(t.Context(), rev, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatal(err)
		}
		patched := time.Now()
		testutil.Eventually(t, wait, string(step.reach), func(context.Context) error {
			scale, st := scaleOf(t, c, ns, key.Name), revisionStatus(t, c, key)
			reason := ""
			if st.Autoscaler != nil {
				reason = st.Autoscaler.Reason
			}
			if scale != step.want || reason != string(step.wantReason) {
				return fmt.Errorf("scale %d, status.autoscaler.reason %q; want %d, %q", scale, reason, step.want, step.wantReason)
			}
			return nil
		})
		if step.want == 0 {
			if waited := time.Since(patched); waited < grace {
				t.Errorf("scaled to zero %v after the revision became unreachable, before its %v grace period", waited, grace)
			}
		}
	}
}
