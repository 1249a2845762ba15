package throttler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// TestFIFORelease queues requests one after the other behind a busy pod
// with cc=1 and checks that they run in arrival order.
func TestFIFORelease(t *testing.T) {
	tests := []struct {
		name    string
		cc      int
		pods    int
		waiters int
	}{
		{"cc=1 one pod", 1, 1, 8},
		{"cc=2 two pods", 2, 2, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newServingThrottler(t, tc.cc, tc.pods)
			ctx := context.Background()
			// Fill every slot.
			var busy []*held
			for range tc.cc * tc.pods {
				h := startHeld(ctx, th, testKey)
				h.waitStarted(t)
				busy = append(busy, h)
			}
			var (
				mu    sync.Mutex
				order []int
				wg    sync.WaitGroup
			)
			for i := range tc.waiters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := th.Try(ctx, testKey, Queue, func(string, Outcome) error {
						mu.Lock()
						order = append(order, i)
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Errorf("waiter %d: %v", i, err)
					}
				}()
				waitQueued(t, th, testKey, i+1) // i+1 queued: arrival order is fixed
			}
			// Free one slot; the waiters then run one at a time through it.
			busy[0].finish(t)
			wg.Wait()
			for _, h := range busy[1:] {
				h.finish(t)
			}
			for i, got := range order {
				if got != i {
					t.Fatalf("release order %v, want arrival order", order)
				}
			}
			if len(order) != tc.waiters {
				t.Fatalf("%d of %d waiters ran", len(order), tc.waiters)
			}
		})
	}
}

func TestQueueFull(t *testing.T) {
	tests := []struct {
		name      string
		cfgDepth  int
		revDepth  int
		wantDepth int
	}{
		{"config default", 3, 0, 3},
		{"revision override", 3, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newTestThrottler(t, Options{QueueDepth: tc.cfgDepth})
			th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1, QueueDepth: tc.revDepth})
			th.SetEndpoints(testKey, readyEndpoints(1))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			busy := startHeld(ctx, th, testKey)
			busy.waitStarted(t)
			for i := range tc.wantDepth {
				startHeld(ctx, th, testKey).waitQueued(t, th, i+1)
			}
			// A Try on the full queue must return at once: one that waits
			// in the queue, or that never returns, fails within the poll,
			// not at go test's timeout.
			full := make(chan error, 1)
			go func() {
				_, err := th.Try(ctx, testKey, Queue, func(string, Outcome) error { t.Error("fn called on a full queue"); return nil })
				full <- err
			}()
			var err error
			testutil.Eventually(t, 10*time.Second, "Try on a full queue to return", func() bool {
				if q := queued(th, testKey); q > tc.wantDepth {
					t.Fatalf("Try on a full queue waits in it: %d queued, depth %d", q, tc.wantDepth)
				}
				select {
				case err = <-full:
					return true
				default:
					return false
				}
			})
			if !errors.Is(err, ErrQueueFull) {
				t.Fatalf("Try on a full queue: %v, want ErrQueueFull", err)
			}
			busy.finish(t)
		})
	}
}

func TestDeadlineWhileQueued(t *testing.T) {
	th := newServingThrottler(t, 1, 1)
	busy := startHeld(context.Background(), th, testKey)
	busy.waitStarted(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out, err := th.Try(ctx, testKey, Queue, func(string, Outcome) error { t.Error("fn called after deadline"); return nil })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Try past deadline: %v, want ErrTimeout wrapping DeadlineExceeded", err)
	}
	if out.Wait <= 0 || out.ColdStart {
		t.Errorf("outcome %+v, want a positive wait, not a cold start", out)
	}
	if q := queued(th, testKey); q != 0 {
		t.Errorf("queue depth after timeout %d, want 0", q)
	}
	busy.finish(t)
}

// TestCancelWhileQueued cancels a waiter in the middle of the queue: it
// returns at once, the ones behind keep their order, and no slot leaks.
func TestCancelWhileQueued(t *testing.T) {
	th := newServingThrottler(t, 1, 1)
	bg := context.Background()
	busy := startHeld(bg, th, testKey)
	busy.waitStarted(t)

	first := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 1)
	ctx, cancel := context.WithCancel(bg)
	gone := startHeld(ctx, th, testKey)
	waitQueued(t, th, testKey, 2)
	last := startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 3)

	cancel()
	r := gone.wait(t) // returns without any slot being freed
	if !errors.Is(r.err, context.Canceled) || r.dest != "" {
		t.Fatalf("canceled waiter: %+v, want context.Canceled and fn not called", r)
	}
	waitQueued(t, th, testKey, 2)

	busy.finish(t)
	first.waitStarted(t)
	last.notStarted(t)
	first.finish(t)
	last.waitStarted(t)
	last.finish(t)

	st, _ := th.Stats(testKey)
	if st.InFlight != 0 || st.Queued != 0 || st.Capacity != 1 {
		t.Fatalf("stats after all done %+v, want nothing in flight, capacity 1", st)
	}
	// The slot is free: the next request goes through without waiting.
	out, err := th.Try(bg, testKey, Queue, func(string, Outcome) error { return nil })
	if err != nil || out.Wait != 0 {
		t.Fatalf("Try after cancel: %+v, %v", out, err)
	}
}

// TestCancelRacesRelease cancels waiters while slots are being handed to
// them, and checks that every slot comes back.
func TestCancelRacesRelease(t *testing.T) {
	th := newServingThrottler(t, 2, 2)
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			if i%2 == 0 {
				cancel() // some leave at once, some while queued
			} else {
				go cancel()
			}
			_, _ = th.Try(ctx, testKey, Queue, func(string, Outcome) error { return nil })
			cancel()
		}()
	}
	wg.Wait()
	r := th.lookup(testKey)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != 0 || r.queue.len() != 0 || r.free != 4 {
		t.Fatalf("after the storm: inflight %d, queued %d, free %d; want 0, 0, 4", r.inflight, r.queue.len(), r.free)
	}
	for _, p := range r.routable {
		if p.inflight != 0 {
			t.Fatalf("pod %s has %d in flight", p.addr, p.inflight)
		}
	}
}

// TestCanceledWaiterGivesBackSlot pins the race TestCancelRacesRelease can
// only hit by chance: a waiter is handed a slot just as its context ends.
// Whichever way its select goes, the slot must go back, not leak.
func TestCanceledWaiterGivesBackSlot(t *testing.T) {
	th := newServingThrottler(t, 1, 1)
	r := th.lookup(testKey)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 50 { // select picks either ready case at random
		r.mu.Lock()
		w := getWaiter()
		w.enqueued = time.Now()
		r.queue.pushBack(w)
		p := r.pick(nil)
		r.take(p)
		r.queue.remove(w)
		r.assign(w, p, time.Now())
		r.mu.Unlock()

		var out Outcome
		if got, err := r.wait(ctx, w, &out); got != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: wait = %v, %v; want no pod, context.Canceled", i, got, err)
		}
		if st, _ := th.Stats(testKey); st.InFlight != 0 {
			t.Fatalf("round %d: slot leaked: %+v", i, st)
		}
	}
}
