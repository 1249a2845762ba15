//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

// TestKubeletRestarted restarts the node's kubelet (`wake-cluster restart
// kubelet`: SIGTERM, then started again as `up` starts it) while 100 req/s
// flow to a warm function with two pods, and keeps the load on for about
// 20 s after kubelet is healthy again, while it re-syncs and re-probes the
// pods.
// Every request must be served, and afterwards the revision's same two pods
// (same UIDs, no container restarted) must be Ready and serve requests: the
// podname image answers with its pod's name.
func TestKubeletRestarted(t *testing.T) {
	waitControllersReady(t)
	waitActivatorsReady(t)
	ns := newNamespace(t, "kubelet")
	const (
		rate     = 100
		duration = 25 * time.Second // a restart at 2 s, and 20 s of kubelet re-syncing its pods
	)
	create(t, newFunction(ns, "pods", "podname", withScaleBounds(2, 2)))
	waitFunctionReady(t, ns, "pods", 2*time.Minute)
	host := functionHost(ns, "pods")
	rev := "pods-00001"
	isPod := func(b string) bool { return strings.HasPrefix(b, rev+"-") }
	waitServing(t, host, isPod)
	before := readyRevisionPods(t, ns, rev, 2)
	servedBy(t, "before the restart", getAllVia(freshConnClient(), host, 40), before)

	var (
		restartTook time.Duration
		notReady    = map[string]*notReadySpan{} // by pod name, from the restart
		mu          sync.Mutex
	)
	rs := steadyLoad(freshConnClient(), host, rate, duration, func(ctx context.Context) {
		if !poll.Sleep(ctx, 2*time.Second) {
			return
		}
		start := time.Now()
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		go sampleNotReady(sctx, ns, rev, start, &mu, notReady)
		// Not the load's context: a restart cut short would leave the node
		// without kubelet.
		if err := restartKubelet(context.Background()); err != nil {
			t.Errorf("restart kubelet: %v", err)
			return
		}
		restartTook = time.Since(start)
		<-ctx.Done()
	})
	ok := func(r response) bool {
		return r.err == nil && r.code == http.StatusOK && isPod(strings.TrimSpace(r.body))
	}
	served, pct := successRate(rs, ok)
	mu.Lock()
	t.Logf("kubelet restarted (healthy again after %s) under %d req/s on new connections: %d of %d served (%.2f%%); failures: %s; pods seen not Ready: %v",
		restartTook.Round(100*time.Millisecond), rate, served, len(rs), pct, failureKinds(rs, ok), notReady)
	mu.Unlock()
	if served != len(rs) {
		t.Errorf("%d of %d requests failed across the kubelet restart; first failures (send time: outcome):%s",
			len(rs)-served, len(rs), failureLines(rs, ok, 20))
	}
	now := readyRevisionPods(t, ns, rev, 2)
	for name, p := range before {
		q, found := now[name]
		switch {
		case !found:
			t.Errorf("pod %s is gone after the kubelet restart", name)
		case q.UID != p.UID || restartCount(q) != restartCount(p):
			t.Errorf("pod %s: uid %s restarts %d after the kubelet restart, was uid %s restarts %d", name, q.UID, restartCount(q), p.UID, restartCount(p))
		}
	}
	servedBy(t, "after the restart", getAllVia(freshConnClient(), host, 60), before)
	waitControllersReady(t)
	waitActivatorsReady(t)
}

// restartKubelet runs `bin/wake-cluster restart kubelet`, which returns once
// the new kubelet answers its health check.
func restartKubelet(ctx context.Context) error {
	root := os.Getenv("CLUSTER_ROOT")
	if root == "" {
		root = "/var/lib/wake-cluster"
	}
	bin := filepath.Join(repoRoot(), "bin")
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "wake-cluster"), "-root", root, "-bin", bin, "restart", "kubelet").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// readyRevisionPods waits until the revision has exactly n pods, all Ready,
// and returns them by name.
func readyRevisionPods(t *testing.T, ns, rev string, n int) map[string]*corev1.Pod {
	t.Helper()
	var out map[string]*corev1.Pod
	waitFor := func(ctx context.Context) error {
		pods := &corev1.PodList{}
		if err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev}); err != nil {
			return err
		}
		out = map[string]*corev1.Pod{}
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.DeletionTimestamp == nil && podReady(p) {
				out[p.Name] = p
			}
		}
		if len(out) != n || len(pods.Items) != n {
			return fmt.Errorf("%d pods, %d ready, want %d", len(pods.Items), len(out), n)
		}
		return nil
	}
	testutil.Eventually(t, time.Minute, "pods of "+rev+" ready", waitFor)
	return out
}

// servedBy fails the test unless every response is 200 from one of pods.
func servedBy(t *testing.T, what string, rs []response, pods map[string]*corev1.Pod) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range rs {
		name := strings.TrimSpace(r.body)
		if r.err != nil || r.code != http.StatusOK || pods[name] == nil {
			t.Errorf("%s: got %s, want 200 from one of the revision's pods %v", what, r, podNames(pods))
			return
		}
		seen[name]++
	}
	t.Logf("%s: %d requests served by %v", what, len(rs), seen)
}

// podNames lists the names of pods, sorted.
func podNames(pods map[string]*corev1.Pod) []string {
	var out []string
	for name := range pods {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// notReadySpan is when a pod was first seen not Ready and when Ready again
// after that (0 if not seen), as offsets from a fault.
type notReadySpan struct{ from, to time.Duration }

// String describes the span for logs.
func (s *notReadySpan) String() string {
	if s.to == 0 {
		return fmt.Sprintf("not Ready from %s on", s.from)
	}
	return fmt.Sprintf("not Ready from %s to %s", s.from, s.to)
}

// sampleNotReady records, every 100 ms until ctx ends, when each pod of the
// revision was first seen not Ready and then Ready again, as offsets from
// start.
func sampleNotReady(ctx context.Context, ns, rev string, start time.Time, mu *sync.Mutex, seen map[string]*notReadySpan) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pods := &corev1.PodList{}
		if err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev}); err == nil {
			now := time.Since(start).Round(10 * time.Millisecond)
			mu.Lock()
			for i := range pods.Items {
				p := &pods.Items[i]
				span, already := seen[p.Name]
				switch ready := podReady(p); {
				case !already && !ready:
					seen[p.Name] = &notReadySpan{from: now}
				case already && ready && span.to == 0:
					span.to = now
				}
			}
			mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
