//go:build e2e

// Command scale measures Wake with many Functions on the local cluster
// (`make bench-scale N=...` after `make dev`). In one run it:
//
//  1. creates N Functions at zero (initialScale 0) at once, spread over
//     namespaces of at most -per-namespace each, with -writers concurrent
//     writers, and times the creates;
//  2. watches them until all are Ready, timing each from its create's
//     return to the watch event that showed it Ready;
//  3. samples, the whole time, the resident set and CPU time of the
//     controller, the activators, kube-apiserver, etcd and
//     kube-controller-manager from the host's /proc, and every -interval
//     the metrics of the API server, the controller and
//     kube-controller-manager, and how many Deployments lag (status
//     observedGeneration behind generation): a time series that shows what
//     limits the Ready rate;
//  4. a minute after all are Ready, wakes one Function three times in a row;
//  5. wakes -wake random Functions together and scales as many plain
//     Deployments of the same image 0 → 1 together, alternating which goes
//     first, -rounds times, and compares their times to a first 200;
//  6. prints markdown tables, writes the raw numbers to -out, and deletes
//     every namespace it created, also after an error or Ctrl-C.
//
// -cleanup deletes what an earlier run left (every namespace labelled
// bench.wake.dev/run) and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wakescheme "github.com/wakefn/wake/internal/scheme"
)

// config is the command line.
type config struct {
	n, perNamespace, writers, wake, rounds int
	qps                                    float64
	burst                                  int
	readyTimeout, cleanupTimeout           time.Duration
	settle, interval, wakeTimeout          time.Duration
	stableWindow                           time.Duration
	out, kubeconfig, clusterRoot           string
	cleanupOnly                            bool
}

func parseFlags() config {
	var c config
	flag.IntVar(&c.n, "n", 1000, "Functions to create")
	flag.IntVar(&c.perNamespace, "per-namespace", 1000, "Functions per bench namespace at most")
	flag.IntVar(&c.writers, "writers", 32, "concurrent create requests")
	flag.Float64Var(&c.qps, "qps", 1000, "this client's queries per second")
	flag.IntVar(&c.burst, "burst", 2000, "this client's burst")
	flag.DurationVar(&c.readyTimeout, "ready-timeout", 0, "how long to wait for all Functions to be Ready (0: 5 min, or 360 ms per Function if more; 60 min at 10,000)")
	flag.DurationVar(&c.cleanupTimeout, "cleanup-timeout", 0, "how long to wait for the bench namespaces to be deleted (0: 3 min, or 150 ms per Function if more; 1,000 took 114 s here)")
	flag.DurationVar(&c.settle, "settle", time.Minute, "wait after all are Ready before the single cold start")
	flag.DurationVar(&c.interval, "interval", 10*time.Second, "time-series interval")
	flag.IntVar(&c.wake, "wake", 50, "Functions woken together, and plain Deployments scaled together, per lane")
	flag.IntVar(&c.rounds, "rounds", 2, "rounds of the two lanes (their order alternates)")
	flag.DurationVar(&c.wakeTimeout, "wake-timeout", 5*time.Minute, "how long one woken request or Deployment may take")
	flag.DurationVar(&c.stableWindow, "stable-window", 2*time.Minute, "the Functions' stable window: a woken one keeps its pod this long after its answer, as the plain Deployments keep theirs until the lane ends (a shorter one tears pods down while the rest of its lane starts)")
	flag.StringVar(&c.out, "out", filepath.Join("bin", "bench", "scale.json"), "where to write the raw numbers")
	flag.StringVar(&c.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "admin kubeconfig (default $KUBECONFIG, else bin/kubeconfig)")
	flag.StringVar(&c.clusterRoot, "cluster-root", "/var/lib/wake-cluster", "the local cluster's root, for its PID files")
	flag.BoolVar(&c.cleanupOnly, "cleanup", false, "only delete the namespaces earlier runs left, then exit")
	flag.Parse()
	if c.kubeconfig == "" {
		c.kubeconfig = filepath.Join("bin", "kubeconfig")
	}
	if c.readyTimeout == 0 {
		c.readyTimeout = max(5*time.Minute, time.Duration(c.n)*360*time.Millisecond)
	}
	if c.cleanupTimeout == 0 {
		c.cleanupTimeout = max(3*time.Minute, time.Duration(c.n)*150*time.Millisecond)
	}
	return c
}

func (c config) validate() error {
	switch {
	case c.n < 1:
		return fmt.Errorf("-n %d: want at least 1", c.n)
	case c.perNamespace < 1 || c.writers < 1 || c.wake < 1 || c.rounds < 1:
		return fmt.Errorf("-per-namespace, -writers, -wake and -rounds must be at least 1")
	case c.wake*c.rounds+1 > c.n:
		return fmt.Errorf("-n %d is too few to wake %d×%d distinct Functions plus one", c.n, c.rounds, c.wake)
	case c.qps <= 0 || c.burst < 1:
		return fmt.Errorf("-qps and -burst must be positive")
	case c.interval < time.Second:
		return fmt.Errorf("-interval %v: want at least 1s", c.interval)
	}
	return nil
}

func main() {
	cfg := parseFlags()
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second signal ends the process at once, without cleaning up.
		stop()
	}()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// run connects and runs the benchmark, cleaning up whatever happens.
func run(ctx context.Context, cfg config) (err error) {
	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", cfg.kubeconfig, err)
	}
	restCfg = rest.CopyConfig(restCfg)
	restCfg.QPS, restCfg.Burst = float32(cfg.qps), cfg.burst
	restCfg.UserAgent = "wake-bench-scale"
	c, err := client.NewWithWatch(restCfg, client.Options{Scheme: wakescheme.New()})
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if cfg.cleanupOnly {
		return cleanup(c, runLabel, "", cfg.cleanupTimeout)
	}
	// An earlier run's Functions would be counted in every number here.
	left := &corev1.NamespaceList{}
	if err := c.List(ctx, left, client.HasLabels{runLabel}); err != nil {
		return fmt.Errorf("list bench namespaces: %w", err)
	}
	if len(left.Items) > 0 {
		return fmt.Errorf("%d namespaces of an earlier run are still there (%s, ...): "+
			"remove them with BENCH_ARGS=-cleanup, or make cluster-down", len(left.Items), left.Items[0].Name)
	}
	b, err := newBench(ctx, cfg, restCfg, c)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := cleanup(c, runLabel, b.id, cfg.cleanupTimeout); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return b.run(ctx)
}
