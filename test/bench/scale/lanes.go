//go:build e2e

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
)

// Lanes of the side-by-side comparison.
const (
	laneDeployment = "deployment"
	laneWake       = "wake"
)

// quiesceTimeout bounds the wait for every bench pod to be gone.
const quiesceTimeout = 5 * time.Minute

// request is one request to a Function.
type request struct {
	Function string  `json:"function"`
	Ms       float64 `json:"ms"`
	Code     int     `json:"code"`
	// ColdStartMs is the activator's Wake-Cold-Start header, when sent.
	ColdStartMs *int `json:"coldStartMs,omitempty"`
	// PhasesMs are the activator's Server-Timing phases.
	PhasesMs map[string]float64 `json:"phasesMs,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// laneRun is one lane of one round: count Functions woken, or count plain
// Deployments scaled 0 → 1, all at once.
type laneRun struct {
	Round int    `json:"round"`
	Lane  string `json:"lane"`
	// Position is 0 when the lane went first in its round.
	Position int `json:"position"`
	// Ms is each member's time to its first 200, in milliseconds.
	Ms []float64 `json:"ms"`
	// Requests holds the wake lane's responses.
	Requests []request `json:"requests,omitempty"`
	Failures []string  `json:"failures,omitempty"`
	// PodPhasesMs is, per pod phase, each member's time from its start
	// to its first pod reaching that phase, in milliseconds.
	PodPhasesMs map[string][]float64 `json:"podPhasesMs"`
	// CPUSeconds is each sampled role's CPU time during the lane; a pod's
	// shim that ended between two samples is missed.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
}

// wakeOne sends one request to Function i and times it.
func (b *bench) wakeOne(ctx context.Context, i int) request {
	ns, name := b.layout.fn(i)
	start := time.Now()
	resp, err := b.act.Get(ctx, b.act.Host(ns, name), b.cfg.wakeTimeout)
	r := request{Function: ns + "/" + name, Ms: coldlane.Ms(time.Since(start)), Code: resp.Code}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if resp.Code != http.StatusOK || resp.Body != coldlane.Body(greeting) {
		r.Error = fmt.Sprintf("got %d %.80q, want 200 %q", resp.Code, resp.Body, coldlane.Body(greeting))
	}
	if held, ok := coldlane.ColdStartMs(resp.Header); ok {
		r.ColdStartMs = &held
		r.PhasesMs = coldlane.ServerTiming(resp.Header.Values("Server-Timing"))
	}
	return r
}

// wakeLane wakes the Functions idx all at once.
func (b *bench) wakeLane(ctx context.Context, idx []int) laneRun {
	out := laneRun{Lane: laneWake, Requests: make([]request, len(idx))}
	watching, stop := context.WithCancel(ctx)
	defer stop()
	pods := watchPods(watching, b.c, b.layout.namespaces(), func(p *corev1.Pod) string {
		return p.Namespace + "/" + p.Labels[servingv1alpha1.RevisionLabelKey]
	})
	var mu sync.Mutex
	started := make(map[string]time.Time, len(idx))
	var wg sync.WaitGroup
	for k, i := range idx {
		ns, name := b.layout.fn(i)
		wg.Go(func() {
			mu.Lock()
			started[ns+"/"+names.Revision(name, 1)] = time.Now()
			mu.Unlock()
			out.Requests[k] = b.wakeOne(ctx, i)
		})
	}
	wg.Wait()
	out.PodPhasesMs = pods.since(started)
	for _, r := range out.Requests {
		if r.Error != "" {
			out.Failures = append(out.Failures, r.Function+": "+r.Error)
			continue
		}
		out.Ms = append(out.Ms, r.Ms)
	}
	return out
}

// plainLane is what deploymentLane knows of each plain Deployment.
type plainLane struct {
	mu       sync.Mutex
	started  []time.Time
	answered []time.Time
	failed   []string
	// results gets one value per Deployment that failed to scale or was
	// asked until 200 (at most one of each).
	results chan struct{}
}

func (p *plainLane) fail(i int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed[i] == "" {
		p.failed[i] = msg
	}
}

// deploymentLane scales n plain Deployments 0 → 1 at once and times each
// until a request to its first ready pod is answered 200: the pod is found
// the way the activator finds a revision's, through the ready endpoint of
// its (headless) Service's EndpointSlice, and asked directly.
func (b *bench) deploymentLane(ctx context.Context, n int) laneRun {
	out := laneRun{Lane: laneDeployment}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.wakeTimeout)
	defer cancel()
	w, err := b.c.Watch(ctx, &discoveryv1.EndpointSliceList{}, client.InNamespace(b.layout.plainNamespace()))
	if err != nil {
		out.Failures = append(out.Failures, "watch endpointslices: "+err.Error())
		return out
	}
	defer w.Stop()

	watching, stop := context.WithCancel(ctx)
	defer stop()
	pods := watchPods(watching, b.c, []string{b.layout.plainNamespace()}, func(p *corev1.Pod) string { return p.Labels[coldlane.AppLabel] })
	p := &plainLane{started: make([]time.Time, n), answered: make([]time.Time, n), failed: make([]string, n), results: make(chan struct{}, 2*n)}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p.mu.Lock()
			p.started[i] = time.Now()
			p.mu.Unlock()
			if err := b.scalePlain(ctx, i, 1); err != nil {
				p.fail(i, err.Error())
				p.results <- struct{}{}
			}
		})
	}
	p.follow(ctx, w.ResultChan(), n, b.cfg.wakeTimeout)
	cancel()
	wg.Wait()
	started := make(map[string]time.Time, n)
	for i, t := range p.started {
		started[plainName(i)] = t
	}
	out.PodPhasesMs = pods.since(started)
	for i := range n {
		switch {
		case p.failed[i] != "":
			out.Failures = append(out.Failures, plainName(i)+": "+p.failed[i])
		case !p.answered[i].IsZero():
			out.Ms = append(out.Ms, coldlane.Ms(p.answered[i].Sub(p.started[i])))
		}
	}
	return out
}

// follow asks each Deployment's first ready pod until it answers 200, and
// returns when every Deployment has a result or ctx ends, with every
// request it started finished.
func (p *plainLane) follow(ctx context.Context, events <-chan watch.Event, n int, timeout time.Duration) {
	asked := make([]bool, n)
	var asks sync.WaitGroup
	defer asks.Wait()
	for done := 0; done < n; {
		select {
		case <-ctx.Done():
			p.mu.Lock()
			for i := range n {
				if p.answered[i].IsZero() && p.failed[i] == "" {
					p.failed[i] = "no 200 within " + timeout.String()
				}
			}
			p.mu.Unlock()
			return
		case <-p.results:
			done++
		case ev, open := <-events:
			if !open {
				events = nil // no more events: wait for the answers or the deadline
				continue
			}
			es, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			ip, ready := coldlane.ReadyAddress(es)
			i, isPlain := plainIndex(es.Labels[discoveryv1.LabelServiceName], n)
			if !ready || !isPlain || asked[i] {
				continue
			}
			asked[i] = true
			asks.Go(func() {
				if askUntil200(ctx, ip) {
					p.mu.Lock()
					p.answered[i] = time.Now()
					p.mu.Unlock()
				} else {
					p.fail(i, "ready pod "+ip+" never answered 200")
				}
				p.results <- struct{}{}
			})
		}
	}
}

// plainIndex returns i for the Service name plainName(i), i < n.
func plainIndex(service string, n int) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(service, "plain-%d", &i); err != nil || i < 0 || i >= n || plainName(i) != service {
		return 0, false
	}
	return i, true
}

// askUntil200 sends GET / to the pod at ip until it answers 200 or ctx
// ends, and reports whether it did.
func askUntil200(ctx context.Context, ip string) bool {
	h := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(coldlane.Port)) + "/"
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		if resp, err := h.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		poll.Sleep(ctx, 20*time.Millisecond)
	}
	return false
}

func (b *bench) scalePlain(ctx context.Context, i int, replicas int32) error {
	d := &appsv1.Deployment{}
	d.Namespace, d.Name = b.layout.plainNamespace(), plainName(i)
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
	if err := b.c.Patch(ctx, d, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("scale %s to %d: %w", d.Name, replicas, err)
	}
	return nil
}

// quiesce scales the plain Deployments to zero and waits until no pod is
// left in any bench namespace, so that no pod of one lane is starting or
// stopping while the other is measured.
func (b *bench) quiesce(ctx context.Context) error {
	for i := range b.cfg.wake {
		if err := b.scalePlain(ctx, i, 0); err != nil {
			return err
		}
	}
	namespaces := append(b.layout.namespaces(), b.layout.plainNamespace())
	ctx, cancel := context.WithTimeout(ctx, quiesceTimeout)
	defer cancel()
	_, err := poll.Until(ctx, time.Second, func(ctx context.Context) error {
		left := 0
		for _, ns := range namespaces {
			pods := &corev1.PodList{}
			if err := b.c.List(ctx, pods, client.InNamespace(ns)); err != nil {
				return err
			}
			left += len(pods.Items)
		}
		if left > 0 {
			return fmt.Errorf("%d pods left", left)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bench pods gone: %w", err)
	}
	return nil
}
