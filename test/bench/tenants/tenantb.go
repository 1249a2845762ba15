package main

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// newClient is a keep-alive client for up to conns connections.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
	}, Timeout: 30 * time.Second}
}

// get sends one GET to the activator at addr for host and reads the
// answer; it returns the latency and the status (0 on a transport error).
func get(c *http.Client, addr, host string) (time.Duration, int) {
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return time.Since(start), 0
	}
	_, err = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if err != nil {
		return time.Since(start), 0
	}
	return time.Since(start), res.StatusCode
}

// warmResult is B's warm function under its steady load in one window.
type warmResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	// good holds the latencies of the 200 answers, for percentiles pooled
	// over windows.
	good []time.Duration
}

// warmLoad sends rate requests per second to B's warm function on each
// of addrs for d, the same moment to each (open loop: on schedule whatever
// the answers' latency), and returns one result per address.
func warmLoad(addrs []string, rate int, d time.Duration) []warmResult {
	const workers = 64
	n := int(float64(rate) * d.Seconds())
	type lane struct {
		c     *http.Client
		lat   []time.Duration
		codes []int
		jobs  chan int
	}
	lanes := make([]*lane, len(addrs))
	var wg sync.WaitGroup
	for li, addr := range addrs {
		l := &lane{c: newClient(workers), lat: make([]time.Duration, n), codes: make([]int, n), jobs: make(chan int, n)}
		lanes[li] = l
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range l.jobs {
					l.lat[i], l.codes[i] = get(l.c, addr, host(keyBWarm))
				}
			}()
		}
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		// Alternate which lane is sent to first.
		for k := range lanes {
			lanes[(i+k)%len(lanes)].jobs <- i
		}
	}
	out := make([]warmResult, len(lanes))
	for _, l := range lanes {
		close(l.jobs)
	}
	wg.Wait()
	for li, l := range lanes {
		l.c.CloseIdleConnections()
		r := warmResult{Requests: n}
		var good []time.Duration
		for i, d := range l.lat {
			if l.codes[i] == http.StatusOK {
				good = append(good, d)
			} else {
				r.Errors++
			}
		}
		r.P50ms, r.P90ms, r.P99ms = pct(good, .50), pct(good, .90), pct(good, .99)
		r.good = good
		out[li] = r
	}
	return out
}

// pct returns the p-th quantile of ds in milliseconds (ds is sorted).
func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ms(ds[min(len(ds)-1, int(p*float64(len(ds))))])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// coldResult is one cold start of B's cold function.
type coldResult struct {
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latency_ms"` // client send to whole answer
	PokeMs    float64 `json:"poke_ms"`    // client send to the autoscaler's poke
	// AddedMs is what the activator adds to the pod's boot: LatencyMs
	// minus the boot delay, which runs from the poke.
	AddedMs float64 `json:"added_ms"`
}

// coldStarts runs cold starts of B's cold function on n back to back for
// d: scale to zero, pause, one request, which waits for the pod to boot.
func coldStarts(n *node, d, boot, pause time.Duration) []coldResult {
	c := newClient(1)
	defer c.CloseIdleConnections()
	var out []coldResult
	end := time.Now().Add(d)
	for time.Until(end) > boot+pause {
		n.zero()
		time.Sleep(pause)
		start := time.Now()
		lat, code := get(c, n.addr, host(keyBCold))
		out = append(out, coldResult{
			Status:    code,
			LatencyMs: ms(lat),
			PokeMs:    ms(n.pokedAt().Sub(start)),
			AddedMs:   ms(lat - boot),
		})
	}
	n.zero()
	return out
}
