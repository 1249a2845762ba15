package throttler

import (
	"context"
	"fmt"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/testutil"
)

// tryOnce runs one request with fn's error err and returns the pod it went to.
func tryOnce(t *testing.T, th *Throttler, err error) string {
	t.Helper()
	var dest string
	_, _ = th.Try(context.Background(), testKey, Queue, func(d string, _ Outcome) error {
		dest = d
		return err
	})
	return dest
}

// TestBadAnswerEjectsPod: a pod that answered out of bounds gets no
// requests while ejected; the other pod takes them.
func TestBadAnswerEjectsPod(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, EjectBase: time.Second})
	th.UpsertRevision(testKey, RevisionConfig{})
	th.SetEndpoints(testKey, readyEndpoints(2))

	ejected := tryOnce(t, th, fmt.Errorf("%w: head too large", ErrBadAnswer))
	seen := map[string]bool{}
	for range 20 {
		seen[tryOnce(t, th, nil)] = true
	}
	if seen[ejected] || len(seen) != 1 {
		t.Fatalf("while %s is ejected requests went to %v", ejected, seen)
	}
	clk.Step(time.Second)
	testutil.Eventually(t, 10*time.Second, ejected+" back in rotation", func() bool { return tryOnce(t, th, nil) == ejected })
}

// TestEjectionDoubles: each ejection in a row doubles, up to EjectMax; a
// good answer resets it. With its only pod ejected, a revision's requests
// wait (they cost nothing) and are served once the pod is back.
func TestEjectionDoubles(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, EjectBase: time.Second, EjectMax: 3 * time.Second})
	th.UpsertRevision(testKey, RevisionConfig{})
	th.SetEndpoints(testKey, readyEndpoints(1))
	bad := fmt.Errorf("%w: invalid status", ErrBadAnswer)

	tryOnce(t, th, bad)
	for _, step := range []struct {
		ejected time.Duration // how long the ejection before this request lasts
		answer  error         // what this request's pod answers
	}{
		{time.Second, bad},
		{2 * time.Second, bad},
		{3 * time.Second, nil}, // 4 s, capped at EjectMax; the good answer resets
		{0, bad},               // not ejected
		{time.Second, nil},     // the first ejection again
	} {
		h := startHeld(context.Background(), th, testKey)
		if step.ejected > 0 {
			waitQueued(t, th, testKey, 1)
			clk.Step(step.ejected - time.Millisecond)
			if queued(th, testKey) != 1 {
				t.Fatalf("served before the %v ejection ended", step.ejected)
			}
			clk.Step(time.Millisecond)
		}
		h.waitStarted(t)
		h.release <- step.answer
		<-h.done
	}
}

// TestEjectedOnlyPodHoldsRequests: with its only pod ejected, a revision's
// requests wait (they cost nothing) and are served once it is back.
func TestEjectedOnlyPodHoldsRequests(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, EjectBase: time.Second})
	th.UpsertRevision(testKey, RevisionConfig{})
	th.SetEndpoints(testKey, readyEndpoints(1))

	tryOnce(t, th, fmt.Errorf("%w: invalid status", ErrBadAnswer))
	h := startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 1)
	clk.Step(time.Second)
	if d := h.waitStarted(t); d != readyEndpoints(1)[0].Address {
		t.Fatalf("served by %s", d)
	}
	if r := h.finish(t); r.err != nil {
		t.Fatalf("Try: %v", r.err)
	}
}

// TestTrialAfterEjection: once back, an ejected pod takes one request at a
// time until it answers well, so the requests that waited do not all hit
// a pod that may still misbehave.
func TestTrialAfterEjection(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, EjectBase: time.Second})
	th.UpsertRevision(testKey, RevisionConfig{}) // unlimited concurrency
	th.SetEndpoints(testKey, readyEndpoints(1))

	tryOnce(t, th, fmt.Errorf("%w: invalid status", ErrBadAnswer))
	first, second := startHeld(context.Background(), th, testKey), startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 2)
	clk.Step(time.Second)
	waitQueued(t, th, testKey, 1) // one goes out on trial, one waits
	var trial, next *held
	select {
	case <-first.started:
		trial, next = first, second
	case <-second.started:
		trial, next = second, first
	}
	trial.release <- nil // a good answer ends the trial
	<-trial.done
	next.waitStarted(t)
	if r := next.finish(t); r.err != nil {
		t.Fatalf("Try: %v", r.err)
	}
}
