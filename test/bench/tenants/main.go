// Command tenants-bench measures whether one tenant's flood delays another
// tenant's requests or cold starts in Wake's activator, in the same run
// (see /work/shared/design/BENCHMARKS.md).
//
// Two identical activator nodes run as child processes, each Wake's
// request path as the activator assembles it (dataplane.New, the data
// server, the caps on connections and held requests at their defaults)
// with loopback pods and a fake autoscaler. Each serves two namespaces:
// tenant B has a warm function (containerConcurrency 0, a pod that answers
// at once) and a cold one (at zero; the activator's poke reaches the
// autoscaler, the pod is listed not ready after half the boot delay and
// passes the throttler's readiness probe from the boot delay on). Tenant
// A has a cold function whose pod does not boot during the window (its
// requests stay held) and a containerConcurrency 1 function whose pod
// takes -a-work per request.
//
// In every round A floods one node, alternately: its load generator, a
// third child process, keeps -busy-conns clients looping on the cc=1
// function (far above its capacity: its queue fills) and sends
// -cold-requests requests at the cold function over -cold-conns
// connections. Then, for one window, B sends the same load to both nodes
// at the same moments: -rate requests per second to its warm function, and
// cold starts back to back. The node A floods is "B with A", the other
// "B alone": the two lanes share the machine's noise (this machine's other
// work stalls both alike), so their ratio isolates what A's flood does
// inside an activator. The headline is the median over rounds of each
// round's p99 ratio (see report.WarmP99Ratio); B's cold start is what the
// activator adds beyond the pod's boot, median over all cold starts. What it does to the CPU is shared by both lanes;
// the generator's CPU is bounded by design and reported: A's requests are
// mostly held waiting (costing memory, not CPU), refused ones are not
// retried at once (a busy client honours Retry-After; a cold request is
// sent once), and the cc=1 function serves 1/a-work requests per second.
//
//	go run ./test/bench/tenants           # 10 rounds of 4 s windows, about 2 minutes
//	go run ./test/bench/tenants -quick    # 2 rounds of 3 s windows, about 30 s
//
// It prints a table and writes the raw numbers as JSON.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

// params are the benchmark's settings.
type params struct {
	Rounds       int           `json:"rounds"`
	Window       time.Duration `json:"window_ns"`
	Rate         int           `json:"b_rate_rps"`
	BBoot        time.Duration `json:"b_boot_ns"`
	Pause        time.Duration `json:"b_pause_ns"`
	AWork        time.Duration `json:"a_work_ns"`
	ColdRequests int           `json:"a_cold_requests"`
	ColdConns    int           `json:"a_cold_conns"`
	BusyConns    int           `json:"a_busy_conns"`
}

// lane is B's measurement on one node in one window.
type lane struct {
	Node     string       `json:"node"`
	Warm     warmResult   `json:"b_warm"`
	Cold     []coldResult `json:"b_cold"`
	CPU      float64      `json:"node_cpu_seconds"`
	GCCycles uint64       `json:"gc_cycles"`
	GCCPU    float64      `json:"gc_cpu_seconds"`
	AHeld    int          `json:"a_held"` // tenant A's requests waiting on the node at the window's start
}

// window is one round: both lanes measured at once.
type window struct {
	Round     int          `json:"round"`
	Alone     lane         `json:"b_alone"`
	WithA     lane         `json:"b_with_a"`
	A         *floodCounts `json:"a"`
	ACPU      float64      `json:"a_generator_cpu_seconds"` // during the window
	DurationS float64      `json:"duration_s"`
}

