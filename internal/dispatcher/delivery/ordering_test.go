package delivery

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// TestOrdered: each partition's messages reach the server one at a time,
// in offset order, even when the server answers after random delays;
// partitions proceed in parallel.
func TestOrdered(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	recs := produce(t, cl, keyed(90)...)

	var mu sync.Mutex
	last := map[string]int64{} // partition → last offset seen
	active := map[string]int{} // partition → requests in progress
	maxOverall := 0
	overall := 0
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		part, off := splitSubject(t, r.header.Get("Ce-Subject"))
		mu.Lock()
		active[part]++
		overall++
		maxOverall = max(maxOverall, overall)
		if active[part] > 1 {
			t.Errorf("partition %s: %d requests at once", part, active[part])
		}
		if prev, ok := last[part]; ok && off <= prev {
			t.Errorf("partition %s: offset %d after %d", part, off, prev)
		}
		last[part] = off
		mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) // simulated latency
		mu.Lock()
		active[part]--
		overall--
		mu.Unlock()
		return http.StatusOK
	})
	cfg := config(t, addrs, srv.URL)
	cfg.Ordered = true
	run(t, cfg)
	testutil.Eventually(t, waitFor, "every message delivered", func() bool { return len(srv.delivered()) == len(recs) })
	mu.Lock()
	defer mu.Unlock()
	if maxOverall < 2 {
		t.Errorf("at most %d request at once: partitions did not proceed in parallel", maxOverall)
	}
}

func splitSubject(t *testing.T, s string) (string, int64) {
	part, off, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(off, 10, 64)
	if !ok || err != nil {
		t.Errorf("Ce-Subject %q", s)
	}
	return part, n
}

// TestMaxInFlight: unordered delivery keeps up to MaxInFlight requests in
// flight, over partitions and within one, and never more.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		partitions int32
		ordered    bool
		want       int // the most requests expected at once
	}{
		{"unordered over partitions", 3, false, 4},
		{"unordered within one partition", 1, false, 4},
		{"ordered: one per partition", 3, true, 3},
		{"ordered: bounded by MaxInFlight", 6, true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t, kfakeTopic(tc.partitions))
			cl := client(t, addrs)
			produce(t, cl, keyed(60)...)
			// Hold each request until tc.want are in flight, or for
			// 20 ms (the last messages), so that the most at once is
			// reached whenever the consumer allows it.
			var mu sync.Mutex
			active := 0
			srv := newServer(t, func(*request, http.ResponseWriter) int {
				mu.Lock()
				active++
				mu.Unlock()
				for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
					mu.Lock()
					n := active
					mu.Unlock()
					if n >= tc.want {
						break
					}
					time.Sleep(100 * time.Microsecond) // the server's pace, bounded by the deadline
				}
				time.Sleep(time.Millisecond) // let the others see tc.want too
				mu.Lock()
				active--
				mu.Unlock()
				return http.StatusOK
			})
			cfg := config(t, addrs, srv.URL)
			cfg.MaxInFlight, cfg.Ordered = 4, tc.ordered
			run(t, cfg)
			testutil.Eventually(t, waitFor, "every message delivered", func() bool { return len(srv.delivered()) == 60 })
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if srv.maxActive != tc.want {
				t.Fatalf("at most %d requests at once, want %d", srv.maxActive, tc.want)
			}
		})
	}
}
