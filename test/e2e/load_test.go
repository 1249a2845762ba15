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
// do), each bounded by 10 s, calls during(ctx) in parallel with the
// load, and returns every result in the order sent once all have finished.
// At most rate*d requests are sent.
func steadyLoad(c *http.Client, host string, rate int, d time.Duration, during func(ctx context.Context)) []loadResult {
	const perRequest = 10 * time.Second
	n := int(d.Seconds() * float64(rate))
	out := make([]loadResult, n)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	if during != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			during(ctx)
		}()
	}
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			r := getVia(c, perRequest, host, "/")
			out[i] = loadResult{response: r, sent: sent.Sub(start), latency: time.Since(sent)}
		}()
	}
	wg.Wait()
	return out
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
