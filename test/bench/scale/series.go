//go:build e2e

package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wakefn/wake/test/bench/internal/proc"
	"github.com/wakefn/wake/test/bench/internal/promtext"
)

// unknown marks a number that could not be read.
const unknown = -1

// row is one line of the time series. Queue depths are gauges at the
// time; the per-second figures are rates over the interval that ends then.
type row struct {
	T     float64 `json:"t"`
	Phase string  `json:"phase"`
	// Created counts Function creates returned, Ready the Functions seen
	// Ready, Deployments the revision Deployments that exist, Lagging
	// those whose observedGeneration is behind their generation.
	Created     int `json:"created"`
	Ready       int `json:"ready"`
	Deployments int `json:"deployments"`
	Lagging     int `json:"lagging"`
	// ControllerQueue is the sum of wake-controller's workqueue depths.
	ControllerQueue          float64 `json:"controllerQueue"`
	ControllerReconcilesPerS float64 `json:"controllerReconcilesPerS"`
	ControllerAPIPerS        float64 `json:"controllerAPIPerS"`
	// KCM* are kube-controller-manager's deployment and replicaset
	// workqueues, the seconds per second its clients waited on their own
	// rate limiters (client-side throttling), and its API requests.
	KCMDeploymentQueue float64 `json:"kcmDeploymentQueue"`
	KCMReplicaSetQueue float64 `json:"kcmReplicaSetQueue"`
	KCMThrottledPerS   float64 `json:"kcmThrottledPerS"`
	KCMAPIPerS         float64 `json:"kcmAPIPerS"`
	// APIWritesPerS is the API server's writing requests, from everyone;
	// APIQueued its requests waiting in priority-and-fairness queues.
	APIWritesPerS float64 `json:"apiWritesPerS"`
	APIQueued     float64 `json:"apiQueued"`
	// Resident sets now, in MB (the largest process of each role).
	RSSMB map[string]float64 `json:"rssMB"`
}

// roles are the processes sampled, in the order the tables show them.
var roles = []string{roleController, roleActivator, roleAPIServer, roleEtcd, roleKCM, roleKubelet, roleContainerd}

const (
	roleController = "controller"
	roleActivator  = "activator"
	roleAPIServer  = "kube-apiserver"
	roleEtcd       = "etcd"
	roleKCM        = "kube-controller-manager"
	// roleKubelet and roleContainerd start the pods; roleContainerd counts
	// the pods' shims too.
	roleKubelet    = "kubelet"
	roleContainerd = "containerd"
)

// series samples every interval and keeps the rows, the largest object
// counts seen, and the last controller page.
type series struct {
	scraper *scraper
	procs   *proc.Sampler
	state   *state
	start   time.Time
	live    io.Writer

	mu       sync.Mutex
	phase    string
	rows     []row
	prev     scrape
	objects  map[string]float64
	lastCtrl []promtext.Sample
	warned   map[string]bool
}

func (s *series) setPhase(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = p
}

// run samples until ctx ends, then once more.
func (s *series) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	_, _ = fmt.Fprintln(s.live, seriesHeader)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sample(ctx)
		}
	}
}

