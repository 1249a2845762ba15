//go:build e2e

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wakefn/wake/test/bench/internal/summary"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/test/bench/internal/load"
)

// warmOrder is the order lanes take within a round.
var warmOrder = []string{laneDirect, laneKnative, laneWake}

// warmLanes runs the open loop and then the closed loop on the warm lanes,
// interleaved within each round.
func (b *bench) warmLanes(o options) []load.Result {
	for _, name := range warmOrder {
		load.Closed(b.warm[name].Target, o.conns, time.Second)
	}
	var out []load.Result
	for round := 1; round <= o.rounds; round++ {
		for _, name := range warmOrder {
			// Wake connections (and a pod, should one have gone) first.
			load.Closed(b.warm[name].Target, 4, 300*time.Millisecond)
			r := load.Open(b.warm[name].Target, o.rate, o.openDur)
			r.Lane, r.Round = name, round
			fmt.Fprintf(os.Stderr, "open   round %d %-8s p50 %.3f ms p99 %.3f ms errors %d late %d\n", round, name, r.P50ms, r.P99ms, r.Errors, r.Late)
			out = append(out, r)
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, name := range warmOrder {
			load.Closed(b.warm[name].Target, o.conns, 300*time.Millisecond)
			r := load.Closed(b.warm[name].Target, o.conns, o.closedDur)
			r.Lane, r.Round = name, round
			fmt.Fprintf(os.Stderr, "closed round %d %-8s %.0f req/s errors %d\n", round, name, r.Throughput, r.Errors)
			out = append(out, r)
		}
	}
	return out
}

// warmPods returns the replicas of the warm Knative and Wake functions'
// Deployments (−1 where it cannot be read).
func (b *bench) warmPods(ctx context.Context) map[string]int32 {
	out := map[string]int32{}
	for _, name := range []string{laneKnative, laneWake} {
		d := &appsv1.Deployment{}
		out[name] = -1
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: b.ns, Name: b.warm[name].Deployment}, d); err == nil {
			out[name] = d.Status.Replicas
		}
	}
	fmt.Fprintf(os.Stderr, "warm pods after load: %v\n", out)
	return out
}

// coldRun is one measured cold start: from sending one request on a new
// connection to a function at zero until its answer is read.
type coldRun struct {
	Lane      string    `json:"lane"`
	Index     int       `json:"index"`
	StartedAt time.Time `json:"startedAt"`
	Ms        float64   `json:"ms"`
}

// coldStarts alternates Knative and Wake cold starts, with both at zero
// before every run.
func (b *bench) coldStarts(ctx context.Context, runs int) ([]coldRun, error) {
	var out []coldRun
	for i := range runs {
		for _, name := range []string{laneKnative, laneWake} {
			if err := b.waitZero(ctx); err != nil {
				return out, fmt.Errorf("before %s cold start %d: %w", name, i, err)
			}
			start := time.Now()
			code, body, err := get(ctx, newColdClient(), b.cold[name].Target)
			took := time.Since(start)
			if err != nil {
				return out, fmt.Errorf("%s cold start %d: %w", name, i, err)
			}
			if code != http.StatusOK || body != greeting+"\n" {
				return out, fmt.Errorf("%s cold start %d: got %d %q", name, i, code, body)
			}
			r := coldRun{Lane: name, Index: i, StartedAt: start.UTC(), Ms: ms(took)}
			fmt.Fprintf(os.Stderr, "cold   run %d %-8s %7.0f ms\n", i, name, r.Ms)
			out = append(out, r)
		}
	}
	return out, nil
}

// burstResult is n concurrent requests sent at once to a function at zero.
type burstResult struct {
	Lane   string `json:"lane"`
	Sent   int    `json:"sent"`
	Served int    `json:"served"`
	// Codes counts answers by status; "error" counts requests without one.
	Codes map[string]int `json:"codes"`
	// FirstMs, MedianMs and LastMs are answer times from the start.
	FirstMs  float64 `json:"firstMs"`
	MedianMs float64 `json:"medianMs"`
	LastMs   float64 `json:"lastMs"`
}

// burstRun waits until both cold lanes are at zero, then sends n requests
// at once to lane l, each on its own connection.
func (b *bench) burstRun(ctx context.Context, l lane, n int) (burstResult, error) {
	if err := b.waitZero(ctx); err != nil {
		return burstResult{}, fmt.Errorf("before the %s burst: %w", l.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	type answer struct {
		code int
		ok   bool
		at   time.Time
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			code, body, err := get(ctx, hc, l.Target)
			answers[i] = answer{code: code, ok: err == nil && code == http.StatusOK && body == greeting+"\n", at: time.Now()}
		})
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	r := burstResult{Lane: l.Name, Sent: n, Codes: map[string]int{}}
	var times []float64
	for _, a := range answers {
		key := fmt.Sprint(a.code)
		if a.code == 0 {
			key = "error"
		}
		r.Codes[key]++
		if a.ok {
			r.Served++
		}
		times = append(times, ms(a.at.Sub(start)))
	}
	s := summary.Of(times)
	r.FirstMs, r.MedianMs, r.LastMs = s.Min, s.Median, s.Max
	fmt.Fprintf(os.Stderr, "burst  %-8s %d of %d served, last answer %.0f ms, codes %v\n", l.Name, r.Served, n, r.LastMs, r.Codes)
	return r, nil
}

// newColdClient is a client without kept-alive connections, so that every
// cold start opens its own.
func newColdClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: readyTimeout}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
