package throttler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

var testKey = RevisionKey{Namespace: "default", Name: "hello-00001"}

// newTestThrottler returns a Throttler closed at the end of the test.
func newTestThrottler(t testing.TB, cfg Options) *Throttler {
	t.Helper()
	th := New(cfg)
	t.Cleanup(th.Close)
	return th
}

// newServingThrottler is a throttler that serves testKey, with
// containerConcurrency cc, on pods ready pods.
func newServingThrottler(t testing.TB, cc, pods int) *Throttler {
	t.Helper()
	th := newTestThrottler(t, Options{})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: cc})
	th.SetEndpoints(testKey, readyEndpoints(pods))
	return th
}

// readyEndpoints returns n ready endpoints 10.0.0.1:8080, 10.0.0.2:8080, ...
func readyEndpoints(n int) []Endpoint {
	eps := make([]Endpoint, n)
	for i := range eps {
		eps[i] = Endpoint{Address: fmt.Sprintf("10.0.0.%d:8080", i+1), Ready: true}
	}
	return eps
}

// result is what a Try running in the background returned.
type result struct {
	out  Outcome
	err  error
	dest string
}

// held is a request running in the background whose fn blocks until
// released.
type held struct {
	key     RevisionKey
	started chan string // receives dest when fn is called
	release chan error  // fn returns what is sent here
	done    chan result
	seen    Outcome // what fn was called with; read after waitStarted
}

// startHeld runs Try in the background with a fn that blocks until the test
// sends on release.
func startHeld(ctx context.Context, th *Throttler, key RevisionKey) *held {
	h := &held{key: key, started: make(chan string, 1), release: make(chan error, 1), done: make(chan result, 1)}
	go func() {
		var dest string
		out, err := th.Try(ctx, key, Queue, func(d string, o Outcome) error {
			dest, h.seen = d, o
			h.started <- d
			return <-h.release
		})
		h.done <- result{out: out, err: err, dest: dest}
	}()
	return h
}

// waitStarted returns the dest h's fn was called with.
func (h *held) waitStarted(t testing.TB) string {
	t.Helper()
	select {
	case d := <-h.started:
		return d
	case r := <-h.done:
		t.Fatalf("request ended before fn was called: %v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for fn to be called")
	}
	return ""
}

// finish lets h's fn return nil and returns Try's result.
func (h *held) finish(t testing.TB) result {
	t.Helper()
	h.release <- nil
	return h.wait(t)
}

// wait returns Try's result.
func (h *held) wait(t testing.TB) result {
	t.Helper()
	select {
	case r := <-h.done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for Try to return")
	}
	return result{}
}

// waitQueued waits until n requests wait in h's revision's queue, and
// fails at once if h's Try returns instead of waiting.
func (h *held) waitQueued(t testing.TB, th *Throttler, n int) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, fmt.Sprintf("%d queued", n), func() bool {
		select {
		case r := <-h.done:
			t.Fatalf("request returned instead of queuing: %v", r.err)
		default:
		}
		return queued(th, h.key) == n
	})
}

// notStarted fails the test if h's fn has been called.
func (h *held) notStarted(t testing.TB) {
	t.Helper()
	select {
	case d := <-h.started:
		t.Fatalf("fn was called with %s, want still waiting", d)
	default:
	}
}

// queued returns the revision's queue depth.
func queued(th *Throttler, key RevisionKey) int {
	st, _ := th.Stats(key)
	return st.Queued
}

// waitQueued waits until n requests wait in the revision's queue.
func waitQueued(t testing.TB, th *Throttler, key RevisionKey, n int) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, fmt.Sprintf("%d queued", n), func() bool { return queued(th, key) == n })
}
