package throttler

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestTryUnknownRevision(t *testing.T) {
	th := newTestThrottler(t, Options{})
	called := false
	_, err := th.Try(context.Background(), testKey, Queue, func(string, Outcome) error { called = true; return nil })
	if !errors.Is(err, ErrRevisionNotFound) || called {
		t.Fatalf("Try on unknown revision: err %v, called %v; want ErrRevisionNotFound, not called", err, called)
	}
}

func TestTryUncontended(t *testing.T) {
	tests := []struct {
		name string
		cc   int
	}{{"cc=0", 0}, {"cc=1", 1}, {"cc=10", 10}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newServingThrottler(t, tc.cc, 1)
			var got string
			out, err := th.Try(context.Background(), testKey, Queue, func(d string, _ Outcome) error { got = d; return nil })
			if err != nil || got != "10.0.0.1:8080" || out.Dest != got {
				t.Fatalf("Try = %+v, %v; fn dest %q", out, err, got)
			}
			if out.Wait != 0 || out.ColdStart || out.Retried {
				t.Errorf("uncontended outcome %+v, want zero wait, warm, no retry", out)
			}
			st, _ := th.Stats(testKey)
			if st.InFlight != 0 || st.Queued != 0 || st.Requests != 1 {
				t.Errorf("stats after Try: %+v", st)
			}
		})
	}
}

func TestDeleteRevisionFailsWaiters(t *testing.T) {
	th := newServingThrottler(t, 1, 1)
	bg := context.Background()
	busy := startHeld(bg, th, testKey)
	busy.waitStarted(t)
	w1, w2 := startHeld(bg, th, testKey), startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 2)

	th.DeleteRevision(testKey)
	for _, w := range []*held{w1, w2} {
		if r := w.wait(t); !errors.Is(r.err, ErrRevisionRemoved) {
			t.Errorf("waiter after delete: %v, want ErrRevisionRemoved", r.err)
		}
	}
	if r := busy.finish(t); r.err != nil {
		t.Errorf("in-flight request after delete: %v, want it to finish", r.err)
	}
	if _, err := th.Try(bg, testKey, Queue, func(string, Outcome) error { return nil }); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("Try after delete: %v, want ErrRevisionNotFound", err)
	}
}

// TestPodRemovedWhileInFlight removes a busy pod: its request finishes, no
// new request goes to it, and if it comes back its count still holds.
func TestPodRemovedWhileInFlight(t *testing.T) {
	th := newTestThrottler(t, Options{})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	eps := readyEndpoints(2)
	th.SetEndpoints(testKey, eps)
	bg := context.Background()
	a, b := startHeld(bg, th, testKey), startHeld(bg, th, testKey)
	da, db := a.waitStarted(t), b.waitStarted(t)
	if da == db {
		t.Fatalf("both requests on %s with cc=1", da)
	}
	w := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)

	var keep Endpoint // the pod b is on stays; a's pod leaves
	for _, ep := range eps {
		if ep.Address == db {
			keep = ep
		}
	}
	th.SetEndpoints(testKey, []Endpoint{keep})
	if r := a.finish(t); r.err != nil {
		t.Fatalf("request on removed pod: %v", r.err)
	}
	w.notStarted(t) // a's slot was on a removed pod: not handed out
	if st, _ := th.Stats(testKey); st.InFlight != 1 || st.Queued != 1 || st.Pods != 1 {
		t.Fatalf("stats %+v, want 1 in flight, 1 queued, 1 pod", st)
	}
	b.finish(t)
	if d := w.waitStarted(t); d != db {
		t.Fatalf("waiter went to %s, want remaining pod %s", d, db)
	}

	// The remaining pod leaves while w is on it and comes back at once: w's
	// request still counts, so the next request must wait for it.
	th.SetEndpoints(testKey, nil)
	th.SetEndpoints(testKey, []Endpoint{keep})
	next := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)
	w.finish(t)
	next.waitStarted(t)
	next.finish(t)
	if st, _ := th.Stats(testKey); st.InFlight != 0 || st.Queued != 0 {
		t.Fatalf("stats at the end %+v", st)
	}
}