// sample reads every source and appends a row.
func (s *series) sample(ctx context.Context) {
	cur := s.scraper.scrape(ctx)
	if ctx.Err() != nil {
		return // stopped while reading: the pages are partial
	}
	ready, deployments, lagging := s.state.counts()
	now := s.procs.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	for name, err := range map[string]error{"API server": cur.apiErr, "kube-controller-manager": cur.kcmErr, "wake-controller": cur.ctrlErr} {
		if err != nil && !s.warned[name] && ctx.Err() == nil {
			s.warned[name] = true
			_, _ = fmt.Fprintf(s.live, "warning: %s metrics: %v (shown as -)\n", name, err)
		}
	}
	r := row{
		T: cur.at.Sub(s.start).Seconds(), Phase: s.phase,
		Created: int(created.Load()), Ready: ready, Deployments: deployments, Lagging: lagging,
		ControllerQueue:          gauge(cur.ctrl, "workqueue_depth", nil),
		ControllerReconcilesPerS: rate(s.prev.ctrl, cur.ctrl, s.prev.at, cur.at, "controller_runtime_reconcile_total"),
		ControllerAPIPerS:        rate(s.prev.ctrl, cur.ctrl, s.prev.at, cur.at, "rest_client_requests_total"),
		KCMDeploymentQueue:       gauge(cur.kcm, "workqueue_depth", map[string]string{"name": "deployment"}),
		KCMReplicaSetQueue:       gauge(cur.kcm, "workqueue_depth", map[string]string{"name": "replicaset"}),
		KCMThrottledPerS:         rate(s.prev.kcm, cur.kcm, s.prev.at, cur.at, "rest_client_rate_limiter_duration_seconds_sum"),
		KCMAPIPerS:               rate(s.prev.kcm, cur.kcm, s.prev.at, cur.at, "rest_client_requests_total"),
		APIWritesPerS:            unknown,
		APIQueued:                gauge(cur.api, "apiserver_flowcontrol_current_inqueue_requests", nil),
		RSSMB:                    map[string]float64{},
	}
	if cur.api != nil && s.prev.api != nil {
		r.APIWritesPerS = perSecond(apiWrites(s.prev.api), apiWrites(cur.api), cur.at.Sub(s.prev.at))
	}
	for _, role := range roles {
		r.RSSMB[role] = float64(now[role].MaxRSSKiB) / 1024
	}
	for k, v := range objectCounts(cur.api) {
		s.objects[k] = max(s.objects[k], v)
	}
	if cur.ctrl != nil {
		s.lastCtrl = cur.ctrl
	}
	s.rows = append(s.rows, r)
	s.prev = cur
	_, _ = fmt.Fprintln(s.live, r.markdown())
}

// gauge sums a gauge, or says it is unknown.
func gauge(samples []promtext.Sample, name string, match map[string]string) float64 {
	if samples == nil {
		return unknown
	}
	v, _ := promtext.Sum(samples, name, match)
	return v
}

// rate is a counter's increase per second between two pages, unknown when
// either page is missing or the counter went down (a restart).
func rate(prev, cur []promtext.Sample, prevAt, curAt time.Time, name string) float64 {
	if prev == nil || cur == nil {
		return unknown
	}
	a, _ := promtext.Sum(prev, name, nil)
	b, _ := promtext.Sum(cur, name, nil)
	return perSecond(a, b, curAt.Sub(prevAt))
}

func perSecond(a, b float64, d time.Duration) float64 {
	if b < a || d <= 0 {
		return unknown
	}
	return (b - a) / d.Seconds()
}

// snapshot returns the rows, the largest object counts and the
// controller's reconciles per controller.
func (s *series) snapshot() ([]row, map[string]float64, map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	objects := make(map[string]float64, len(s.objects))
	for k, v := range s.objects {
		objects[k] = v
	}
	return append([]row(nil), s.rows...), objects, promtext.By(s.lastCtrl, "controller_runtime_reconcile_total", "controller")
}

const seriesHeader = "| t (s) | phase | created | Ready | Deployments | lagging | ctrl queue | ctrl reconciles/s | ctrl API req/s | kcm deployment queue | kcm replicaset queue | kcm throttled s/s | kcm API req/s | API writes/s | API queued | ctrl MB | activator MB | apiserver MB | etcd MB | kcm MB |\n" +
	"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

func (r row) markdown() string {
	return fmt.Sprintf("| %.0f | %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f |",
		r.T, r.Phase, r.Created, r.Ready, r.Deployments, r.Lagging,
		num(r.ControllerQueue, 0), num(r.ControllerReconcilesPerS, 1), num(r.ControllerAPIPerS, 1),
		num(r.KCMDeploymentQueue, 0), num(r.KCMReplicaSetQueue, 0), num(r.KCMThrottledPerS, 2), num(r.KCMAPIPerS, 1),
		num(r.APIWritesPerS, 1), num(r.APIQueued, 0),
		r.RSSMB[roleController], r.RSSMB[roleActivator], r.RSSMB[roleAPIServer], r.RSSMB[roleEtcd], r.RSSMB[roleKCM])
}

// num formats v with prec decimals, or "-" when unknown.
func num(v float64, prec int) string {
	if v == unknown {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
