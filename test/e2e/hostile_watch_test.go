//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// loadStats summarises a steadyLoad.
type loadStats struct {
	total, ok     int
	p50, p99, max time.Duration
	// failures counts the other outcomes, by description.
	failures map[string]int
	// failedPerSecond counts the failed requests by the second of the
	// load in which they were sent.
	failedPerSecond map[int]int
	// slowest lists the slowest requests as "sent+latency".
	slowest []string
}

// summarize counts the responses that are 200 with a body for which bodyOK
// holds and takes latency percentiles over all requests (a failed request
// counts with the time it took to fail).
func summarize(rs []loadResult, bodyOK func(string) bool) loadStats {
	s := loadStats{total: len(rs), failures: map[string]int{}, failedPerSecond: map[int]int{}}
	lat := make([]time.Duration, 0, len(rs))
	for _, r := range rs {
		lat = append(lat, r.latency)
		if r.err == nil && r.code == http.StatusOK && bodyOK(r.body) {
			s.ok++
			continue
		}
		s.failures[failure(r.response)]++
		s.failedPerSecond[int(r.sent/time.Second)]++
	}
	if len(lat) == 0 {
		return s
	}
	bySlowness := slices.Clone(rs)
	slices.SortFunc(bySlowness, func(a, b loadResult) int { return int(b.latency - a.latency) })
	for _, r := range bySlowness[:min(5, len(bySlowness))] {
		s.slowest = append(s.slowest, r.sent.Round(time.Millisecond).String()+"+"+r.latency.Round(time.Millisecond).String())
	}
	slices.Sort(lat)
	at := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	s.p50, s.p99, s.max = at(0.50), at(0.99), lat[len(lat)-1]
	return s
}

// failure describes a failed response briefly: the status, or the error
// without the request's URL.
func failure(r response) string {
	if r.err == nil {
		return "HTTP " + strconv.Itoa(r.code)
	}
	err := r.err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	desc := ipPort.ReplaceAllString(err.Error(), "ADDR")
	if len(desc) > 60 {
		desc = desc[:60]
	}
	return desc
}

// ipPort matches the addresses in network errors, which differ for every
// connection.
var ipPort = regexp.MustCompile(`[0-9a-f.:\[\]]+:[0-9]+`)

// String is the summary for logs.
func (s loadStats) String() string {
	return fmt.Sprintf("%d/%d OK, p50 %s, p99 %s, max %s, failures %v, failed per second of the window %v, slowest (sent+latency) %v", s.ok, s.total,
		s.p50.Round(10*time.Microsecond), s.p99.Round(10*time.Microsecond), s.max.Round(time.Millisecond), s.failures, s.failedPerSecond, s.slowest)
}

// zeroWatch records the most replicas and pods a revision had while it was
// watched.
type zeroWatch struct {
	mu sync.Mutex
	// maxSpec, maxStatus and maxPods are the largest Deployment
	// spec.replicas, status.replicas and number of pods seen.
	maxSpec, maxStatus, maxPods int32
	// firstSeen is when a non-zero value was first seen; zero if never.
	firstSeen time.Time
	samples   int
	errors    int
	done      chan struct{}
}

// watchZero polls the revision's Deployment and pods every pollInterval
// until ctx ends.
func watchZero(ctx context.Context, ns, rev string) *zeroWatch {
	w := &zeroWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			w.sample(ctx, ns, rev)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pollInterval):
			}
		}
	}()
	return w
}

// sample looks once.
func (w *zeroWatch) sample(ctx context.Context, ns, rev string) {
	d := &appsv1.Deployment{}
	pods := &corev1.PodList{}
	errD := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, d)
	errP := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev})
	w.mu.Lock()
	defer w.mu.Unlock()
	if errD != nil || errP != nil {
		if ctx.Err() == nil {
			w.errors++
		}
		return
	}
	w.samples++
	spec := int32(1)
	if d.Spec.Replicas != nil {
		spec = *d.Spec.Replicas
	}
	n := int32(len(pods.Items))
	w.maxSpec, w.maxStatus, w.maxPods = max(w.maxSpec, spec), max(w.maxStatus, d.Status.Replicas), max(w.maxPods, n)
	if (spec > 0 || d.Status.Replicas > 0 || n > 0) && w.firstSeen.IsZero() {
		w.firstSeen = time.Now()
	}
}

// activatorPod is what the test remembers of one activator pod.
type activatorPod struct {
	name, uid string
	restarts  int32
	// terminated describes the container's last termination, if any, and
	// terminatedAt is when it ended.
	terminated   string
	terminatedAt time.Time
	// running is whether the container runs now.
	running bool
}

// activatorPods lists the activator pods by UID.
func activatorPods(ctx context.Context) (map[string]activatorPod, error) {
	pods := &corev1.PodList{}
	if err := suite.client.List(ctx, pods, client.InNamespace(systemNamespace), activatorLabels); err != nil {
		return nil, fmt.Errorf("list activator pods: %w", err)
	}
	out := map[string]activatorPod{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		a := activatorPod{name: p.Name, uid: string(p.UID), running: len(p.Status.ContainerStatuses) > 0}
		for _, cs := range p.Status.ContainerStatuses {
			a.restarts += cs.RestartCount
			a.running = a.running && cs.State.Running != nil
			term := cs.State.Terminated
			if term == nil {
				term = cs.LastTerminationState.Terminated
			}
			if term != nil && term.FinishedAt.After(a.terminatedAt) {
				a.terminatedAt = term.FinishedAt.Time
				a.terminated = fmt.Sprintf("%s (exit %d) at %s", term.Reason, term.ExitCode, term.FinishedAt.UTC().Format(time.TimeOnly))
			}
		}
		out[a.uid] = a
	}
	return out, nil
}
