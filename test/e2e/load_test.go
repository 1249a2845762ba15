//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// loadResult is one request sent by steadyLoad.
type loadResult struct {
	response
	// sent is when the request was started, relative to the load's start.
	sent time.Duration
	// latency is how long it took, until its answer or its failure.
	latency time.Duration
}

// steadyLoad sends GET http://host/ through c at rate requests per second
// for d (open loop: a request is started every 1/rate whatever the others
// do), each bounded by requestTimeout, calls during(ctx) in parallel with
// the load, and returns every result in the order sent once all have
// finished. At most rate*d requests are sent. The bound on each request is
// generous on purpose: these tests fail requests that get a wrong answer
// or none, not slow ones, and a busy machine makes any of them slow.
func steadyLoad(c *http.Client, host string, rate int, d time.Duration, during func(ctx context.Context)) []loadResult {
	return load(c, host, rate, d, during, false)
}

// loadUntil is steadyLoad that ends when until returns, or after limit if
// that comes first (until's ctx ends then). A load that must cover an
// event (a rollout completing, pods going away) lasts as long as the event
// takes: a slow machine makes it longer rather than the test fail.
func loadUntil(c *http.Client, host string, rate int, limit time.Duration, until func(ctx context.Context)) []loadResult {
	return load(c, host, rate, limit, until, true)
}

// load is steadyLoad, ended early when during returns if untilDone.
func load(c *http.Client, host string, rate int, d time.Duration, during func(ctx context.Context), untilDone bool) []loadResult {
	n := int(d.Seconds() * float64(rate))
	out := make([]loadResult, n)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	stop := make(chan struct{}) // closed when during returns, if untilDone
	var wg sync.WaitGroup
	if during != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			during(ctx)
			if untilDone {
				close(stop)
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	sent := 0
send:
	for ; sent < n; sent++ {
		if sent > 0 {
			select {
			case <-tick.C:
			case <-stop:
				break send
			}
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sent := time.Now()
			r := getVia(c, requestTimeout, host, "/")
			out[i] = loadResult{response: r, sent: sent.Sub(start), latency: time.Since(sent)}
		}(sent)
	}
	wg.Wait()
	return out[:sent]
}

// responses drops the send times.
func responses(rs []loadResult) []response {
	out := make([]response, len(rs))
	for i, r := range rs {
		out[i] = r.response
	}
	return out
}

// failuresByTime lists, for failure messages, when each failed request
// was sent and what it got (at most max of them).
func failuresByTime(rs []loadResult, ok func(response) bool, limit int) []string {
	var out []string
	for _, r := range rs {
		if ok(r.response) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, r.sent.Round(time.Millisecond).String()+": "+r.String())
	}
	return out
}
