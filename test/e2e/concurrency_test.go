//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// TestContainerConcurrencyOneSerial pins a containerConcurrency: 1 sleep
// function to exactly two pods (one per activator replica, see
// TestContainerConcurrencyOneSinglePod for why not one) and sends it several
// requests at once. None of the test images reports how many requests a pod
// is serving, so the check is by timing: if no pod ever serves two at once,
// the k-th response cannot complete before ceil(k/pods) sleep periods.
func TestContainerConcurrencyOneSerial(t *testing.T) {
	ns := newNamespace(t, "cc1")
	const pods = 2
	create(t, newFunction(ns, "serial", "sleep", withSerial(), withScaleBounds(pods, pods)))
	waitFunctionReady(t, ns, "serial", 2*time.Minute)
	testutil.Eventually(t, 2*time.Minute, "two ready pods", func(ctx context.Context) error {
		return readyPodsAre(ctx, ns, "serial-00001", pods)
	})
	host := functionHost(ns, "serial")
	waitServing(t, host, nil)

	const (
		n     = 8
		sleep = 400 * time.Millisecond
		slack = 50 * time.Millisecond
	)
	start := time.Now()
	rs := getAll(host, fmt.Sprintf("/?ms=%d", sleep.Milliseconds()), n, n)
	requireAll(t, "concurrent requests", rs, http.StatusOK, bodyIs(fmt.Sprintf("slept %dms", sleep.Milliseconds())))
	done := make([]time.Duration, n)
	for i, r := range rs {
		done[i] = r.done.Sub(start)
	}
	slices.Sort(done)
	for k, d := range done {
		if min := time.Duration((k+pods)/pods)*sleep - slack; d < min {
			t.Errorf("response %d of %d completed after %s, before %s: the pod served requests concurrently (completions %v)", k+1, n, d, min, done)
		}
	}
	t.Logf("completions with %d pods and containerConcurrency 1: %v", pods, done)
}

// TestContainerConcurrencyOneScalesOut sends sustained load to a
// containerConcurrency: 1 sleep function and checks that it scales out to
// more than one ready pod and that every request gets 200.
func TestContainerConcurrencyOneScalesOut(t *testing.T) {
	ns := newNamespace(t, "scaleout")
	create(t, newFunction(ns, "burst", "sleep", withSerial(), withScaleBounds(0, 4), withFastScaleToZero(5*time.Second)))
	waitFunctionReady(t, ns, "burst", 2*time.Minute)
	host := functionHost(ns, "burst")
	waitServing(t, host, nil)

	const (
		n        = 60
		parallel = 8
	)
	var (
		wg      sync.WaitGroup
		rs      []response
		maxPods int
	)
	loadDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(loadDone)
		rs = getAll(host, "/?ms=500", n, parallel)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
watch:
	for {
		if ready, err := readyPods(ctx, ns, "burst-00001"); err == nil && ready > maxPods {
			maxPods = ready
		}
		select {
		case <-loadDone:
			break watch
		case <-ctx.Done():
			break watch
		case <-time.After(pollInterval):
		}
	}
	wg.Wait()
	requireAll(t, "load", rs, http.StatusOK, bodyIs("slept 500ms"))
	if maxPods < 2 {
		t.Fatalf("under %d parallel requests the function had at most %d ready pod(s), want more than 1", parallel, maxPods)
	}
	t.Logf("%d requests, %d in parallel: all 200, up to %d ready pods", n, parallel, maxPods)
}

// readyPodsAre returns nil if the revision has exactly want ready pods, and
// otherwise an error that says how many it has.
func readyPodsAre(ctx context.Context, ns, rev string, want int) error {
	n, err := readyPods(ctx, ns, rev)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%d ready pods, want %d", n, want)
	}
	return nil
}

// readyPods counts the revision's pods whose Ready condition is True.
func readyPods(ctx context.Context, ns, rev string) (int, error) {
	pods := &corev1.PodList{}
	if err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev}); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				n++
			}
		}
	}
	return n, nil
}