// laneSummary is one lane's medians over rounds.
type laneSummary struct {
	Lane      string  `json:"lane"`
	WarmP50ms float64 `json:"b_warm_p50_ms"`
	WarmP99ms float64 `json:"b_warm_p99_ms"`
	// PooledP50ms and PooledP99ms are over every warm request of the
	// lane in the run rather than medians of the rounds'.
	PooledP50ms float64 `json:"b_warm_pooled_p50_ms"`
	PooledP99ms float64 `json:"b_warm_pooled_p99_ms"`
	WarmErrors  int     `json:"b_warm_errors"`
	ColdAddedMs float64 `json:"b_cold_added_ms"` // median over every cold start of the lane
	ColdPokeMs  float64 `json:"b_cold_poke_ms"`
	ColdN       int     `json:"b_cold_starts"`
	ColdErrors  int     `json:"b_cold_errors"`
	GCCycles    uint64  `json:"gc_cycles"`
}

type report struct {
	Started time.Time     `json:"started"`
	Params  params        `json:"params"`
	Windows []window      `json:"windows"`
	Summary []laneSummary `json:"summary"`
	// WarmP99Ratio is the headline (target ≤ 1.1): the median over rounds
	// of each round's B warm p99 with A flooding over B's alone. The two
	// lanes of a round are measured at the same moments, so the ratio
	// cancels the machine's noise common to both, and the median discards
	// the rounds where a stall (tens of ms on a loaded machine) hit one
	// lane only. WarmP99PooledRatio is the ratio of the p99s over every
	// request of the run instead, which such a stall dominates.
	WarmP99Ratio       float64 `json:"b_warm_p99_ratio"`
	WarmP99PooledRatio float64 `json:"b_warm_p99_pooled_ratio"`
	// ColdAddedDeltaMs is B's cold start with A flooding minus without,
	// in ms (target ≤ +50).
	ColdAddedDeltaMs float64 `json:"b_cold_start_delta_ms"`
	GoVersion        string  `json:"go_version"`
	CPUs             int     `json:"cpus"`
}

func main() {
	var (
		p       params
		quick   = flag.Bool("quick", false, "short run: 2 rounds of 3 s windows")
		out     = flag.String("out", "bin/bench/tenants.json", "JSON output path")
		child   = flag.Bool("flood-child", false, "internal: run as tenant A's load generator")
		nodeF   = flag.Bool("node", false, "internal: run as an activator node")
		addr    = flag.String("addr", "", "internal: the activator's address (with -flood-child)")
		timeout = flag.Duration("timeout", 3*time.Minute, "give up after this long")
	)
	flag.IntVar(&p.Rounds, "rounds", 10, "rounds; A floods the two nodes in turn")
	flag.DurationVar(&p.Window, "window", 4*time.Second, "measurement window per round")
	flag.IntVar(&p.Rate, "rate", 250, "B's warm requests per second to each node (open loop)")
	flag.DurationVar(&p.BBoot, "b-boot", 200*time.Millisecond, "boot delay of B's cold pod, from the activator's poke")
	flag.DurationVar(&p.Pause, "pause", 100*time.Millisecond, "pause at zero before each of B's cold starts")
	flag.DurationVar(&p.AWork, "a-work", 20*time.Millisecond, "time A's cc=1 pod takes per request")
	flag.IntVar(&p.ColdRequests, "cold-requests", 10000, "requests A sends at its cold function per flood")
	flag.IntVar(&p.ColdConns, "cold-conns", 3000, "A's concurrent connections to its cold function (more than its namespace may hold)")
	flag.IntVar(&p.BusyConns, "busy-conns", 500, "A's concurrent clients of its cc=1 function")
	flag.Parse()
	switch {
	case *child:
		floodChild(*addr, p.ColdRequests, p.ColdConns, p.BusyConns)
		return
	case *nodeF:
		runNode(p)
		return
	}
	if *quick {
		p.Rounds, p.Window = 2, 3*time.Second
	}
	time.AfterFunc(*timeout, func() {
		fmt.Fprintln(os.Stderr, "bench-tenants: timed out")
		os.Exit(2)
	})
	rep, err := run(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-tenants:", err)
		os.Exit(1)
	}
	printTable(rep)
	if err := rawnumbers.Write(*out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "bench-tenants:", err)
		os.Exit(1)
	}
}