func TestRetryOnDialFailed(t *testing.T) {
	dialErr := fmt.Errorf("dial: %w: connection refused", ErrDialFailed)
	tests := []struct {
		name        string
		pods        int
		firstErr    error
		wantCalls   int
		wantRetried bool
		wantErr     error
	}{
		{"dial failure retried on the other pod", 2, dialErr, 2, true, nil},
		{"dial failure with one pod is returned", 1, dialErr, 1, false, ErrDialFailed},
		{"other errors are not retried", 2, errors.New("boom"), 1, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newServingThrottler(t, 1, tc.pods)
			var dests []string
			out, err := th.Try(context.Background(), testKey, Queue, func(d string, _ Outcome) error {
				dests = append(dests, d)
				if len(dests) == 1 {
					return tc.firstErr
				}
				return nil
			})
			if len(dests) != tc.wantCalls || out.Retried != tc.wantRetried {
				t.Fatalf("calls %v, outcome %+v; want %d calls, retried %v", dests, out, tc.wantCalls, tc.wantRetried)
			}
			if tc.wantRetried && dests[0] == dests[1] {
				t.Errorf("retried on the same pod %s", dests[0])
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && tc.wantRetried && err != nil {
				t.Errorf("err %v after a successful retry", err)
			}
			if st, _ := th.Stats(testKey); st.InFlight != 0 || st.Capacity != tc.pods {
				t.Errorf("stats after Try %+v", st)
			}
		})
	}
}

// TestRetryWaitsForOtherPod: the other pod is busy, so the retry waits for
// it ahead of requests that arrived later, and never takes the failed pod.
func TestRetryWaitsForOtherPod(t *testing.T) {
	th := newServingThrottler(t, 1, 2)
	bg := context.Background()
	busy := startHeld(bg, th, testKey)
	other := busy.waitStarted(t)

	retried := make(chan string, 2)
	done := make(chan error, 1)
	go func() {
		calls := 0
		_, err := th.Try(bg, testKey, Queue, func(d string, _ Outcome) error {
			retried <- d
			if calls++; calls == 1 {
				return fmt.Errorf("%w", ErrDialFailed)
			}
			return nil
		})
		done <- err
	}()
	failed := <-retried
	if failed == other {
		t.Fatalf("first attempt on busy pod %s", failed)
	}
	waitQueued(t, th, testKey, 1) // the retry waits for the other pod
	later := startHeld(bg, th, testKey)
	if d := later.waitStarted(t); d != failed {
		t.Fatalf("later request went to %s, want the free pod %s", d, failed)
	}
	busy.finish(t)
	if d := <-retried; d != other {
		t.Fatalf("retry went to %s, want %s", d, other)
	}
	if err := <-done; err != nil {
		t.Fatalf("retried request: %v", err)
	}
	later.finish(t)
}

func TestPanicInFnFreesSlot(t *testing.T) {
	th := newServingThrottler(t, 1, 1)
	func() {
		defer func() { _ = recover() }()
		_, _ = th.Try(context.Background(), testKey, Queue, func(string, Outcome) error { panic("abort") })
	}()
	if st, _ := th.Stats(testKey); st.InFlight != 0 {
		t.Fatalf("in flight after panic %d, want 0", st.InFlight)
	}
}

// TestCapacityChanges raises cc and then the activator share while
// requests wait, and checks that the new slots release them.
func TestCapacityChanges(t *testing.T) {
	th := newTestThrottler(t, Options{})
	// Take the index that gets no share of a single cc=1 pod.
	zero := -1
	for i := range 2 {
		if (activatorSet{count: 2, index: i}).rotate(testKey) == 0 {
			zero = i
		}
	}
	th.SetActivators(2, zero)
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, readyEndpoints(1))
	if st, _ := th.Stats(testKey); st.Capacity != 0 || st.Pods != 1 {
		t.Fatalf("stats %+v, want one pod and no capacity for this activator", st)
	}
	bg := context.Background()
	w1 := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)
	w1.notStarted(t)

	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 2}) // share 1 of 2
	w1.waitStarted(t)
	w2 := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)

	th.SetActivators(1, 0) // alone again: the whole pod
	w2.waitStarted(t)
	if r := w2.finish(t); r.out.ColdStart {
		t.Errorf("waiting for a share is not a cold start: %+v", r.out)
	}
	w1.finish(t)
}
