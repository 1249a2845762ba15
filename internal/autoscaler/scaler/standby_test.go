package scaler

import (
	"slices"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// TestStandbyWakes: a standby wakes a poked revision at zero after
// StandbyWakeDelay, unless the scale has left zero meanwhile (the leader
// woke it, and the standby's cache has not seen it yet); it never writes
// the status, never writes for a revision that has pods, and leaves a
// namespace with tenant pod limits to the leader.
func TestStandbyWakes(t *testing.T) {
	tests := []struct {
		name       string
		observed   int32 // the Deployment's replicas in the standby's cache
		stored     int32 // and in the API server when the standby reads it
		limits     PodLimits
		wantWrites []int32
	}{
		{name: "no leader woke it", observed: 0, stored: 0, wantWrites: []int32{1}},
		{name: "the leader woke it, not yet in the cache", observed: 0, stored: 2},
		{name: "a revision with pods", observed: 3, stored: 3},
		{name: "a namespace with tenant pod limits", observed: 0, stored: 0, limits: PodLimits{MaxPods: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, decider.Defaults(), deployment(depName, tc.observed, tc.observed),
				func(o *Options) {
					o.Elected = make(chan struct{})
					lim := &podLimits{}
					lim.set(rev.Namespace, tc.limits)
					o.Limits = lim
				})
			if tc.stored != tc.observed {
				d := deployment(depName, 0, 0)
				if err := e.client.Get(e.ctx, client.ObjectKeyFromObject(d), d); err != nil {
					t.Fatal(err)
				}
				d.Spec.Replicas = ptr.To(tc.stored)
				if err := e.client.Update(e.ctx, d); err != nil { // not observed: the cache lags
					t.Fatal(err)
				}
			}
			e.stats.set(rev, 1)
			done := make(chan struct{})
			go func() { defer close(done); e.s.servePokes(e.ctx) }()
			// The wake is written (and logged, to t) after the write the
			// test sees: wait for it before the test ends.
			t.Cleanup(func() { <-done; e.s.wakeWrites.Wait() })
			e.s.Poke(rev)

			// Nothing before the leader's head start is over.
			waitForWaiter(t, e)
			e.clock.Step(DefaultStandbyWakeDelay - time.Millisecond)
			if w := e.drain(); len(w) != 0 {
				t.Fatalf("the standby wrote %+v before giving the leader %v", w, DefaultStandbyWakeDelay)
			}
			e.clock.Step(time.Millisecond)
			var got []int32
			if len(tc.wantWrites) > 0 {
				select {
				case w := <-e.writes:
					got = append(got, w.replicas)
				case <-time.After(noWrite):
				}
			} else {
				// The poke is served once the loop waits again.
				e.s.Poke(rev)
				waitForWaiter(t, e)
			}
			for _, w := range e.drain() {
				got = append(got, w.replicas)
			}
			if !slices.Equal(got, tc.wantWrites) {
				t.Errorf("writes %v, want %v", got, tc.wantWrites)
			}
			if tc.stored != tc.observed && e.replicas() != tc.stored {
				t.Errorf("replicas %d, want the leader's %d kept", e.replicas(), tc.stored)
			}
			if st := e.status.all(); len(st) != 0 {
				t.Errorf("the standby recorded status %+v", st)
			}
		})
	}
}

// waitForWaiter waits until the poke loop waits on the fake clock.
func waitForWaiter(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(noWrite)
	for !e.clock.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("the poke loop never waited for the leader")
		}
		time.Sleep(time.Millisecond)
	}
}