func run(p params) (report, error) {
	rep := report{Started: time.Now().UTC(), Params: p, GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	var nodes [2]*node
	for i, name := range []string{"X", "Y"} {
		n, err := startNode(name, p)
		if err != nil {
			return rep, err
		}
		defer n.stop()
		nodes[i] = n
	}
	// Warm up B's connections and code paths, and one cold start each.
	warmLoad([]string{nodes[0].addr, nodes[1].addr}, p.Rate, 500*time.Millisecond)
	for _, n := range nodes {
		coldStarts(n, p.BBoot+p.Pause+time.Millisecond, p.BBoot, p.Pause)
	}
	for round := 1; round <= p.Rounds; round++ {
		flooded, alone := nodes[round%2], nodes[(round+1)%2]
		w, err := measure(p, flooded, alone)
		if err != nil {
			return rep, err
		}
		w.Round = round
		rep.Windows = append(rep.Windows, w)
		fmt.Fprintf(os.Stderr, "round %d: B alone (%s) p50 %.3f p99 %.3f ms, cold +%.1f ms | with A (%s) p50 %.3f p99 %.3f ms, cold +%.1f ms | A held %d, A cpu %.2fs, GC %d/%d\n",
			round, w.Alone.Node, w.Alone.Warm.P50ms, w.Alone.Warm.P99ms, medianCold(w.Alone.Cold),
			w.WithA.Node, w.WithA.Warm.P50ms, w.WithA.Warm.P99ms, medianCold(w.WithA.Cold), w.WithA.AHeld, w.ACPU,
			w.Alone.GCCycles, w.WithA.GCCycles)
	}
	rep.Summary = []laneSummary{summarize("alone", rep.Windows, false), summarize("with A", rep.Windows, true)}
	if a := rep.Summary[0]; a.PooledP99ms > 0 {
		rep.WarmP99PooledRatio = rep.Summary[1].PooledP99ms / a.PooledP99ms
	}
	var ratios []float64
	for _, w := range rep.Windows {
		if w.Alone.Warm.P99ms > 0 {
			ratios = append(ratios, w.WithA.Warm.P99ms/w.Alone.Warm.P99ms)
		}
	}
	rep.WarmP99Ratio = summary.Median(ratios)
	rep.ColdAddedDeltaMs = rep.Summary[1].ColdAddedMs - rep.Summary[0].ColdAddedMs
	return rep, nil
}

// measure starts A's flood on flooded, waits until it holds what it may,
// measures B on both nodes at once for a window, and stops the flood.
func measure(p params, flooded, alone *node) (window, error) {
	w := window{Alone: lane{Node: alone.name}, WithA: lane{Node: flooded.name}}
	f, err := startFlood(flooded.addr, p.ColdRequests, p.ColdConns, p.BusyConns)
	if err != nil {
		return w, err
	}
	flooded.settle("tenant-a")
	w.WithA.AHeld, w.Alone.AHeld = flooded.held("tenant-a"), alone.held("tenant-a")
	lanes := []*lane{&w.Alone, &w.WithA}
	nodes := []*node{alone, flooded}
	var cpu0 [2]float64
	var gc0 [2]gcStats
	for i, n := range nodes {
		cpu0[i], gc0[i] = n.cpu(), n.gc()
	}
	aCPU := f.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); lanes[i].Cold = coldStarts(n, p.Window, p.BBoot, p.Pause) }()
	}
	warm := warmLoad([]string{alone.addr, flooded.addr}, p.Rate, p.Window)
	wg.Wait()
	w.DurationS = time.Since(start).Seconds()
	w.ACPU = f.cpu() - aCPU
	for i, n := range nodes {
		g := n.gc()
		lanes[i].Warm = warm[i]
		lanes[i].CPU = n.cpu() - cpu0[i]
		lanes[i].GCCycles, lanes[i].GCCPU = g.cycles-gc0[i].cycles, g.cpu-gc0[i].cpu
	}
	counts, err := f.stop()
	if err != nil {
		return w, err
	}
	w.A = &counts
	return w, flooded.drained("tenant-a")
}

