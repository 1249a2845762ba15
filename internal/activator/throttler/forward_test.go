package throttler

import (
	"context"
	"errors"
	"testing"
	"time"
)

// zeroShareIndex returns, for two activators and a single cc=1 pod of
// testKey, the index that gets no share and the one that gets the pod.
func zeroShareIndex() (zero, owner int) {
	for i := range 2 {
		if (activatorSet{count: 2, index: i}).rotate(testKey) == 0 {
			return i, 1 - i
		}
	}
	panic("rotate is not a permutation")
}

// tryForward runs Try (mode Forward) in the background with a fn that returns at
// once, and returns its result channel.
func tryForward(ctx context.Context, th *Throttler, key RevisionKey) <-chan result {
	done := make(chan result, 1)
	go func() {
		var dest string
		out, err := th.Try(ctx, key, Forward, func(d string, _ Outcome) error { dest = d; return nil })
		done <- result{out: out, err: err, dest: dest}
	}()
	return done
}

func recv(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for Try (mode Forward)")
	}
	return result{}
}

func TestOwnerIsSlotZero(t *testing.T) {
	keys := []RevisionKey{testKey, {Namespace: "a", Name: "b"}, {Namespace: "x", Name: "y-00002"}}
	for _, key := range keys {
		for count := 2; count <= 6; count++ {
			for total := 1; total < 3*count; total++ {
				want := -1 // the activator whose run starts at slot 0 and is not empty
				for i := range count {
					j := (activatorSet{count: count, index: i}).rotate(key)
					if j*total/count == 0 && (j+1)*total/count > 0 {
						want = i
					}
				}
				for i := range count {
					if got := (activatorSet{count: count, index: i}).owner(key, total); got != want {
						t.Fatalf("%v count %d total %d index %d: owner %d, want %d", key, count, total, i, got, want)
					}
				}
			}
		}
	}
	if got := (activatorSet{count: 2, index: 0}).owner(testKey, 0); got != -1 {
		t.Errorf("owner with no slot = %d, want -1", got)
	}
	if got := (activatorSet{count: 1}).owner(testKey, 1); got != -1 {
		t.Errorf("owner when alone = %d, want -1", got)
	}
}

func TestTryForwardNoShare(t *testing.T) {
	zero, owner := zeroShareIndex()
	th := newTestThrottler(t, Options{})
	th.SetActivators(2, zero)
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, readyEndpoints(1))

	called := false
	_, err := th.Try(context.Background(), testKey, Forward, func(string, Outcome) error { called = true; return nil })
	var ns *NoShareError
	if !errors.As(err, &ns) || ns.Owner != owner {
		t.Fatalf("Try (mode Forward) error %v, want NoShareError{Owner: %d}", err, owner)
	}
	if called {
		t.Error("fn was called")
	}
	if st, _ := th.Stats(testKey); st.Queued != 0 || st.Requests != 0 {
		t.Errorf("stats %+v, want nothing queued or counted", st)
	}
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = th.Try(context.Background(), testKey, Forward, func(string, Outcome) error { return nil })
	})
	if allocs > 1 {
		t.Errorf("NoShareError path allocates %v times, want at most 1", allocs)
	}

	// Plain Try (a request forwarded already) still waits.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := startHeld(ctx, th, testKey)
	waitQueued(t, th, testKey, 1)
	h.notStarted(t)
	cancel()
	h.wait(t)

	// With enough slots for both, no one forwards.
	th.SetEndpoints(testKey, readyEndpoints(2))
	if r := recv(t, tryForward(context.Background(), th, testKey)); r.err != nil || r.dest == "" {
		t.Fatalf("with two pods: %+v", r)
	}
}

func TestTryForwardBusyQueues(t *testing.T) {
	_, owner := zeroShareIndex()
	th := newTestThrottler(t, Options{})
	th.SetActivators(2, owner)
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, readyEndpoints(1))

	h := startHeld(context.Background(), th, testKey)
	h.waitStarted(t)
	ch := tryForward(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 1)
	h.finish(t)
	if r := recv(t, ch); r.err != nil || r.dest == "" {
		t.Fatalf("busy then free: %+v", r)
	}
}

func TestTryForwardColdStart(t *testing.T) {
	zero, owner := zeroShareIndex()
	for _, tc := range []struct {
		name  string
		index int
	}{{"no share", zero}, {"owner", owner}} {
		t.Run(tc.name, func(t *testing.T) {
			th := newTestThrottler(t, Options{})
			th.SetActivators(2, tc.index)
			th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
			ch := tryForward(context.Background(), th, testKey)
			waitQueued(t, th, testKey, 1) // no pod: a cold start waits
			th.SetEndpoints(testKey, readyEndpoints(1))
			r := recv(t, ch)
			var ns *NoShareError
			switch {
			case tc.index == owner && (r.err != nil || r.dest == ""):
				t.Fatalf("owner: %+v", r)
			case tc.index == zero && (!errors.As(r.err, &ns) || ns.Owner != owner || !r.out.ColdStart):
				t.Fatalf("no share: %+v, want NoShareError{Owner: %d} after a cold start", r, owner)
			}
			if n := queued(th, testKey); n != 0 {
				t.Errorf("%d still queued", n)
			}
		})
	}
}
