package feed

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestRebuildGap(t *testing.T) {
	for _, tc := range []struct {
		took, want time.Duration
	}{
		{0, 0},
		{50 * time.Microsecond, 450 * time.Microsecond},
		{20 * time.Millisecond, 180 * time.Millisecond},
		{200 * time.Millisecond, time.Second},
		{time.Minute, time.Second},
	} {
		if got := rebuildGap(tc.took); got != tc.want {
			t.Errorf("rebuildGap(%v) = %v, want %v", tc.took, got, tc.want)
		}
	}
}

// TestPacedLoop runs the loop on a fake clock with rebuilds that take took
// each, and checks that a kick during the gap is served only once the gap
// has passed.
func TestPacedLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		took time.Duration
		gap  time.Duration
	}{
		{"instant rebuilds wait for nothing", 0, 0},
		{"slow rebuilds wait nine times as long", 100 * time.Millisecond, 900 * time.Millisecond},
		{"very slow rebuilds wait at most a second", 3 * time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Unix(0, 0))
			kick := make(chan struct{}, 1)
			calls := make(chan time.Time, 10)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				pacedLoop(ctx, clk, kick, func(context.Context) {
					calls <- clk.Now()
					clk.Step(tc.took)
				})
			}()
			t.Cleanup(func() { cancel(); <-done })

			first := next(t, calls)
			kick <- struct{}{}
			if tc.gap > 0 {
				waitForWaiter(t, clk)
				clk.Step(tc.gap - time.Nanosecond)
				if !clk.HasWaiters() {
					t.Fatalf("gap ended %v early", time.Nanosecond)
				}
				select {
				case <-calls:
					t.Fatal("rebuilt during the gap")
				default:
				}
				clk.Step(time.Nanosecond)
			}
			if got, want := next(t, calls).Sub(first), tc.took+tc.gap; got != want {
				t.Errorf("second rebuild started %v after the first, want %v", got, want)
			}
		})
	}
}

func next(t *testing.T, calls <-chan time.Time) time.Time {
	t.Helper()
	select {
	case at := <-calls:
		return at
	case <-time.After(10 * time.Second):
		t.Fatal("no rebuild")
		return time.Time{}
	}
}

func waitForWaiter(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("loop never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}
