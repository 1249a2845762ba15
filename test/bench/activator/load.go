package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one lane's measurement.
type result struct {
	Lane       string  `json:"lane"`
	Round      int     `json:"round"`
	Mode       string  `json:"mode"` // "open" or "closed"
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	DurationS  float64 `json:"duration_s"`
	Throughput float64 `json:"throughput_rps"`
	P50ms      float64 `json:"p50_ms"`
	P90ms      float64 `json:"p90_ms"`
	P99ms      float64 `json:"p99_ms"`
	Late       int     `json:"late_sends,omitempty"` // open loop: sends more than 1 ms behind schedule
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
	}}
}

// do sends one GET and reads the whole answer.
func do(c *http.Client, url, host string) (time.Duration, bool) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Host = host
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return time.Since(start), false
	}
	_, err = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return time.Since(start), err == nil && res.StatusCode == 200
}

// openLoop sends rate requests per second for d, whatever the answers'
// latency (up to workers concurrent requests), and times each from its
// send.
func openLoop(url, host string, rate int, d time.Duration) result {
	const workers = 256
	c := newClient(workers)
	defer c.CloseIdleConnections()
	n := int(float64(rate) * d.Seconds())
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	jobs := make(chan int, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				lat[i], ok[i] = do(c, url, host)
			}
		}()
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	late := 0
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		} else if wait < -time.Millisecond {
			late++
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	r := summarize(lat, ok, el)
	r.Mode, r.Late = "open", late
	return r
}

// closedLoop runs conns clients back to back for d.
func closedLoop(url, host string, conns int, d time.Duration) result {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var oks []bool
	var wg sync.WaitGroup
	var stop atomic.Bool
	go func() { <-ctx.Done(); stop.Store(true) }()
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var l []time.Duration
			var o []bool
			for !stop.Load() {
				d, ok := do(c, url, host)
				l = append(l, d)
				o = append(o, ok)
			}
			mu.Lock()
			lat = append(lat, l...)
			oks = append(oks, o...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := summarize(lat, oks, time.Since(start))
	r.Mode = "closed"
	return r
}

func summarize(lat []time.Duration, ok []bool, el time.Duration) result {
	r := result{Requests: len(lat), DurationS: el.Seconds()}
	var good []time.Duration
	for i, l := range lat {
		if ok[i] {
			good = append(good, l)
		} else {
			r.Errors++
		}
	}
	r.Throughput = float64(len(good)) / el.Seconds()
	slices.Sort(good)
	pct := func(p float64) float64 {
		if len(good) == 0 {
			return 0
		}
		return float64(good[min(len(good)-1, int(p*float64(len(good))))].Microseconds()) / 1000
	}
	r.P50ms, r.P90ms, r.P99ms = pct(.50), pct(.90), pct(.99)
	return r
}
