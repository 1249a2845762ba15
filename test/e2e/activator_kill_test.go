//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

// activatorLabels select the activator's pods.
var activatorLabels = client.MatchingLabels{"app.kubernetes.io/name": "wake-activator"}

// TestActivatorPodDeletedUnderLoad deletes one of the two activator pods
// while 100 req/s flow to a function through the activator Service's
// ClusterIP for 15 s, each request on a new connection so that kube-proxy
// can move traffic to the other pod. Every request must get 200.
func TestActivatorPodDeletedUnderLoad(t *testing.T) {
	waitActivatorsReady(t)
	ns := newNamespace(t, "actkill")
	const (
		greeting = "still here"
		rate     = 100
		duration = 15 * time.Second
		deleteAt = 3 * time.Second
	)
	host := steadyFunction(t, ns, "steady", greeting)

	var (
		victim  string
		deleted time.Duration
	)
	rs := steadyLoad(freshConnClient(), host, rate, duration, func(ctx context.Context) {
		start := time.Now()
		if !poll.Sleep(ctx, deleteAt) {
			return
		}
		pods, err := listPods(ctx, activatorLabels)
		if err != nil || len(pods) == 0 {
			t.Errorf("activator pods: %d, %v", len(pods), err)
			return
		}
		p := pods[0]
		if err := suite.client.Delete(ctx, &p); err != nil {
			t.Errorf("delete activator pod %s: %v", p.Name, err)
			return
		}
		victim, deleted = p.Name, time.Since(start)
	})
	if t.Failed() {
		t.FailNow()
	}
	ok := func(r response) bool { return r.err == nil && r.code == http.StatusOK && r.body == greeting+"\n" }
	served, _ := successRate(rs, ok)
	failed := len(rs) - served
	t.Logf("%d requests at %d/s for %s on new connections, activator pod %s deleted at %s: %d failed",
		len(rs), rate, duration, victim, deleted.Round(time.Millisecond), failed)
	if failed > 0 {
		t.Errorf("%d of %d requests failed after deleting activator pod %s at %s; first failures (send time: outcome): %v",
			failed, len(rs), victim, deleted.Round(time.Millisecond), failuresByTime(rs, ok, 10))
	}
	// Leave two ready activators for the tests that follow.
	waitActivatorsReady(t)
}

// steadyFunction creates Function name in ns, kept between 1 and 3 pods
// and answering greeting, waits until it is Ready and served, and warms
// both activators with it (with new connections kube-proxy picks one at
// random each time, so both must know the route before a load starts). It
// returns the Function's host.
func steadyFunction(t *testing.T, ns, name, greeting string) string {
	t.Helper()
	create(t, newFunction(ns, name, "hello", withGreeting(greeting), withScaleBounds(1, 3)))
	waitFunctionReady(t, ns, name, 2*time.Minute)
	host := functionHost(ns, name)
	waitServing(t, host, bodyIs(greeting))
	requireAll(t, "warm-up over both activators", getAllVia(freshConnClient(), host, 40), http.StatusOK, bodyIs(greeting))
	return host
}

// freshConnClient sends every request on a new connection to the activator
// Service, so kube-proxy chooses a backend for each one. The request's own
// deadline bounds the dial: a connection that the Service refuses or drops
// fails the request whenever it fails, and one that is only slow to set up
// on a busy machine is not a failure.
func freshConnClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, suite.activator)
		},
	}}
}

// getAllVia sends n GETs to host through c at 50 per second.
func getAllVia(c *http.Client, host string, n int) []response {
	rs := steadyLoad(c, host, 50, time.Duration(n)*time.Second/50, nil)
	return responses(rs)
}

// activatorReplicas is the activator Deployment's size in config/activator.
const activatorReplicas int32 = 2

// controllerReplicas is the controller Deployment's size in config/manager:
// a leader and a standby.
const controllerReplicas int32 = 2

// waitActivatorsReady waits, up to 3 minutes (a restart after an OOM kill
// included), until the activator Deployment has all its activatorReplicas
// updated and ready, and no others.
func waitActivatorsReady(t *testing.T) {
	t.Helper()
	waitDeploymentReady(t, "wake-activator", activatorReplicas)
}

// waitControllersReady is waitActivatorsReady for the controller.
func waitControllersReady(t *testing.T) {
	t.Helper()
	waitDeploymentReady(t, "wake-controller", controllerReplicas)
}

// waitDeploymentReady waits, up to 3 minutes, until the Deployment name in
// wake-system has want replicas, all updated and ready, and no others.
func waitDeploymentReady(t *testing.T, name string, want int32) {
	t.Helper()
	testutil.Eventually(t, 3*time.Minute, fmt.Sprintf("%d ready %s", want, name), func(ctx context.Context) error {
		return rolledOut(ctx, name, want)
	})
}
