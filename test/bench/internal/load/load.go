// Package load sends the HTTP load of the benchmarks under test/bench, the
// same way for every one of them: an open loop at a fixed rate, timed from
// each request's scheduled send, and a closed loop of back-to-back clients.
package load

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Target is where requests go.
type Target struct {
	// URL is the address requests are sent to.
	URL string
	// Host, when set, is the Host header.
	Host string
	// Header is added to every request.
	Header http.Header
	// Method is the request method; empty sends GET.
	Method string
	// Status is the answer that counts as a success; 0 means 200.
	Status int
}

// Result is one lane's measurement.
type Result struct {
	// Lane names what was measured.
	Lane string `json:"lane"`
	// Round counts rounds of lanes from 1.
	Round int `json:"round"`
	// Mode is "open" or "closed".
	Mode string `json:"mode"`
	// Requests is the number of requests sent.
	Requests int `json:"requests"`
	// Errors counts requests without a whole answer of the Target's status.
	Errors int `json:"errors"`
	// DurationS is the time from the first send to the last answer.
	DurationS float64 `json:"duration_s"`
	// Throughput is the successful requests per second.
	Throughput float64 `json:"throughput_rps"`
	// P50ms, P90ms and P99ms are latency percentiles of the successful
	// requests in milliseconds.
	P50ms float64 `json:"p50_ms"`
	P90ms float64 `json:"p90_ms"`
	P99ms float64 `json:"p99_ms"`
	// Late counts open-loop sends more than 1 ms behind schedule.
	Late int `json:"late_sends,omitempty"`
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
	}}
}

// do sends one bodiless request and reads the whole answer.
func do(c *http.Client, t Target) (time.Duration, bool) {
	method, status := t.Method, t.Status
	if method == "" {
		method = http.MethodGet
	}
	if status == 0 {
		status = http.StatusOK
	}
	req, err := http.NewRequest(method, t.URL, nil)
	if err != nil {
		return 0, false
	}
	req.Host = t.Host
	for k, v := range t.Header {
		req.Header[k] = v
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return time.Since(start), false
	}
	_, err = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return time.Since(start), err == nil && res.StatusCode == status
}

// Open sends rate requests per second for d, whatever the answers'
// latency (up to 256 concurrent requests), and times each from its
// scheduled send.
func Open(t Target, rate int, d time.Duration) Result {
	const workers = 256
	c := newClient(workers)
	defer c.CloseIdleConnections()
	n := int(float64(rate) * d.Seconds())
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	jobs := make(chan int, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				lat[i], ok[i] = do(c, t)
			}
		})
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

// Closed runs conns clients back to back for d.
func Closed(t Target, conns int, d time.Duration) Result {
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
		wg.Go(func() {
			var l []time.Duration
			var o []bool
			for !stop.Load() {
				d, ok := do(c, t)
				l = append(l, d)
				o = append(o, ok)
			}
			mu.Lock()
			lat = append(lat, l...)
			oks = append(oks, o...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := summarize(lat, oks, time.Since(start))
	r.Mode = "closed"
	return r
}

func summarize(lat []time.Duration, ok []bool, el time.Duration) Result {
	r := Result{Requests: len(lat), DurationS: el.Seconds()}
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
