//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

// failoverWakeMargin is how much longer than a cold start a wake may take
// when it comes right after the controller's leader was killed (issue 15).
const failoverWakeMargin = 2 * time.Second

// TestControllerLeaderKilled SIGKILLs the process of the controller replica
// that holds the leader lease while 100 req/s flow to a warm function
// (every one must be served: the data plane does not need the controller),
// and right after the kill sends one request to a function at zero. That
// request must be served within the function's timeout, and within a cold
// start plus failoverWakeMargin, the cold start being measured in the same
// run, under the same load, on a twin function while the leader lived.
func TestControllerLeaderKilled(t *testing.T) {
	waitControllersReady(t)
	waitActivatorsReady(t)
	ns := newNamespace(t, "leaderkill")
	const (
		greeting = "led"
		rate     = 100
		duration = 15 * time.Second
		killAt   = 5 * time.Second
		timeout  = 30 // the functions at zero's timeoutSeconds
	)
	atZero := func(fn *servingv1alpha1.Function) { scaling(fn).InitialScale = ptr.To[int32](0) }
	create(t, newFunction(ns, "ref", "hello", withGreeting(greeting), atZero, withTimeout(timeout)))
	create(t, newFunction(ns, "failover", "hello", withGreeting(greeting), atZero, withTimeout(timeout)))
	warm := steadyFunction(t, ns, "warm", greeting)
	for _, name := range []string{"ref", "failover"} {
		waitFunctionReady(t, ns, name, 2*time.Minute)
	}

	holder, leader := controllerLeader(t)
	var (
		ref, wake     response
		refTook, took time.Duration
		killedAt      time.Duration
		takeover      = make(chan string, 1)
		timeline      = make(chan podTimeline, 1)
	)
	wakeWithin := time.Duration(timeout)*time.Second + 5*time.Second
	rs := steadyLoad(freshConnClient(), warm, rate, duration, func(ctx context.Context) {
		start := time.Now()
		if !poll.Sleep(ctx, time.Second) {
			return
		}
		sent := time.Now()
		ref = getVia(freshConnClient(), wakeWithin, functionHost(ns, "ref"), "/")
		refTook = time.Since(sent)
		if !poll.Sleep(ctx, killAt-time.Since(start)) {
			t.Errorf("the reference cold start took %s, past the kill's time", refTook)
			return
		}
		if err := sigkillPod(leader, controllerCmd); err != nil {
			t.Errorf("kill the leader: %v", err)
			return
		}
		killed := time.Now()
		killedAt = killed.Sub(start)
		go func() { takeover <- watchTakeover(holder, killed) }()
		go func() {
			wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			timeline <- watchPod(wctx, systemNamespace, leader.Name, restartCount(leader), killed)
		}()
		wake = getVia(freshConnClient(), wakeWithin, functionHost(ns, "failover"), "/")
		took = time.Since(killed)
	})
	if t.Failed() {
		t.FailNow()
	}
	newLeader, tl := <-takeover, <-timeline
	ok := func(r response) bool { return r.err == nil && r.code == http.StatusOK && r.body == greeting+"\n" }
	served, pct := successRate(rs, ok)
	t.Logf("leader %s SIGKILLed at %s under %d req/s to a warm function for %s: %d of %d served (%.2f%%); failures: %s",
		leader.Name, killedAt.Round(time.Millisecond), rate, duration, served, len(rs), pct, failureKinds(rs, ok))
	t.Logf("cold start with the leader alive: %s (%s %s); wake sent right after the kill answered after %s (%s %s); new leader %s; killed pod: %s",
		refTook.Round(time.Millisecond), ref, ref.header.Get(coldStartHeader), took.Round(time.Millisecond), wake, wake.header.Get(coldStartHeader), newLeader, tl)
	if served != len(rs) {
		t.Errorf("%d of %d requests to the warm function failed while the leader was killed; first failures (send time: outcome):%s",
			len(rs)-served, len(rs), failureLines(rs, ok, 10))
	}
	if !ok(ref) {
		t.Errorf("reference cold start: got %s, want 200 %q", ref, greeting)
	}
	if !ok(wake) {
		t.Errorf("wake during the failover: got %s after %s, want 200 %q within the %d s timeout", wake, took.Round(time.Millisecond), greeting, timeout)
	} else if limit := refTook + failoverWakeMargin; took > limit {
		t.Errorf("wake during the failover took %s, want at most the cold start %s + %s", took.Round(time.Millisecond), refTook.Round(time.Millisecond), failoverWakeMargin)
	}
	waitControllersReady(t)
}

// controllerLeader returns the holder of the controller's leader lease and
// its pod (controller-runtime's identity is the pod's hostname, its name,
// followed by "_" and a UUID).
func controllerLeader(t *testing.T) (string, *corev1.Pod) {
	t.Helper()
	var (
		holder string
		pod    = &corev1.Pod{}
	)
	testutil.Eventually(t, time.Minute, "a controller leader", func(ctx context.Context) error {
		l := &coordinationv1.Lease{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-controller"}, l); err != nil {
			return err
		}
		holder = ptr.Deref(l.Spec.HolderIdentity, "")
		name, _, found := strings.Cut(holder, "_")
		if !found {
			return fmt.Errorf("lease holder %q", holder)
		}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: name}, pod); err != nil {
			return err
		}
		if !podReady(pod) {
			return fmt.Errorf("leader pod %s not ready", name)
		}
		return nil
	})
	return holder, pod
}

// watchTakeover polls the leader lease from the kill on and describes who
// took it over and when, or that nobody did within a minute.
func watchTakeover(old string, killed time.Time) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var now string
	_, err := poll.Until(ctx, 100*time.Millisecond, func(ctx context.Context) error {
		l := &coordinationv1.Lease{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-controller"}, l); err != nil {
			return err
		}
		now = ptr.Deref(l.Spec.HolderIdentity, "")
		if now == old || now == "" {
			return errors.New("old holder")
		}
		return nil
	})
	if err != nil {
		return fmt.Sprintf("none within a minute (holder %q)", now)
	}
	return fmt.Sprintf("%s at %s", now, time.Since(killed).Round(100*time.Millisecond))
}
