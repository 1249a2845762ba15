// Command tenants-bench measures whether one tenant's flood delays another
// tenant's requests or cold starts in Wake's activator, in the same run
// (see /work/shared/design/BENCHMARKS.md).
//
// One in-process activator (dataplane.New, the data server with its caps
// at their defaults) serves two namespaces over loopback HTTP: tenant B
// has a warm function (containerConcurrency 0, a pod that answers at
// once) and a cold one (at zero; the activator's poke reaches a fake
// autoscaler, the pod is listed not ready after half the boot delay and
// passes the throttler's readiness probe from the boot delay on). Tenant
// A has a cold function whose pod does not boot during the window (its
// requests stay held) and a containerConcurrency 1 function whose pod
// takes -a-work per request.
//
// Windows alternate, -rounds times: B alone, and B while A floods: A's
// load generator, a child process, keeps -busy-conns clients looping on
// its cc=1 function (far above its capacity: its queue fills) and sends
// -cold-requests requests at its cold function over -cold-conns
// connections. In each window B sends -rate requests per second to its
// warm function and runs cold starts back to back. The generator's CPU is
// bounded by design: A's requests are mostly held waiting (costing memory,
// not CPU), refused ones are not retried at once (a busy client honours
// Retry-After; a cold request is sent once), and its cc=1 function serves
// 1/a-work requests per second.
//
//	go run ./test/bench/tenants           # 3 rounds of 2 x 8 s windows
//	go run ./test/bench/tenants -quick    # 1 round of 2 x 3 s windows
//
// It prints a table and writes the raw numbers as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/trace"
	"slices"
	"sync"
	"time"
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

// window is one measurement window.
type window struct {
	Round     int          `json:"round"`
	Flood     bool         `json:"a_flooding"`
	Warm      warmResult   `json:"b_warm"`
	Cold      []coldResult `json:"b_cold"`
	AHeld     int          `json:"a_held_at_start"` // tenant A's requests waiting in the activator
	AHeldEnd  int          `json:"a_held_at_end"`
	A         *floodCounts `json:"a,omitempty"`
	ACPU      float64      `json:"a_cpu_seconds,omitempty"` // A's generator during the window
	SelfCPU   float64      `json:"activator_and_b_cpu_seconds"`
	GCCycles  uint64       `json:"gc_cycles"`      // of the activator's process
	GCCPU     float64      `json:"gc_cpu_seconds"` // the same, CPU spent on GC`
	DurationS float64      `json:"duration_s"`
}

// summary is the medians over rounds of one phase.
type summary struct {
	Phase       string  `json:"phase"`
	WarmP50ms   float64 `json:"b_warm_p50_ms"`
	WarmP99ms   float64 `json:"b_warm_p99_ms"`
	WarmErrors  int     `json:"b_warm_errors"`
	ColdAddedMs float64 `json:"b_cold_added_ms"` // median over every cold start of the phase
	ColdPokeMs  float64 `json:"b_cold_poke_ms"`
	ColdN       int     `json:"b_cold_starts"`
	ColdErrors  int     `json:"b_cold_errors"`
}

type report struct {
	Started time.Time `json:"started"`
	Params  params    `json:"params"`
	Windows []window  `json:"windows"`
	Summary []summary `json:"summary"`
	// WarmP99Ratio is B's warm p99 with A flooding over without (target ≤ 1.1).
	WarmP99Ratio float64 `json:"b_warm_p99_ratio"`
	// ColdAddedDeltaMs is B's cold start with A flooding minus without,
	// in ms (target ≤ +50).
	ColdAddedDeltaMs float64 `json:"b_cold_start_delta_ms"`
	GoVersion        string  `json:"go_version"`
	CPUs             int     `json:"cpus"`
}

