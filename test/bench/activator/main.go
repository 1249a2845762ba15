// Command activator-bench measures Wake's activator request path against
// two references in the same run (see /work/shared/design/BENCHMARKS.md):
// direct to a loopback backend, a bare httputil.ReverseProxy, and Wake's
// activator handler (routing table with 1,000 functions, real throttler,
// stats reporter and metrics on); then the activator through a Route with
// every gateway policy (CORS from an allowed origin, an API key, a rate
// limit per client), both again on an activator that meters every request
// (internal/activator/meter, as wake-config ships it), that Route's CORS
// preflights, and the refusals the activator answers itself: no API key
// (401), over the limit (429). Lanes
// alternate A B C ... A B C ..., at a fixed open-loop rate and then
// closed-loop with a fixed number of connections.
// It prints a table and writes the raw numbers as JSON; it also measures
// the RSS of an activator process holding queued requests.
//
//	go run ./test/bench/activator            # 20 s per open-loop lane, 2 rounds
//	go run ./test/bench/activator -quick     # a few seconds in all
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/test/bench/internal/load"
	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

type report struct {
	Started   time.Time     `json:"started"`
	Rate      int           `json:"rate_rps"`
	Conns     int           `json:"closed_loop_conns"`
	Results   []load.Result `json:"results"`
	Summary   []laneSummary `json:"summary"`
	Memory    *memResult    `json:"memory,omitempty"`
	GoVersion string        `json:"go_version"`
}

// laneSummary is a lane's medians over rounds, and its cost over direct.
type laneSummary struct {
	Lane          string  `json:"lane"`
	P50ms         float64 `json:"p50_ms"`
	P90ms         float64 `json:"p90_ms"`
	P99ms         float64 `json:"p99_ms"`
	AddedP50ms    float64 `json:"added_p50_ms"`
	AddedP99ms    float64 `json:"added_p99_ms"`
	Errors        int     `json:"errors"`
	MaxRPS        float64 `json:"closed_loop_rps"`
	ThroughputPct float64 `json:"throughput_vs_direct_pct"`
}

func main() {
	var (
		duration  = flag.Duration("duration", 20*time.Second, "open-loop duration per lane and round")
		closedDur = flag.Duration("closed-duration", 5*time.Second, "closed-loop duration per lane and round")
		rounds    = flag.Int("rounds", 2, "rounds of every lane")
		rate      = flag.Int("rate", 1000, "open-loop requests per second")
		conns     = flag.Int("conns", 64, "closed-loop connections")
		revisions = flag.Int("revisions", 1000, "functions in the routing table")
		queued    = flag.Int("queued", 10000, "requests held in queues for the memory lane (0 skips it)")
		quick     = flag.Bool("quick", false, "short run: 2 s lanes, 1 round, 1,000 queued")
		out       = flag.String("out", "bin/bench/activator.json", "JSON output path")
		cpuprof   = flag.String("cpuprofile", "", "write a CPU profile of the closed-loop rounds here (lanes are pprof labels)")
		memChildF = flag.Bool("mem-child", false, "internal: run as the memory lane's activator")
	)
	flag.Parse()
	if *memChildF {
		memChild(*revisions)
		return
	}
	if *quick {
		*duration, *closedDur, *rounds, *queued = 2*time.Second, 2*time.Second, 1, 1000
	}
	if err := run(*duration, *closedDur, *rounds, *rate, *conns, *revisions, *queued, *out, *cpuprof); err != nil {
		fmt.Fprintln(os.Stderr, "bench-activator:", err)
		os.Exit(1)
	}
}

