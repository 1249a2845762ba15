package throttler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMaxHeldAcrossRevisions: Options.MaxHeld bounds the requests waiting
// in all revisions' queues together; beyond it Try fails at once with
// ErrHeldLimit, the per-revision depth still applies first, requests that
// get a slot at once are not held, and a place freed is usable again.
func TestMaxHeldAcrossRevisions(t *testing.T) {
	th := newTestThrottler(t, Options{MaxHeld: 3})
	a, b, c, warm := RevisionKey{Namespace: "ns", Name: "a"}, RevisionKey{Namespace: "ns", Name: "b"},
		RevisionKey{Namespace: "ns", Name: "c"}, RevisionKey{Namespace: "ns", Name: "warm"}
	th.UpsertRevision(a, RevisionConfig{})
	th.UpsertRevision(b, RevisionConfig{})
	th.UpsertRevision(c, RevisionConfig{QueueDepth: 1})
	th.UpsertRevision(warm, RevisionConfig{})
	th.SetEndpoints(warm, readyEndpoints(1))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := startHeld(ctx, th, a)
	waitQueued(t, th, a, 1)
	startHeld(context.Background(), th, a)
	waitQueued(t, th, a, 2)
	startHeld(context.Background(), th, c)
	waitQueued(t, th, c, 1)

	noop := func(string, Outcome) error { return nil }
	if _, err := th.Try(context.Background(), c, Queue, noop); !errors.Is(err, ErrQueueFull) {
		t.Errorf("revision queue full: %v, want ErrQueueFull", err)
	}
	if _, err := th.Try(context.Background(), b, Queue, noop); !errors.Is(err, ErrHeldLimit) {
		t.Errorf("fourth held request: %v, want ErrHeldLimit", err)
	}
	if _, err := th.Try(context.Background(), warm, Queue, noop); err != nil {
		t.Errorf("request with a free slot: %v, want nil (it is never held)", err)
	}

	cancel()
	if r := first.wait(t); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled waiter: %v", r.err)
	}
	startHeld(context.Background(), th, b)
	waitQueued(t, th, b, 1)
	if _, err := th.Try(context.Background(), b, Queue, noop); !errors.Is(err, ErrHeldLimit) {
		t.Errorf("held again at the limit: %v, want ErrHeldLimit", err)
	}
}

// TestOnWait: Options.OnWait is called only for requests that wait; the
// wait ends with ErrClientGone when the channel it returns is closed, and
// the function it returns is called once the wait is over, whichever way
// it ended.
func TestOnWait(t *testing.T) {
	var (
		mu    sync.Mutex
		gones []chan struct{}
		calls atomic.Int32
		ended atomic.Int32
	)
	th := newTestThrottler(t, Options{OnWait: func(context.Context) (<-chan struct{}, func()) {
		calls.Add(1)
		ch := make(chan struct{})
		mu.Lock()
		gones = append(gones, ch)
		mu.Unlock()
		return ch, func() { ended.Add(1) }
	}})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, readyEndpoints(1))

	busy := startHeld(context.Background(), th, testKey)
	busy.waitStarted(t)
	if n := calls.Load(); n != 0 {
		t.Fatalf("OnWait called %d times for a request that got a slot at once", n)
	}
	leaving := startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 1)
	staying := startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 2)
	mu.Lock()
	close(gones[0])
	mu.Unlock()
	r := leaving.wait(t)
	if !errors.Is(r.err, ErrClientGone) {
		t.Fatalf("wait ended by OnWait's channel: %v, want ErrClientGone", r.err)
	}
	if q := queued(th, testKey); q != 1 {
		t.Fatalf("queued = %d after one left, want 1", q)
	}
	busy.finish(t)
	staying.waitStarted(t)
	staying.finish(t)
	if c, e := calls.Load(), ended.Load(); c != 2 || e != 2 {
		t.Errorf("OnWait called %d times, its done %d times; want 2 and 2", c, e)
	}
}