func main() {
	var (
		p       params
		quick   = flag.Bool("quick", false, "short run: 1 round of 3 s windows")
		out     = flag.String("out", "bin/bench/tenants.json", "JSON output path")
		child   = flag.Bool("flood-child", false, "internal: run as tenant A's load generator")
		addr    = flag.String("addr", "", "internal: the activator's address (with -flood-child)")
		timeout = flag.Duration("timeout", 3*time.Minute, "give up after this long")
		traceF  = flag.String("trace", "", "write an execution trace of the first flood window here")
	)
	flag.IntVar(&p.Rounds, "rounds", 5, "rounds of (B alone, B with A flooding), alternating their order")
	flag.DurationVar(&p.Window, "window", 5*time.Second, "measurement window per phase and round")
	flag.IntVar(&p.Rate, "rate", 400, "B's warm requests per second (open loop)")
	flag.DurationVar(&p.BBoot, "b-boot", 200*time.Millisecond, "boot delay of B's cold pod, from the activator's poke")
	flag.DurationVar(&p.Pause, "pause", 100*time.Millisecond, "pause at zero before each of B's cold starts")
	flag.DurationVar(&p.AWork, "a-work", 20*time.Millisecond, "time A's cc=1 pod takes per request")
	flag.IntVar(&p.ColdRequests, "cold-requests", 10000, "requests A sends at its cold function per flood")
	flag.IntVar(&p.ColdConns, "cold-conns", 3000, "A's concurrent connections to its cold function (more than its namespace may hold)")
	flag.IntVar(&p.BusyConns, "busy-conns", 500, "A's concurrent clients of its cc=1 function")
	flag.Parse()
	if *child {
		floodChild(*addr, p.ColdRequests, p.ColdConns, p.BusyConns)
		return
	}
	if *quick {
		p.Rounds, p.Window = 1, 3*time.Second
	}
	time.AfterFunc(*timeout, func() {
		fmt.Fprintln(os.Stderr, "bench-tenants: timed out")
		os.Exit(2)
	})
	rep, err := run(p, *traceF)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-tenants:", err)
		os.Exit(1)
	}
	printTable(rep)
	if err := writeJSON(*out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "bench-tenants:", err)
		os.Exit(1)
	}
}

func run(p params, traceFile string) (report, error) {
	rep := report{Started: time.Now().UTC(), Params: p, GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := newSetup(ctx, p.AWork, -1, p.BBoot)
	if err != nil {
		return rep, err
	}
	defer s.close()
	// Warm up B's connections and code paths, and one cold start.
	warmLoad(s.addr, p.Rate, 500*time.Millisecond)
	s.coldStarts(p.BBoot+p.Pause+time.Millisecond, p.BBoot, p.Pause)

	for round := 1; round <= p.Rounds; round++ {
		order := []bool{false, true}
		if round%2 == 0 {
			order = []bool{true, false}
		}
		for _, withA := range order {
			tf := ""
			if withA && round == 1 {
				tf = traceFile
			}
			w, err := s.window(p, withA, tf)
			if err != nil {
				return rep, err
			}
			w.Round = round
			rep.Windows = append(rep.Windows, w)
			phase := "alone"
			if withA {
				phase = "flood"
			}
			fmt.Fprintf(os.Stderr, "round %d %-5s B warm p50 %.3f p99 %.3f ms, cold added %.1f ms (n=%d); A held %d→%d, A cpu %.2fs, activator+B cpu %.2fs, GC %d cycles %.2fs cpu\n",
				round, phase, w.Warm.P50ms, w.Warm.P99ms, medianCold(w.Cold), len(w.Cold), w.AHeld, w.AHeldEnd, w.ACPU, w.SelfCPU, w.GCCycles, w.GCCPU)
		}
	}
	rep.Summary = []summary{summarize("alone", rep.Windows, false), summarize("flood", rep.Windows, true)}
	if a := rep.Summary[0]; a.WarmP99ms > 0 {
		rep.WarmP99Ratio = rep.Summary[1].WarmP99ms / a.WarmP99ms
	}
	rep.ColdAddedDeltaMs = rep.Summary[1].ColdAddedMs - rep.Summary[0].ColdAddedMs
	return rep, nil
}

// window measures B for one window, with A flooding if withA.
func (s *setup) window(p params, withA bool, traceFile string) (window, error) {
	w := window{Flood: withA}
	var f *flood
	if withA {
		var err error
		if f, err = startFlood(s.addr, p.ColdRequests, p.ColdConns, p.BusyConns); err != nil {
			return w, err
		}
		s.settle("tenant-a")
		w.ACPU = -f.cpu()
	}
	w.AHeld = s.held("tenant-a")
	stopTrace := func() {}
	if traceFile != "" {
		var err error
		if stopTrace, err = startTrace(traceFile); err != nil {
			return w, err
		}
	}
	self := cpuSeconds(os.Getpid())
	gc0 := readGC()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.Cold = s.coldStarts(p.Window, p.BBoot, p.Pause) }()
	w.Warm = warmLoad(s.addr, p.Rate, p.Window)
	wg.Wait()
	stopTrace()
	w.DurationS = time.Since(start).Seconds()
	w.SelfCPU = cpuSeconds(os.Getpid()) - self
	gc1 := readGC()
	w.GCCycles, w.GCCPU = gc1.cycles-gc0.cycles, gc1.cpu-gc0.cpu
	w.AHeldEnd = s.held("tenant-a")
	if f != nil {
		w.ACPU += f.cpu()
		n, err := f.stop()
		if err != nil {
			return w, err
		}
		w.A = &n
		if err := s.drained("tenant-a"); err != nil {
			return w, err
		}
	}
	return w, nil
}

