package pace

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestGap(t *testing.T) {
	for _, tc := range []struct {
		took, want time.Duration
	}{
		{0, 0},
		{50 * time.Microsecond, 950 * time.Microsecond},
		{20 * time.Millisecond, 380 * time.Millisecond},
		{100 * time.Millisecond, time.Second},
		{time.Minute, time.Second},
	} {
		if got := Gap(tc.took); got != tc.want {
			t.Errorf("Gap(%v) = %v, want %v", tc.took, got, tc.want)
		}
	}
}

// TestLoop runs the loop on a fake clock with calls that take took each,
// and checks that a kick during the gap is served only once the gap has
// passed.
func TestLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		took time.Duration
		gap  time.Duration
	}{
		{"instant work waits for nothing", 0, 0},
		{"slow work waits nineteen times as long", 10 * time.Millisecond, 190 * time.Millisecond},
		{"very slow work waits at most a second", 3 * time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Unix(0, 0))
			kick := make(chan struct{}, 1)
			calls := make(chan time.Time, 10)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				Loop(ctx, clk, kick, func(context.Context) {
					calls <- clk.Now()
					clk.Step(tc.took)
				})
			}()
			t.Cleanup(func() { cancel(); <-done })

			select {
			case <-calls:
				t.Fatal("called before a kick")
			default:
			}
			kick <- struct{}{}
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
					t.Fatal("called during the gap")
				default:
				}
				clk.Step(time.Nanosecond)
			}
			if got, want := next(t, calls).Sub(first), tc.took+tc.gap; got != want {
				t.Errorf("second call started %v after the first, want %v", got, want)
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
		t.Fatal("no call")
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

// TestEvery: flush runs on each tick, with the one limiter, and not after
// ctx ends.
func TestEvery(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan *rate.Limiter, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, clk, time.Second, 5, func(_ context.Context, l *rate.Limiter) { calls <- l })
	}()
	var first *rate.Limiter
	for i := range 2 {
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		clk.Step(time.Second)
		l := <-calls
		if i == 0 {
			first = l
		}
		if l != first || l.Limit() != 5 {
			t.Fatalf("call %d: limiter %p of %v, want the same one of 5/s", i, l, l.Limit())
		}
	}
	cancel()
	<-done
	if len(calls) != 0 {
		t.Fatalf("%d more calls", len(calls))
	}
}
