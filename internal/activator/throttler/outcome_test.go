package throttler

import (
	"context"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// TestOutcomeSeenByFn: fn is called with the outcome so far, so the caller
// can put the real wait in the response before it starts.
func TestOutcomeSeenByFn(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, readyEndpoints(1))
	pod := readyEndpoints(1)[0].Address
	bg := context.Background()

	// Warm: a free slot, no wait.
	first := startHeld(bg, th, testKey)
	first.waitStarted(t)
	if want := (Outcome{Dest: pod}); first.seen != want {
		t.Errorf("warm request: fn saw %+v, want %+v", first.seen, want)
	}

	// Queued for capacity, not for a cold start: the wait, no ColdStart.
	second := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)
	clk.Step(40 * time.Millisecond)
	first.finish(t)
	second.waitStarted(t)
	if want := (Outcome{Dest: pod, Wait: 40 * time.Millisecond}); second.seen != want {
		t.Errorf("queued request: fn saw %+v, want %+v", second.seen, want)
	}
	if r := second.finish(t); r.out != second.seen {
		t.Errorf("Try returned %+v, fn saw %+v", r.out, second.seen)
	}
}

// TestOutcomeSeenByRetry: the second call of fn sees Retried and the other
// pod.
func TestOutcomeSeenByRetry(t *testing.T) {
	th := newServingThrottler(t, 1, 2)
	var seen []Outcome
	out, err := th.Try(context.Background(), testKey, Queue, func(d string, o Outcome) error {
		if o.Dest != d {
			t.Errorf("fn called with %s, outcome names %s", d, o.Dest)
		}
		seen = append(seen, o)
		if len(seen) == 1 {
			return ErrDialFailed
		}
		return nil
	})
	if err != nil || len(seen) != 2 || seen[0].Retried || !seen[1].Retried || seen[1] != out ||
		seen[0].Dest == seen[1].Dest {
		t.Fatalf("Try = %+v, %v; fn saw %+v", out, err, seen)
	}
}