// settle waits until ns's held requests stop changing for 300 ms (A's
// flood has filled what the activator lets it hold), at most 10 s.
func (s *setup) settle(ns string) {
	last, since := -1, time.Now()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := s.held(ns); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return
		}
	}
}

// drained waits until ns holds no request (its clients left).
func (s *setup) drained(ns string) error {
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if s.held(ns) == 0 {
			return nil
		}
	}
	return fmt.Errorf("%s still holds %d requests after its clients left", ns, s.held(ns))
}

func summarize(phase string, ws []window, flood bool) summary {
	s := summary{Phase: phase}
	var p50, p99, added, poke []float64
	for _, w := range ws {
		if w.Flood != flood {
			continue
		}
		p50, p99 = append(p50, w.Warm.P50ms), append(p99, w.Warm.P99ms)
		s.WarmErrors += w.Warm.Errors
		for _, c := range w.Cold {
			if c.Status != 200 {
				s.ColdErrors++
				continue
			}
			added, poke = append(added, c.AddedMs), append(poke, c.PokeMs)
		}
	}
	s.WarmP50ms, s.WarmP99ms = median(p50), median(p99)
	s.ColdAddedMs, s.ColdPokeMs, s.ColdN = median(added), median(poke), len(added)
	return s
}

func medianCold(cs []coldResult) float64 {
	var xs []float64
	for _, c := range cs {
		if c.Status == 200 {
			xs = append(xs, c.AddedMs)
		}
	}
	return median(xs)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(rep report) {
	p := rep.Params
	fmt.Printf("\ntenant fairness: B at %d req/s warm + cold starts (boot %v); A: %d requests at its cold function over %d connections, %d clients on its cc=1 function (%v per request)\n",
		p.Rate, p.BBoot, p.ColdRequests, p.ColdConns, p.BusyConns, p.AWork)
	fmt.Printf("medians over %d rounds of %v windows, alternating\n\n", p.Rounds, p.Window)
	fmt.Printf("%-22s %10s %10s %12s %12s %8s %8s\n", "phase", "warm p50", "warm p99", "cold added", "cold poke", "colds", "errors")
	for _, s := range rep.Summary {
		name := "B alone"
		if s.Phase == "flood" {
			name = "B with A flooding"
		}
		fmt.Printf("%-22s %7.3f ms %7.3f ms %9.1f ms %9.1f ms %8d %8d\n",
			name, s.WarmP50ms, s.WarmP99ms, s.ColdAddedMs, s.ColdPokeMs, s.ColdN, s.WarmErrors+s.ColdErrors)
	}
	for _, w := range rep.Windows {
		if w.A != nil {
			fmt.Printf("\nA per flood (round %d): cold sent %d, refused %d; cc=1 served %d, refused %d; held in the activator %d; A's generator CPU %.2f s in the %.0f s window\n",
				w.Round, w.A.ColdSent, w.A.ColdRefused, w.A.BusyOK, w.A.BusyRefused, w.AHeld, w.ACPU, w.DurationS)
			break
		}
	}
	fmt.Printf("\nB warm p99 with A / without A: %.2f (target ≤ 1.10)\n", rep.WarmP99Ratio)
	fmt.Printf("B cold start with A − without A: %+.1f ms (target ≤ +50 ms)\n", rep.ColdAddedDeltaMs)
}

func writeJSON(path string, rep report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Printf("\nraw numbers: %s\n", path)
	return nil
}

// startTrace writes an execution trace to path until the returned
// function is called.
func startTrace(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { trace.Stop(); _ = f.Close() }, nil
}

// gcStats is the process's garbage collector work so far.
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