func summarize(name string, ws []window, withA bool) laneSummary {
	s := laneSummary{Lane: name}
	p50, p99 := make([]float64, 0, len(ws)), make([]float64, 0, len(ws))
	var added, poke []float64
	var pooled []time.Duration
	for _, w := range ws {
		l := w.Alone
		if withA {
			l = w.WithA
		}
		p50, p99 = append(p50, l.Warm.P50ms), append(p99, l.Warm.P99ms)
		pooled = append(pooled, l.Warm.good...)
		s.WarmErrors += l.Warm.Errors
		s.GCCycles += l.GCCycles
		for _, c := range l.Cold {
			if c.Status != 200 {
				s.ColdErrors++
				continue
			}
			added, poke = append(added, c.AddedMs), append(poke, c.PokeMs)
		}
	}
	s.WarmP50ms, s.WarmP99ms = summary.Median(p50), summary.Median(p99)
	s.PooledP50ms, s.PooledP99ms = pct(pooled, .50), pct(pooled, .99)
	s.ColdAddedMs, s.ColdPokeMs, s.ColdN = summary.Median(added), summary.Median(poke), len(added)
	return s
}

func medianCold(cs []coldResult) float64 {
	var xs []float64
	for _, c := range cs {
		if c.Status == 200 {
			xs = append(xs, c.AddedMs)
		}
	}
	return summary.Median(xs)
}

func printTable(rep report) {
	p := rep.Params
	fmt.Printf("\ntenant fairness: B sends %d req/s to its warm function and cold-starts its cold one (boot %v) on two activator nodes at once;\n", p.Rate, p.BBoot)
	fmt.Printf("A floods one of them: %d requests at its cold function over %d connections, %d clients on its cc=1 function (%v per request)\n",
		p.ColdRequests, p.ColdConns, p.BusyConns, p.AWork)
	fmt.Printf("medians over %d rounds of %v windows (A floods the nodes in turn)\n\n", p.Rounds, p.Window)
	fmt.Printf("%-8s %10s %10s %14s %12s %11s %6s %6s %4s\n", "B", "warm p50", "warm p99", "p99 all reqs", "cold added", "cold poke", "colds", "errors", "GCs")
	for _, s := range rep.Summary {
		fmt.Printf("%-8s %7.3f ms %7.3f ms %11.3f ms %9.1f ms %8.1f ms %6d %6d %4d\n",
			s.Lane, s.WarmP50ms, s.WarmP99ms, s.PooledP99ms, s.ColdAddedMs, s.ColdPokeMs, s.ColdN, s.WarmErrors+s.ColdErrors, s.GCCycles)
	}
	fmt.Println("(warm: medians of the rounds' p50 and p99, and the p99 over every request; cold: median of all cold starts, beyond the boot)")
	if len(rep.Windows) > 0 {
		w := rep.Windows[0]
		fmt.Printf("\nA per flood (round 1): cold sent %d, refused %d; cc=1 served %d, refused %d; held by the activator %d;\n",
			w.A.ColdSent, w.A.ColdRefused, w.A.BusyOK, w.A.BusyRefused, w.WithA.AHeld)
		fmt.Printf("CPU in the %.1f s window: A's generator %.2f s, node with A %.2f s, node without %.2f s\n",
			w.DurationS, w.ACPU, w.WithA.CPU, w.Alone.CPU)
	}
	fmt.Printf("\nB warm p99 with A / alone: %.2f, median of the rounds' ratios (over all requests: %.2f); target ≤ 1.10\n", rep.WarmP99Ratio, rep.WarmP99PooledRatio)
	fmt.Printf("B cold start with A − alone: %+.1f ms (target ≤ +50 ms)\n", rep.ColdAddedDeltaMs)
}

// gcStats is a process's garbage collector work so far.
type gcStats struct {
	cycles uint64
	cpu    float64
}

// readGC reads the GC cycles completed and the CPU spent on GC.
func readGC() gcStats {
	ss := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(ss)
	return gcStats{cycles: ss[0].Value.Uint64(), cpu: ss[1].Value.Float64()}
}
