//go:build e2e

// Command knative-bench compares Wake with Knative Serving on the local
// cluster, in one run and with the same hello image (wake/hello:dev) behind
// three paths (see BENCHMARKS.md):
//
//   - direct: the load generator → a plain pod's IP;
//   - knative: → Knative's activator Service, addressed with the
//     Knative-Serving-Namespace and Knative-Serving-Revision headers (no
//     ingress), → queue-proxy → the pod; target-burst-capacity is -1, so
//     the activator is the one Knative hop a request without an ingress can
//     take;
//   - wake: → Wake's activator Service, by Host → the pod.
//
// It reports added latency p50/p99 over direct at a fixed open-loop rate
// (lanes interleaved), closed-loop throughput as a share of direct, cold
// start medians (both at zero before each run, alternating), and a burst of
// concurrent requests to a function at zero. Warm lanes use a Knative
// Service and a Wake Function kept at one pod (min scale 1); cold lanes use
// a second pair that scales to zero after a 6 s window. Knative must be
// installed (make bench-knative does it and removes it afterwards).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wakescheme "github.com/wakefn/wake/internal/scheme"
	"github.com/wakefn/wake/test/bench/internal/load"
	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
)

// options are the command's flags.
type options struct {
	rate        int
	openDur     time.Duration
	closedDur   time.Duration
	conns       int
	rounds      int
	coldRuns    int
	burst       int
	out         string
	kubeconfig  string
	skipWarm    bool
	skipCold    bool
	keepObjects bool
}

func main() {
	var o options
	flag.IntVar(&o.rate, "rate", 1000, "open-loop requests per second")
	flag.DurationVar(&o.openDur, "duration", 7*time.Second, "open-loop time per lane and round")
	flag.DurationVar(&o.closedDur, "closed-duration", 4*time.Second, "closed-loop time per lane and round")
	flag.IntVar(&o.conns, "conns", 32, "closed-loop connections")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of interleaved lanes (open and closed loop)")
	flag.IntVar(&o.coldRuns, "cold-runs", 7, "cold starts per lane")
	flag.IntVar(&o.burst, "burst", 200, "concurrent requests sent to a function at zero")
	flag.StringVar(&o.out, "out", filepath.Join("bin", "bench", "knative.json"), "where to write the raw numbers")
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (default $KUBECONFIG, else bin/kubeconfig)")
	flag.BoolVar(&o.skipWarm, "skip-warm", false, "skip the latency and throughput lanes")
	flag.BoolVar(&o.skipCold, "skip-cold", false, "skip cold starts and the burst")
	flag.BoolVar(&o.keepObjects, "keep", false, "keep the bench namespace (for debugging)")
	flag.Parse()
	if o.kubeconfig == "" {
		o.kubeconfig = filepath.Join("bin", "kubeconfig")
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "knative-bench:", err)
		os.Exit(1)
	}
}

// report is the JSON written to bin/bench/knative.json.
type report struct {
	StartedAt time.Time     `json:"startedAt"`
	Rate      int           `json:"rateRps"`
	Conns     int           `json:"closedLoopConns"`
	Results   []load.Result `json:"results"`
	Lanes     []laneSummary `json:"lanes"`
	// WarmPods is how many pods each warm function had after the warm
	// lanes (both may scale up under load).
	WarmPods map[string]int32 `json:"warmPodsAfterLoad,omitempty"`
	Cold     []coldRun        `json:"coldRuns"`
	Bursts   []burstResult    `json:"bursts"`
}

func run(o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", o.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: wakescheme.New()})
	if err != nil {
		return err
	}
	ctx := context.Background()
	b := &bench{c: c}
	defer func() {
		if !o.keepObjects {
			b.teardown()
		}
	}()
	if err := b.setup(ctx); err != nil {
		return err
	}
	rep := report{StartedAt: time.Now().UTC(), Rate: o.rate, Conns: o.conns}
	if !o.skipWarm {
		rep.Results = b.warmLanes(o)
		rep.WarmPods = b.warmPods(ctx)
	}
	if !o.skipCold {
		cold, err := b.coldStarts(ctx, o.coldRuns)
		rep.Cold = cold
		if err != nil {
			return err
		}
		for _, l := range []lane{b.cold[laneKnative], b.cold[laneWake]} {
			r, err := b.burstRun(ctx, l, o.burst)
			if err != nil {
				return err
			}
			rep.Bursts = append(rep.Bursts, r)
		}
	}
	rep.Lanes = summarizeLanes(rep.Results, rep.Cold)
	printTable(os.Stdout, rep)
	return rawnumbers.Write(o.out, rep)
}
