//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// TestTenantRequestLimits: a TenantPolicy selecting a labelled namespace
// with maxInFlight 2 and requestsPerSecond 4 (each of the two activators
// enforcing half) holds slow requests sent through both activators, by
// workers that retry at once, to 2 served at a time in total; every other
// request is answered 429 with Retry-After and a Wake-Limit naming the
// tenant limit.
func TestTenantRequestLimits(t *testing.T) {
	const (
		slow    = time.Second
		workers = 8
		runFor  = 6 * time.Second
	)
	ns := newNamespace(t, "tenantreq")
	create(t, newFunction(ns, "slow", "sleep", withScaleBounds(1, 1), withTimeout(30)))
	waitFunctionReady(t, ns, "slow", 2*time.Minute)
	host := functionHost(ns, "slow")
	waitServing(t, host, nil)

	// The limits after the warm-up.
	governNamespace(t, ns, servingv1alpha1.TenantLimits{MaxInFlight: ptr.To[int32](2), RequestsPerSecond: ptr.To[int32](4)})
	path := "/?ms=" + strconv.Itoa(int(slow.Milliseconds()))
	// In force on both activators: 6 requests at once, spread over them,
	// three times in a row, are served 2 at most.
	testutil.Eventually(t, time.Minute, "the limits in force", func(context.Context) error {
		for range 3 {
			rs := make([]response, 6)
			var wg sync.WaitGroup
			for i := range rs {
				wg.Go(func() { rs[i] = getVia(freshConnClient(), 10*time.Second, host, "/?ms=300") })
			}
			wg.Wait()
			served, limited := 0, 0
			for _, r := range rs {
				switch {
				case r.err == nil && r.code == http.StatusOK:
					served++
				case r.err == nil && r.code == http.StatusTooManyRequests:
					limited++
				}
			}
			if served > 2 || limited == 0 {
				return fmt.Errorf("%d served at once, %d refused (%v)", served, limited, rs)
			}
		}
		return nil
	})

	type result struct {
		response
		sent time.Time
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	stop := time.Now().Add(runFor)
	for range workers {
		wg.Go(func() {
			c := freshConnClient() // a new connection each time: both activators get requests
			for time.Now().Before(stop) {
				sent := time.Now()
				r := getVia(c, 20*time.Second, host, path)
				mu.Lock()
				results = append(results, result{r, sent})
				mu.Unlock()
				if r.code == http.StatusTooManyRequests {
					time.Sleep(50 * time.Millisecond) // a client retrying at once, not a wait for a condition
				}
			}
		})
	}
	wg.Wait()

	// A served request was at the pod for slow, ending just before its
	// answer arrived; [done-slow+margin, done-margin] lies within that
	// time, whatever the network's delays below margin.
	const margin = 50 * time.Millisecond
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	counts := map[string]int{}
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("request sent at %s: %v", r.sent.Format(time.StampMilli), r.err)
		case r.code == http.StatusOK:
			counts["served"]++
			edges = append(edges, edge{r.done.Add(-slow + margin), 1}, edge{r.done.Add(-margin), -1})
		case r.code == http.StatusTooManyRequests:
			limit := r.header.Get("Wake-Limit")
			counts[limit]++
			if (limit != "tenant-in-flight" && limit != "tenant-rate") || r.header.Get("Retry-After") == "" {
				t.Errorf("429 with Wake-Limit %q, Retry-After %q; want tenant-in-flight or tenant-rate and a Retry-After", limit, r.header.Get("Retry-After"))
			}
		default:
			t.Errorf("unexpected answer: %s", r)
		}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	t.Logf("%d requests: %v; at most %d served at once", len(results), counts, peak)
	if peak > 2 {
		t.Errorf("%d requests served at once, limit 2", peak)
	}
	if counts["served"] < 2 {
		t.Errorf("%d requests served, want at least 2", counts["served"])
	}
	if counts["tenant-in-flight"] == 0 || counts["tenant-rate"] == 0 {
		t.Errorf("refusals %v: want some by each limit", counts)
	}
}
