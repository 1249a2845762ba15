//go:build e2e

package main

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
	"github.com/wakefn/wake/test/bench/internal/proc"
	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
)

// procInterval is how often the processes' memory and CPU are read.
const procInterval = time.Second

// bench is one run.
type bench struct {
	cfg    config
	c      client.WithWatch
	rest   *rest.Config
	id     string
	layout layout
	act    *coldlane.Activator
	state  *state
	procs  *proc.Sampler
	series *series
}

func newBench(ctx context.Context, cfg config, restCfg *rest.Config, c client.WithWatch) (*bench, error) {
	act, err := coldlane.FindActivator(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("is Wake installed (make dev)? %w", err)
	}
	suffix := make([]byte, 3)
	_, _ = cryptorand.Read(suffix)
	id := hex.EncodeToString(suffix)
	run := filepath.Join(cfg.clusterRoot, "run")
	b := &bench{
		cfg: cfg, c: c, rest: restCfg, id: id, act: act,
		layout: layout{id: id, n: cfg.n, perNamespace: cfg.perNamespace},
		state:  newState(),
		procs: proc.NewSampler("/proc",
			proc.Role{Name: roleController, Argv0: "/ko-app/controller"},
			proc.Role{Name: roleActivator, Argv0: "/ko-app/activator"},
			proc.Role{Name: roleAPIServer, PIDFile: filepath.Join(run, "kube-apiserver.pid")},
			proc.Role{Name: roleEtcd, PIDFile: filepath.Join(run, "etcd.pid")},
			proc.Role{Name: roleKCM, PIDFile: filepath.Join(run, "kube-controller-manager.pid")},
			proc.Role{Name: roleKubelet, PIDFile: filepath.Join(run, "kubelet.pid")},
			proc.Role{Name: roleContainerd, PIDFile: filepath.Join(run, "containerd.pid")},
			proc.Role{Name: roleContainerd, Argv0: "/usr/bin/containerd-shim-runc-v2"}),
	}
	scr, err := newScraper(c, restCfg)
	if err != nil {
		return nil, err
	}
	b.series = &series{scraper: scr, procs: b.procs, state: b.state, live: os.Stderr, objects: map[string]float64{}, warned: map[string]bool{}}
	return b, nil
}