// TestMaxHeldPerNamespace: Options.MaxHeldPerNamespace bounds the requests
// waiting for one namespace's revisions together; beyond it Try fails at
// once with ErrNamespaceHeldLimit while another namespace still waits, a
// place freed is usable again, and a namespace is forgotten with its last
// revision.
func TestMaxHeldPerNamespace(t *testing.T) {
	th := newTestThrottler(t, Options{MaxHeld: 10, MaxHeldPerNamespace: 2})
	a1, a2 := RevisionKey{Namespace: "team-a", Name: "one"}, RevisionKey{Namespace: "team-a", Name: "two"}
	b := RevisionKey{Namespace: "team-b", Name: "one"}
	for _, k := range []RevisionKey{a1, a2, b} {
		th.UpsertRevision(k, RevisionConfig{})
	}
	noop := func(string, Outcome) error { return nil }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := startHeld(ctx, th, a1)
	waitQueued(t, th, a1, 1)
	startHeld(context.Background(), th, a2)
	waitQueued(t, th, a2, 1)
	// Refused at once: a request that waited instead fails with the
	// deadline, not hangs the test.
	atOnce, cancelAtOnce := context.WithTimeout(context.Background(), time.Second)
	defer cancelAtOnce()
	if _, err := th.Try(atOnce, a1, Queue, noop); !errors.Is(err, ErrNamespaceHeldLimit) {
		t.Errorf("third request of team-a: %v, want ErrNamespaceHeldLimit", err)
	}
	startHeld(context.Background(), th, b)
	waitQueued(t, th, b, 1)
	startHeld(context.Background(), th, b)
	waitQueued(t, th, b, 2)

	cancel()
	if r := first.wait(t); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled waiter: %v", r.err)
	}
	startHeld(context.Background(), th, a1)
	waitQueued(t, th, a1, 1)

	th.DeleteRevision(a1)
	th.DeleteRevision(a2)
	th.mu.RLock()
	_, kept := th.namespaces["team-a"]
	n := len(th.namespaces)
	th.mu.RUnlock()
	if kept || n != 1 {
		t.Errorf("after team-a's last revision: team-a kept %v, %d namespaces counted; want team-a forgotten, 1", kept, n)
	}
}

// TestTenantHeld: Options.TenantHeld is a second bound on the count
// MaxHeldPerNamespace bounds: the namespace's revisions together, each
// namespace on its own, a namespace without a limit unbounded by it, a
// share of 0 refusing every wait, and a share that changes applying to the
// next request.
func TestTenantHeld(t *testing.T) {
	var share atomic.Int64
	share.Store(2)
	th := newTestThrottler(t, Options{MaxHeld: 100, MaxHeldPerNamespace: 50, TenantHeld: func(ns string) (int64, bool) {
		if ns != "team-a" {
			return 0, false
		}
		return share.Load(), true
	}})
	a1, a2 := RevisionKey{Namespace: "team-a", Name: "one"}, RevisionKey{Namespace: "team-a", Name: "two"}
	b := RevisionKey{Namespace: "team-b", Name: "one"}
	for _, k := range []RevisionKey{a1, a2, b} {
		th.UpsertRevision(k, RevisionConfig{})
	}
	noop := func(string, Outcome) error { return nil }
	atOnce := func(key RevisionKey) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := th.Try(ctx, key, Queue, noop)
		return err
	}

	startHeld(context.Background(), th, a1)
	waitQueued(t, th, a1, 1)
	startHeld(context.Background(), th, a2)
	waitQueued(t, th, a2, 1)
	if err := atOnce(a1); !errors.Is(err, ErrTenantHeldLimit) || errors.Is(err, ErrNamespaceHeldLimit) {
		t.Errorf("third held request of team-a: %v, want ErrTenantHeldLimit", err)
	}
	for i := range 5 {
		startHeld(context.Background(), th, b)
		waitQueued(t, th, b, i+1)
	}
	share.Store(3)
	startHeld(context.Background(), th, a1)
	waitQueued(t, th, a1, 2)
	share.Store(0)
	if err := atOnce(a2); !errors.Is(err, ErrTenantHeldLimit) {
		t.Errorf("share 0: %v, want ErrTenantHeldLimit", err)
	}
}
