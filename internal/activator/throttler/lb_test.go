package throttler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCapacityUnderConcurrency hammers a revision and checks that no pod
// ever has more than cc requests in flight.
func TestCapacityUnderConcurrency(t *testing.T) {
	tests := []struct{ cc, pods, workers, perWorker int }{
		{1, 1, 16, 50},
		{3, 2, 32, 50},
		{5, 4, 64, 25},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("cc=%d/pods=%d", tc.cc, tc.pods), func(t *testing.T) {
			th := newServingThrottler(t, tc.cc, tc.pods)
			var (
				mu       sync.Mutex
				inflight = map[string]int{}
				peak     = map[string]int{}
				wg       sync.WaitGroup
				served   atomic.Int64
			)
			fn := func(d string, _ Outcome) error { //nolint:unparam // Try's callback type
				mu.Lock()
				inflight[d]++
				peak[d] = max(peak[d], inflight[d])
				mu.Unlock()
				for range 100 { // a little work while holding the slot
					served.Add(0)
				}
				mu.Lock()
				inflight[d]--
				mu.Unlock()
				served.Add(1)
				return nil
			}
			for range tc.workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range tc.perWorker {
						if _, err := th.Try(context.Background(), testKey, Queue, fn); err != nil {
							t.Errorf("Try: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if got, want := served.Load(), int64(tc.workers*tc.perWorker); got != want {
				t.Errorf("served %d, want %d", got, want)
			}
			for d, p := range peak {
				if p > tc.cc {
					t.Errorf("pod %s peaked at %d in flight, cc %d", d, p, tc.cc)
				}
			}
			if st, _ := th.Stats(testKey); st.InFlight != 0 || st.Queued != 0 {
				t.Errorf("stats after all done: %+v", st)
			}
		})
	}
}

// TestLeastLoadedUnlimited checks the cc=0 pick: with two pods the power of
// two choices always compares both, so sequential long requests alternate.
func TestLeastLoadedUnlimited(t *testing.T) {
	th := newServingThrottler(t, 0, 2)
	ctx := context.Background()
	count := map[string]int{}
	byPod := map[string][]*held{}
	for range 10 {
		h := startHeld(ctx, th, testKey)
		d := h.waitStarted(t)
		count[d]++
		byPod[d] = append(byPod[d], h)
	}
	if count["10.0.0.1:8080"] != 5 || count["10.0.0.2:8080"] != 5 {
		t.Fatalf("in flight per pod %v, want 5 and 5", count)
	}
	// The pod whose requests finish gets all the next ones until level.
	for _, h := range byPod["10.0.0.1:8080"] {
		h.finish(t)
	}
	for range 5 {
		h := startHeld(ctx, th, testKey)
		if d := h.waitStarted(t); d != "10.0.0.1:8080" {
			t.Errorf("request went to %s with 5 in flight, want the idle pod", d)
		}
		byPod["next"] = append(byPod["next"], h)
	}
	for _, h := range append(byPod["10.0.0.2:8080"], byPod["next"]...) {
		h.finish(t)
	}
	if st, _ := th.Stats(testKey); st.InFlight != 0 || st.Capacity != -1 || st.Queued != 0 {
		t.Errorf("stats %+v, want nothing in flight and unlimited capacity", st)
	}
}

func TestPickLeastLoaded(t *testing.T) {
	mk := func(loads ...int) []*pod {
		ps := make([]*pod, len(loads))
		for i, l := range loads {
			ps[i] = &pod{addr: fmt.Sprint(i), inflight: l, routable: true}
		}
		return ps
	}
	tests := []struct {
		name     string
		loads    []int
		excl     int // index or -1
		allowed  map[string]bool
		never    string
		attempts int
	}{
		{name: "no pods", loads: nil, excl: -1},
		{name: "one pod", loads: []int{7}, excl: -1, allowed: map[string]bool{"0": true}},
		{name: "two pods: less loaded", loads: []int{3, 1}, excl: -1, allowed: map[string]bool{"1": true}},
		{name: "most loaded of many never picked", loads: []int{0, 0, 0, 9}, excl: -1, never: "3"},
		{name: "excluded skipped", loads: []int{5, 0, 5}, excl: 1, allowed: map[string]bool{"0": true, "2": true}},
		{name: "only pod excluded", loads: []int{0}, excl: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &revision{routable: mk(tc.loads...)}
			var excl *pod
			if tc.excl >= 0 {
				excl = r.routable[tc.excl]
			}
			for range 200 {
				p := r.pickLeastLoaded(excl)
				if tc.allowed == nil && tc.never == "" {
					if p != nil {
						t.Fatalf("picked %s, want none", p.addr)
					}
					continue
				}
				if p == nil || p == excl || (tc.allowed != nil && !tc.allowed[p.addr]) || p.addr == tc.never {
					t.Fatalf("picked %v", p)
				}
			}
		})
	}
}