func run(duration, closedDur time.Duration, rounds, rate, conns, revisions, queued int, out, cpuprof string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	backend, stopBackend := startBackend()
	defer stopBackend()
	bare, stopBare := startBare(backend)
	defer stopBare()
	act, err := newActivator(ctx, revisions, statsSink(), nil)
	if err != nil {
		return err
	}
	act.Throttler.SetEndpoints(benchKey, []throttlerEndpoint{{Address: backend, Ready: true}})
	actAddr, stopAct := startActivator("activator", act)
	defer stopAct()
	// The same activator with metering on, as wake-config ships it.
	metered, err := newActivator(ctx, revisions, statsSink(), meter.New(meter.Options{Mode: metering.ModeRequest}))
	if err != nil {
		return err
	}
	metered.Throttler.SetEndpoints(benchKey, []throttlerEndpoint{{Address: backend, Ready: true}})
	meteredAddr, stopMetered := startActivator("metered", metered)
	defer stopMetered()

	target := func(addr string) load.Target { return load.Target{URL: "http://" + addr + "/", Host: benchHost} }
	origin := http.Header{cors.HeaderOrigin: {benchOrigin}, benchKeyHeader: {benchSecret}}
	lanes := []struct {
		name   string
		target load.Target
	}{
		{"direct", target(backend)},
		{"bare-proxy", target(bare)},
		{"activator", target(actAddr)},
		// A Route with CORS, an API key and a rate limit, requests from an
		// allowed origin with a valid key, under the limit.
		{"gateway", load.Target{URL: "http://" + actAddr + "/", Host: gatewayHost, Header: origin}},
		// Refused: no key; over the limit.
		{"refused-401", load.Target{URL: "http://" + actAddr + "/", Host: gatewayHost, Status: http.StatusUnauthorized,
			Header: http.Header{cors.HeaderOrigin: {benchOrigin}}}},
		{"refused-429", load.Target{URL: "http://" + actAddr + "/", Host: limitedHost, Status: http.StatusTooManyRequests, Header: origin}},
		// The activator and the gateway Route again, metered.
		{"metered", target(meteredAddr)},
		{"metered-gw", load.Target{URL: "http://" + meteredAddr + "/", Host: gatewayHost, Header: origin}},
		// Its preflights, answered by the activator itself.
		{"preflight", load.Target{URL: "http://" + actAddr + "/", Host: gatewayHost, Method: http.MethodOptions, Status: http.StatusNoContent,
			Header: http.Header{cors.HeaderOrigin: {benchOrigin}, "Access-Control-Request-Method": {"PUT"}}}},
	}
	rep := report{Started: time.Now().UTC(), Rate: rate, Conns: conns, GoVersion: goVersion()}
	// Warm up every lane's connections and code paths.
	for _, l := range lanes {
		load.Closed(l.target, conns, 300*time.Millisecond)
	}
	for round := 1; round <= rounds; round++ {
		for _, l := range lanes {
			r := load.Open(l.target, rate, duration)
			r.Lane, r.Round = l.name, round
			fmt.Fprintf(os.Stderr, "open   round %d %-10s p50 %.3f ms p99 %.3f ms errors %d\n", round, l.name, r.P50ms, r.P99ms, r.Errors)
			rep.Results = append(rep.Results, r)
		}
	}
	if cpuprof != "" {
		f, err := os.Create(cpuprof)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for round := 1; round <= rounds; round++ {
		for _, l := range lanes {
			r := load.Closed(l.target, conns, closedDur)
			r.Lane, r.Round = l.name, round
			fmt.Fprintf(os.Stderr, "closed round %d %-10s %.0f req/s errors %d\n", round, l.name, r.Throughput, r.Errors)
			rep.Results = append(rep.Results, r)
		}
	}
	pprof.StopCPUProfile()
	names := make([]string, len(lanes))
	for i, l := range lanes {
		names[i] = l.name
	}
	rep.Summary = summarizeLanes(rep.Results, names)
	if queued > 0 {
		m, err := measureMemory(revisions, queued)
		if err != nil {
			return err
		}
		rep.Memory = &m
	}
	printTable(rep)
	return rawnumbers.Write(out, rep)
}

func summarizeLanes(results []load.Result, lanes []string) []laneSummary {
	sums := make([]laneSummary, 0, len(lanes))
	for _, lane := range lanes {
		var p50, p90, p99, rps []float64
		s := laneSummary{Lane: lane}
		for _, r := range results {
			if r.Lane != lane {
				continue
			}
			s.Errors += r.Errors
			if r.Mode == "open" {
				p50, p90, p99 = append(p50, r.P50ms), append(p90, r.P90ms), append(p99, r.P99ms)
			} else {
				rps = append(rps, r.Throughput)
			}
		}
		s.P50ms, s.P90ms, s.P99ms, s.MaxRPS = summary.Median(p50), summary.Median(p90), summary.Median(p99), summary.Median(rps)
		sums = append(sums, s)
	}
	for i := range sums {
		sums[i].AddedP50ms = sums[i].P50ms - sums[0].P50ms
		sums[i].AddedP99ms = sums[i].P99ms - sums[0].P99ms
		if sums[0].MaxRPS > 0 {
			sums[i].ThroughputPct = 100 * sums[i].MaxRPS / sums[0].MaxRPS
		}
	}
	return sums
}

func printTable(rep report) {
	fmt.Printf("\nactivator request path: open loop %d req/s (medians of rounds), closed loop %d connections\n\n", rep.Rate, rep.Conns)
	fmt.Printf("%-11s %8s %8s %8s %10s %10s %11s %9s %7s\n", "lane", "p50 ms", "p90 ms", "p99 ms", "+p50 ms", "+p99 ms", "max req/s", "vs direct", "errors")
	for _, s := range rep.Summary {
		fmt.Printf("%-11s %8.3f %8.3f %8.3f %10.3f %10.3f %11.0f %8.0f%% %7d\n",
			s.Lane, s.P50ms, s.P90ms, s.P99ms, s.AddedP50ms, s.AddedP99ms, s.MaxRPS, s.ThroughputPct, s.Errors)
	}
	if len(rep.Summary) >= 3 && rep.Summary[1].AddedP50ms > 0 {
		fmt.Printf("\nactivator added / bare proxy added: p50 %.2f, p99 %.2f\n",
			rep.Summary[2].AddedP50ms/rep.Summary[1].AddedP50ms, rep.Summary[2].AddedP99ms/rep.Summary[1].AddedP99ms)
	}
	if m := rep.Memory; m != nil {
		fmt.Printf("\nmemory: %d revisions, %d requests held (%s): VmHWM %.0f MB (baseline %.0f MB), VmRSS %.0f MB\n",
			m.Revisions, m.Queued, m.Protocol, m.HeldHWMMB, m.BaselineHWMMB, m.HeldRSSMB)
	}
}