// run measures, prints and writes the report.
func (b *bench) run(ctx context.Context) error {
	rep := &report{
		StartedAt: time.Now().UTC(), N: b.cfg.n, Namespaces: len(b.layout.namespaces()),
		Writers: b.cfg.writers, QPS: b.cfg.qps, Burst: b.cfg.burst, Machine: machine(),
	}
	if err := createNamespaces(ctx, b.c, b.id, append(b.layout.namespaces(), b.layout.plainNamespace())...); err != nil {
		return err
	}
	if err := createPlain(ctx, b.c, b.layout.plainNamespace(), b.cfg.wake); err != nil {
		return err
	}

	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	var wg sync.WaitGroup
	wg.Go(func() { sampleProcs(sampling, b.procs) })
	b.state.watchAll(sampling, b.c, b.layout.namespaces())
	b.series.start = time.Now()
	b.series.setPhase("create")
	wg.Go(func() { b.series.run(sampling, b.cfg.interval) })

	fmt.Fprintf(os.Stderr, "run %s: creating %d Functions in %d namespaces with %d writers\n", b.id, b.cfg.n, rep.Namespaces, b.cfg.writers)
	before := b.series.scraper.scrape(ctx)
	cr, err := createFunctions(ctx, b.c, b.layout, b.cfg.writers, b.cfg.stableWindow)
	rep.CreateSeconds, rep.CreateRetries = cr.took.Seconds(), cr.retries
	rep.CreateServerMs = meanPostMs(before, b.series.scraper.scrape(ctx), "functions")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created %d Functions in %.1f s; waiting up to %v for all to be Ready\n", b.cfg.n, cr.took.Seconds(), b.cfg.readyTimeout)
	b.series.setPhase("ready")
	lastReady, err := b.waitReady(ctx)
	rep.finishReady(b, cr, lastReady)
	rep.PerFunction = perFunction(before, b.series.scraper.scrape(ctx), b.cfg.n)
	if err != nil {
		b.finish(rep, stopSampling, &wg)
		return err
	}

	b.series.setPhase("settle")
	fmt.Fprintf(os.Stderr, "all %d Ready after %.1f s; waking one Function in %v\n", b.cfg.n, rep.AllReadySeconds, b.cfg.settle)
	poll.Sleep(ctx, b.cfg.settle)
	picks := rand.Perm(b.cfg.n)[:b.cfg.wake*b.cfg.rounds+1]
	b.series.setPhase("single")
	for range 3 {
		if ctx.Err() != nil {
			break
		}
		r := b.wakeOne(ctx, picks[0])
		rep.Single = append(rep.Single, r)
		fmt.Fprintf(os.Stderr, "single %s: %.0f ms %d %s\n", r.Function, r.Ms, r.Code, r.Error)
	}

	if ctx.Err() != nil {
		b.finish(rep, stopSampling, &wg)
		return fmt.Errorf("interrupted before the lanes: %w", ctx.Err())
	}
	b.series.setPhase("lanes")
	for round := range b.cfg.rounds {
		order := []string{laneDeployment, laneWake}
		if round%2 == 1 {
			order = []string{laneWake, laneDeployment}
		}
		for pos, lane := range order {
			if err := b.quiesce(ctx); err != nil {
				b.finish(rep, stopSampling, &wg)
				return fmt.Errorf("before round %d %s: %w", round, lane, err)
			}
			var lr laneRun
			cpu := b.cpuSeconds()
			if lane == laneWake {
				lr = b.wakeLane(ctx, picks[1+round*b.cfg.wake:1+(round+1)*b.cfg.wake])
			} else {
				lr = b.deploymentLane(ctx, b.cfg.wake)
			}
			lr.CPUSeconds = b.cpuSeconds()
			for role, s := range cpu {
				lr.CPUSeconds[role] -= s
			}
			lr.Round, lr.Position = round, pos
			rep.Lanes = append(rep.Lanes, lr)
			fmt.Fprintf(os.Stderr, "round %d %-10s: %d answered, %d failed\n", round, lane, len(lr.Ms), len(lr.Failures))
		}
	}
	if err := b.quiesce(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
	b.finish(rep, stopSampling, &wg)
	return ctx.Err()
}

// finish stops sampling and prints and writes what was measured.
func (b *bench) finish(rep *report, stopSampling func(), wg *sync.WaitGroup) {
	b.series.sample(context.Background())
	stopSampling()
	wg.Wait()
	rep.Processes = b.procs.Totals()
	rep.Series, rep.APIObjectsPeak, rep.ControllerReconciles = b.series.snapshot()
	rep.summarize()
	rep.print(os.Stdout)
	if err := rawnumbers.Write(b.cfg.out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
}

// waitReady waits until every Function has been seen Ready, and returns
// when the last one was.
func (b *bench) waitReady(ctx context.Context) (time.Time, error) {
	deadline := time.NewTimer(b.cfg.readyTimeout)
	defer deadline.Stop()
	var last time.Time
	for {
		ready := b.state.readyCount()
		if ready >= b.cfg.n {
			for i := range b.cfg.n {
				if t, ok := b.state.ready(b.layout.key(i)); ok && t.After(last) {
					last = t
				}
			}
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-deadline.C:
			return last, fmt.Errorf("%d of %d Functions Ready after %v: %w", ready, b.cfg.n, b.cfg.readyTimeout, errTimeout)
		case <-b.state.changed:
		}
	}
}

// cpuSeconds samples the processes and returns each role's CPU seconds
// since sampling began.
func (b *bench) cpuSeconds() map[string]float64 {
	b.procs.Sample()
	out := map[string]float64{}
	for role, t := range b.procs.Totals() {
		out[role] = t.CPUSeconds
	}
	return out
}

// sampleProcs reads the processes every procInterval until ctx ends.
func sampleProcs(ctx context.Context, s *proc.Sampler) {
	t := time.NewTicker(procInterval)
	defer t.Stop()
	for {
		s.Sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
